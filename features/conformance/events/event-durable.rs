//! Three steps that each append a line to the file `CONFORMANCE_STEP_LOG` names, so that a
//! crash test can count how often each step body ran; with the variable unset they write
//! nothing.

use std::io::Write;

use switchyard_runtime::prelude::*;

/// The variable naming the file that step bodies append `<n> <step>` lines to.
const STEP_LOG_VAR: &str = "CONFORMANCE_STEP_LOG";

/// The data of `conformance/durable`: a number that tells runs apart.
#[derive(Debug, Deserialize)]
pub struct Numbered {
    pub n: u64,
}

/// Computes from `n` in three memoized steps, logging each body that runs.
pub struct Durable;

impl Function for Durable {
    type Event = Numbered;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-durable",
        name: "Conformance: logged step bodies",
        triggers: &[Trigger::event("conformance/durable")],
        retries: Some(2),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Numbered>) -> Result<Value> {
        let n = ctx.event.data.n;

        let first: u64 = ctx
            .step
            .run("first", || async move {
                record(n, "first")?;
                Ok(n + 1)
            })
            .await?;
        let second: u64 = ctx
            .step
            .run("second", || async move {
                record(n, "second")?;
                Ok(first * 2)
            })
            .await?;
        let third: u64 = ctx
            .step
            .run("third", || async move {
                record(n, "third")?;
                Ok(second + 3)
            })
            .await?;

        Ok(json!({ "n": n, "result": third }))
    }
}

/// Appends `<n> <step>` to the step log, if one is named; a failed write fails the step.
fn record(n: u64, step: &str) -> Result<()> {
    let Some(path) = std::env::var_os(STEP_LOG_VAR) else {
        return Ok(());
    };
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    log.write_all(format!("{n} {step}\n").as_bytes())?;
    Ok(())
}
