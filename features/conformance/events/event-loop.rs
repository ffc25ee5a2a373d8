//! A loop that reuses its step ids, so Inngest numbers the repeats (`tick`, `tick:1`, ...).

use switchyard_runtime::prelude::*;

/// The most rounds a run takes, whatever the event asks.
const MAX_ROUNDS: u32 = 5;

/// The data of `conformance/loop`.
#[derive(Debug, Deserialize)]
pub struct Rounds {
    pub rounds: u32,
}

/// Ticks and pauses once per round.
pub struct Loop;

impl Function for Loop {
    type Event = Rounds;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-loop",
        name: "Conformance: repeated step ids",
        triggers: &[Trigger::event("conformance/loop")],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Rounds>) -> Result<Value> {
        let rounds = ctx.event.data.rounds.min(MAX_ROUNDS);

        let mut ticks = Vec::new();
        for round in 0..rounds {
            let tick: u32 = ctx
                .step
                .run("tick", || async move { Ok(round * 10) })
                .await?;
            ticks.push(tick);
            ctx.step.sleep("pause", Duration::from_secs(1)).await?;
        }

        Ok(json!({ "ticks": ticks }))
    }
}
