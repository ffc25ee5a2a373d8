//! Notes every failed run of a conformance function.

use switchyard_runtime::prelude::*;

/// Handles `inngest/function.failed` for the conformance functions only.
pub struct FailureHandler;

impl Function for FailureHandler {
    type Event = FunctionFailed;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-failure-handler",
        name: "Conformance: failure handler",
        triggers: &[Trigger::event_if(
            "inngest/function.failed",
            "event.data.function_id.contains('-conformance-')",
        )],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failure = &ctx.event.data;

        let note: String = ctx
            .step
            .run("record failure", || async {
                let error = &failure.error;
                let function = &failure.function_id;
                Ok(format!(
                    "{function} failed: {}: {}",
                    error.name, error.message
                ))
            })
            .await?;

        Ok(json!({ "run_id": failure.run_id, "note": note }))
    }
}
