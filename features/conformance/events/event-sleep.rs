//! A relative sleep and a sleep until a fixed time, then one step.

use std::time::UNIX_EPOCH;

use switchyard_runtime::prelude::*;

/// 2030-01-01T09:00:00Z in Unix seconds: a fixed wake-up time keeps the run deterministic.
const WAKE_AT_UNIX: u64 = 1_893_488_400;

/// Naps for an hour and a half, then sleeps until a fixed time.
pub struct Sleep;

impl Function for Sleep {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-sleep",
        name: "Conformance: sleeps",
        triggers: &[Trigger::event("conformance/sleep")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        ctx.step.sleep("nap", Duration::from_secs(90 * 60)).await?;
        let wake_at = UNIX_EPOCH + Duration::from_secs(WAKE_AT_UNIX);
        ctx.step.sleep_until("wake up", wake_at).await?;

        let stretched: String = ctx
            .step
            .run("stretch", || async { Ok("stretched".to_owned()) })
            .await?;

        Ok(json!({ "slept": true, "then": stretched }))
    }
}
