//! Two steps awaited together, then a third that needs both.

use switchyard_runtime::prelude::*;

/// The data of `conformance/parallel`.
#[derive(Debug, Deserialize)]
pub struct Operands {
    pub left: i64,
    pub right: i64,
}

/// Doubles and triples side by side, then adds.
pub struct Parallel;

impl Function for Parallel {
    type Event = Operands;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-parallel",
        name: "Conformance: parallel steps",
        triggers: &[Trigger::event("conformance/parallel")],
        concurrency: Some(Concurrency::limit(2)),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Operands>) -> Result<Value> {
        let operands = &ctx.event.data;

        let doubled = ctx.step.run("double", || async { Ok(operands.left * 2) });
        let tripled = ctx.step.run("triple", || async { Ok(operands.right * 3) });
        let (doubled, tripled) = join(doubled, tripled).await;
        let (doubled, tripled): (i64, i64) = (doubled?, tripled?);
        let sum: i64 = ctx
            .step
            .run("add", || async move { Ok(doubled + tripled) })
            .await?;

        Ok(json!({ "doubled": doubled, "tripled": tripled, "sum": sum }))
    }
}
