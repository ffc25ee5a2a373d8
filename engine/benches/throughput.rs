//! Events in, completed 3-step runs out, with the database on disk: prints runs per second.
//!
//! Run with `cargo bench -p switchyard-engine --bench throughput`; set `RUNS` to change the
//! number of events (default 2000), and `MEMORY=1` to keep the database in memory instead.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use switchyard_engine::{Engine, Location, RunFilter, SystemClock};
use switchyard_runtime::prelude::*;
use switchyard_runtime::{erase, Feature, FunctionEntry, Registry};

/// Three steps, each returning a small value.
struct ThreeSteps;

impl Function for ThreeSteps {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "three-steps",
        triggers: &[Trigger::event("bench/run")],
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        let a: u64 = ctx.step.run("a", || async { Ok(1) }).await?;
        let b: u64 = ctx.step.run("b", || async move { Ok(a + 1) }).await?;
        let c: u64 = ctx.step.run("c", || async move { Ok(b + 1) }).await?;
        Ok(json!({ "sum": a + b + c }))
    }
}

fn registry() -> &'static Registry {
    let functions: &'static [FunctionEntry] = Box::leak(Box::new([FunctionEntry {
        config: &ThreeSteps::CONFIG,
        feature: "bench",
        source: "benches/throughput.rs",
        module: "bench",
        handler: erase::<ThreeSteps>,
        on_failure: None,
    }]));
    let features = Box::leak(Box::new([Feature {
        name: "bench",
        functions: Box::leak(Box::new([&functions[0]])),
    }]));
    let by_id = Box::leak(Box::new([("three-steps", 0)]));
    Box::leak(Box::new(Registry::new(
        functions, features, by_id, "benches",
    )))
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("switchyard-bench-{}", std::process::id()));
    let on_disk = std::env::var("MEMORY").is_err();
    let location = if on_disk {
        Location::Path(dir.join("engine.db"))
    } else {
        Location::Memory
    };
    let engine = Engine::open(location, registry(), Arc::new(SystemClock)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let started = Instant::now();
    let events: Vec<Value> = (0..runs)
        .map(|n| json!({"name": "bench/run", "data": {"n": n}}))
        .collect();
    for batch in events.chunks(100) {
        engine.send_events(batch.to_vec()).unwrap();
    }
    let accepted = started.elapsed();
    let calls = runtime.block_on(engine.run_until_idle()).unwrap();
    let elapsed = started.elapsed();

    let filter = RunFilter {
        status: Some("completed".to_owned()),
        limit: u32::MAX,
        ..RunFilter::default()
    };
    let completed = engine.runs(&filter).unwrap().len();
    let per_second = completed as f64 / elapsed.as_secs_f64();
    println!("events accepted: {runs} in {accepted:?}");
    println!("completed 3-step runs: {completed} ({calls} calls) in {elapsed:?}");
    let store = if on_disk {
        "on disk (WAL)"
    } else {
        "in memory"
    };
    println!("throughput: {per_second:.0} runs/s with the database {store}");
    let _ = std::fs::remove_dir_all(dir);
}
