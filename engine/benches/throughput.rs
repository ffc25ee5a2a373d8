//! Events in, completed 3-step runs out, with the database on disk (SQLite in WAL mode):
//! runs per second, event-to-completion latency at a steady offered load, and peak memory.
//!
//! Run with `cargo bench -p switchyard-engine --bench throughput`. Two phases, each on a
//! fresh database:
//!
//! 1. burst: `RUNS` events (default 5000) sent in batches of 100, then drained; prints
//!    completed runs per second over the whole phase, sending included;
//! 2. steady: an open-loop sender offers `RATE` events per second (default 1000) for
//!    `SECONDS` seconds (default 10) while the engine's background loop runs on another
//!    thread; prints the p50, p90, p99 and maximum latency from each event's scheduled send
//!    time to its run's stored completion, in whole milliseconds.
//!
//! Each phase runs in a process of its own and ends with that process's CPU time (user plus
//! system, all threads) and peak resident memory (`VmHWM`), both read before the bench
//! loads the list of runs for its report. `MEMORY=1` keeps the databases in memory instead
//! of on disk; `PHASE=burst` or `PHASE=steady` runs one phase only.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use switchyard_engine::{Engine, Location, RunFilter, RunRow, SystemClock};
use switchyard_runtime::prelude::*;
use switchyard_runtime::{erase, Feature, FunctionEntry, Registry};

/// How many runs got past their third step; each run's last call does so once.
static RETURNED: AtomicUsize = AtomicUsize::new(0);

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
        RETURNED.fetch_add(1, Ordering::SeqCst);
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

/// Where one phase keeps its database.
struct Database {
    dir: PathBuf,
    on_disk: bool,
}

impl Database {
    fn new(phase: &str) -> Database {
        let name = format!("switchyard-bench-{phase}-{}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let on_disk = std::env::var("MEMORY").is_err();
        Database { dir, on_disk }
    }

    fn open(&self) -> Engine {
        let location = if self.on_disk {
            Location::Path(self.dir.join("engine.db"))
        } else {
            Location::Memory
        };
        Engine::open(location, registry(), Arc::new(SystemClock)).unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn completed(engine: &Engine) -> Vec<RunRow> {
    let filter = RunFilter {
        status: Some("completed".to_owned()),
        limit: u32::MAX,
        ..RunFilter::default()
    };
    engine.runs(&filter).unwrap()
}

/// Sends `runs` events in batches of 100, then drains them on this thread.
fn burst(runs: usize) {
    let database = Database::new("burst");
    let engine = database.open();
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
    let usage = Usage::now();

    let done = completed(&engine).len();
    let per_second = done as f64 / elapsed.as_secs_f64();
    println!("burst: {runs} events accepted in {accepted:.2?}");
    println!("burst: {done} completed 3-step runs ({calls} calls) in {elapsed:.2?}");
    println!("burst: {per_second:.0} runs/s");
    usage.print("burst", done);
}

/// Offers `rate` events per second for `seconds` from this thread while the background
/// loop runs on another, then reports latency percentiles.
fn steady(rate: f64, seconds: f64) {
    let database = Database::new("steady");
    let engine = database.open();
    let total = (rate * seconds) as usize;
    let returned_before = RETURNED.load(Ordering::SeqCst);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let background = engine.clone();
    let driver = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::select! {
                () = background.run_loop() => {}
                _ = stopped => {}
            }
        });
    });

    let start_wall = wall_ms();
    let start = Instant::now();
    let mut next = 0;
    while next < total {
        let due = |n: usize| start + Duration::from_secs_f64(n as f64 / rate);
        let now = Instant::now();
        if due(next) > now {
            std::thread::sleep(due(next) - now);
            continue;
        }
        let mut batch = Vec::new();
        while next < total && due(next) <= now && batch.len() < 100 {
            batch.push(json!({"name": "bench/run", "data": {"n": next}}));
            next += 1;
        }
        engine.send_events(batch).unwrap();
    }
    let sent = start.elapsed();

    while RETURNED.load(Ordering::SeqCst) - returned_before < total {
        std::thread::sleep(Duration::from_millis(10));
    }
    let usage = Usage::now();
    let runs = loop {
        let runs = completed(&engine);
        if runs.len() >= total {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let _ = stop.send(());
    driver.join().unwrap();

    let mut latencies: Vec<f64> = runs
        .iter()
        .map(|run| {
            // The engine's clock reads whole milliseconds, so compare with whole ones.
            let n = run.event["data"]["n"].as_f64().unwrap_or_default();
            let scheduled = (start_wall + n * 1000.0 / rate).floor();
            run.updated_at as f64 - scheduled
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let at = |share: f64| latencies[((latencies.len() - 1) as f64 * share).round() as usize];
    println!("steady: {total} events offered at {rate:.0}/s, all sent after {sent:.2?}");
    println!(
        "steady: {} runs completed after {elapsed:.2?}, {:.0} runs/s",
        runs.len(),
        runs.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "steady: event-to-completion latency p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
    usage.print("steady", runs.len());
}

/// The process's CPU time and peak memory at one moment.
struct Usage {
    cpu: Duration,
    peak_memory: String,
}

impl Usage {
    fn now() -> Usage {
        Usage {
            cpu: cpu_time(),
            peak_memory: peak_memory(),
        }
    }

    fn print(&self, phase: &str, runs: usize) {
        let per_run = self.cpu.as_secs_f64() * 1e6 / runs.max(1) as f64;
        println!(
            "{phase}: CPU time {:.2?} ({per_run:.0} µs per run), peak memory {}",
            self.cpu, self.peak_memory
        );
    }
}

/// User plus system time of every thread of this process so far, from `/proc/self/stat`
/// (in clock ticks of 10 ms, the kernel's fixed user-visible rate on Linux).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| -> u64 {
        fields
            .get(index)
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn wall_ms() -> f64 {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    since_epoch.as_secs_f64() * 1000.0
}

/// The process's peak resident memory so far, as the kernel reports it.
fn peak_memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(|value| value.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let runs = env_number("RUNS", 5000.0) as usize;
    let rate = env_number("RATE", 1000.0);
    let seconds = env_number("SECONDS", 10.0);
    match std::env::var("PHASE").as_deref() {
        Ok("burst") => return burst(runs),
        Ok("steady") => return steady(rate, seconds),
        _ => {}
    }

    let store = if std::env::var("MEMORY").is_err() {
        "on disk (WAL, synchronous = NORMAL)"
    } else {
        "in memory"
    };
    println!("database {store}; load average at start {}", load_average());
    let this = std::env::current_exe().unwrap();
    for phase in ["burst", "steady"] {
        let status = std::process::Command::new(&this)
            .env("PHASE", phase)
            .status()
            .unwrap();
        assert!(status.success(), "the {phase} phase failed");
    }
    println!("load average at end {}", load_average());
}
