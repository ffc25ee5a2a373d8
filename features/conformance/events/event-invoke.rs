//! Invokes `conformance-sequential` and sums up what it returned.

use switchyard_runtime::prelude::*;

/// The data of `conformance/invoke`.
#[derive(Debug, Deserialize)]
pub struct Invite {
    pub name: String,
}

/// What `conformance-sequential` returns.
#[derive(Debug, Deserialize)]
pub struct Greeted {
    pub shout: String,
    pub length: usize,
}

/// Calls another function of the app and waits for its result.
pub struct InvokeSequential;

impl Function for InvokeSequential {
    type Event = Invite;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-invoke",
        name: "Conformance: invoke another function",
        triggers: &[Trigger::event("conformance/invoke")],
        retries: Some(1),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Invite>) -> Result<Value> {
        let invoke = Invoke {
            function_id: "conformance-sequential",
            data: json!({ "name": ctx.event.data.name }),
            timeout: Some(Duration::from_secs(600)),
        };

        let greeted: Greeted = ctx.step.invoke("greet someone", invoke).await?;
        let summary: String = ctx
            .step
            .run("summarize", || async {
                Ok(format!("{} ({} letters)", greeted.shout, greeted.length))
            })
            .await?;

        Ok(json!({ "summary": summary }))
    }
}
