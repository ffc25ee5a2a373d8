//! Three steps in a row, each using the one before: the plainest replay, and the target of
//! `conformance-invoke`.

use switchyard_runtime::prelude::*;

/// The data of `conformance/sequential`, and of the invocation `conformance-invoke` makes.
#[derive(Debug, Deserialize)]
pub struct Greeting {
    pub name: String,
}

/// Greets a name in three memoized steps.
pub struct Sequential;

impl Function for Sequential {
    type Event = Greeting;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-sequential",
        name: "Conformance: sequential steps",
        triggers: &[Trigger::event("conformance/sequential")],
        retries: Some(2),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Greeting>) -> Result<Value> {
        let name = &ctx.event.data.name;

        let greeting: String = ctx
            .step
            .run("greet", || async { Ok(format!("hello {name}")) })
            .await?;
        let shout: String = ctx
            .step
            .run("shout", || async { Ok(greeting.to_uppercase()) })
            .await?;
        let length: usize = ctx
            .step
            .run("measure", || async { Ok(shout.len()) })
            .await?;

        Ok(json!({ "greeting": greeting, "shout": shout, "length": length }))
    }
}
