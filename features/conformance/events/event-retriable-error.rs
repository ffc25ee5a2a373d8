//! A step that fails on its first attempts, and a function that can ask to be retried later.

use switchyard_runtime::prelude::*;

/// The data of `conformance/retriable.error`.
#[derive(Debug, Deserialize)]
pub struct Flakiness {
    /// How many attempts of the `flaky` step fail before one succeeds.
    pub failures: u32,
    /// Whether the function fails after the step, asking to be retried in 30 seconds.
    pub retry_later: bool,
}

/// Fails as often as the event says.
pub struct RetriableError;

impl Function for RetriableError {
    type Event = Flakiness;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-retriable-error",
        name: "Conformance: retriable errors",
        triggers: &[Trigger::event("conformance/retriable.error")],
        retries: Some(2),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Flakiness>) -> Result<Value> {
        let attempt = ctx.attempt;
        let failures = ctx.event.data.failures;

        let succeeded_on: u32 = ctx
            .step
            .run("flaky", || async move {
                if attempt < failures {
                    return Err(Error::new(format!("flaky failure on attempt {attempt}")));
                }
                Ok(attempt)
            })
            .await?;
        if ctx.event.data.retry_later {
            let delay = Duration::from_secs(30);
            return Err(Error::retry_after("asked to retry in 30 seconds", delay));
        }

        Ok(json!({ "succeeded_on_attempt": succeeded_on }))
    }
}
