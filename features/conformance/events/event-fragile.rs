//! Packs an item, which may break, and sweeps up after itself when it does: a function with
//! its own failure handler, Inngest's `onFailure`.

use switchyard_runtime::prelude::*;

/// Packs `event.data.item`; `event.data.break` makes the packing fail for good.
pub struct Fragile;

impl Function for Fragile {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-fragile",
        name: "Conformance: own failure handler",
        triggers: &[Trigger::event("conformance/fragile")],
        retries: Some(0),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let data = &ctx.event.data;
        let item = data["item"].as_str().unwrap_or("nothing").to_owned();

        let packed: String = ctx
            .step
            .run("pack", || async {
                if data["break"] == json!(true) {
                    return Err(Error::non_retriable(format!("{item} broke")));
                }
                Ok(format!("{item} packed"))
            })
            .await?;

        Ok(json!({ "packed": packed }))
    }

    /// Runs once when a run of this function has failed for good.
    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failure = &ctx.event.data;

        let note: String = ctx
            .step
            .run("sweep up", || async {
                Ok(format!(
                    "{} failed: {}",
                    failure.function_id, failure.error.message
                ))
            })
            .await?;

        Ok(json!({ "run_id": failure.run_id, "note": note }))
    }
}
