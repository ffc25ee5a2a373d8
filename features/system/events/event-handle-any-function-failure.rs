//! Records an alert in the outbox whenever any function of the app fails for good.

use switchyard_runtime::prelude::*;

/// Functions that move money: their failures also page the billing on-call engineer.
const MONEY_FUNCTIONS: [&str; 3] = ["payment-processed", "payment-failed", "refund-initiated"];

/// The alert rendered from one failure.
#[derive(Debug, Serialize, Deserialize)]
pub struct Alert {
    pub headline: String,
    pub body: String,
    pub cause: String,
    pub page_billing: bool,
}

/// The failure handler of the whole app.
pub struct HandleAnyFunctionFailure;

impl Function for HandleAnyFunctionFailure {
    type Event = FunctionFailed;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "handle-any-function-failure",
        name: "Alert on any function failure",
        triggers: &[Trigger::event("inngest/function.failed")],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failure = &ctx.event.data;
        let alert = ctx
            .step
            .run("describe-failure", || async { Ok(describe(failure)) })
            .await?;

        ctx.step
            .run("record-alert", || async {
                let chat = Delivery::chat("ops-alerts", &alert.headline, &alert.body);
                ctx.outbox.deliver(chat);
                if alert.page_billing {
                    let oncall = "billing-oncall@example.com";
                    ctx.outbox
                        .deliver(Delivery::email(oncall, &alert.headline, &alert.body));
                }
                Ok(())
            })
            .await?;

        Ok(json!({
            "function_id": failure.function_id,
            "run_id": failure.run_id,
            "cause": alert.cause,
            "paged_billing": alert.page_billing,
        }))
    }
}

/// Says why the run failed and who must hear of it.
fn describe(failure: &FunctionFailed) -> Alert {
    let cause = if failure.error.name == "NonRetriableError" {
        "bad input: retrying cannot help"
    } else {
        "retries exhausted"
    };
    // The failed function's id is composite: `<app id>-<function id>`.
    let page_billing = MONEY_FUNCTIONS
        .iter()
        .any(|id| failure.function_id.ends_with(&format!("-{id}")));

    Alert {
        headline: format!("{} failed", failure.function_id),
        body: format!(
            "Run {} failed: {}\nCause: {cause} ({})\nTriggered by {}",
            failure.run_id, failure.error.message, failure.error.name, failure.event.name,
        ),
        cause: cause.to_owned(),
        page_billing,
    }
}
