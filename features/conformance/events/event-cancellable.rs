//! A job that cools down before it finishes, unless a matching cancellation arrives within
//! the hour: Inngest's `cancelOn`.

use switchyard_runtime::prelude::*;

/// Sleeps ten minutes, then finishes `event.data.job_id`.
pub struct Cancellable;

impl Function for Cancellable {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-cancellable",
        name: "Conformance: cancelled by an event",
        triggers: &[Trigger::event("conformance/job.started")],
        retries: Some(1),
        cancel_on: &[Cancel::event_if(
            "conformance/job.cancelled",
            "async.data.job_id == event.data.job_id",
        )
        .timeout(Duration::from_secs(3600))],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let job_id = ctx.event.data["job_id"].as_str().unwrap_or("?").to_owned();

        ctx.step
            .sleep("cool down", Duration::from_secs(10 * 60))
            .await?;
        let finished: String = ctx
            .step
            .run("finish", || async { Ok(format!("job {job_id} finished")) })
            .await?;

        Ok(json!({ "job_id": job_id, "finished": finished }))
    }
}
