//! The built binary killed with SIGKILL while its embedded engine is busy, then started
//! again on the same database: every accepted event's run completes, and no step whose
//! result was stored before the kill runs again.
//!
//! The runs are of `conformance-durable`, whose three step bodies each append `<n> <step>`
//! to the file `CONFORMANCE_STEP_LOG` names before returning, so the file counts every body
//! that ran. A body that was running when the process died, or had returned but whose result
//! was not stored yet, legitimately runs again after the restart, as under Inngest; there
//! can be no more such steps than calls in flight at the kill.

mod support {
    pub mod binary;
}

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::binary::{get_json, http, scratch_dir, Server};
use switchyard::registry::REGISTRY;
use switchyard::runtime::hash_step_id;
use switchyard_engine::{
    Engine, Location, RunFilter, SystemClock, DEFAULT_PATH, MAX_CALLS_IN_FLIGHT,
};

const FUNCTION: &str = "conformance-durable";
const EVENTS: u64 = 1_000;
const BATCH: u64 = 100;
const STEPS: [&str; 3] = ["first", "second", "third"];

/// The engine keeps at most this many calls in flight, so the kill can cut off at most
/// this many step bodies (ran, or returned with their results not yet stored).
const CALLS_IN_FLIGHT: usize = MAX_CALLS_IN_FLIGHT;

/// Kill once this many step bodies ran: two thirds of them, well inside the work.
const KILL_AFTER_BODIES: usize = 2_000;

/// One step of one run: the event's `n` and the step's name.
type StepKey = (u64, String);

#[test]
fn a_killed_server_completes_every_run_without_rerunning_stored_steps() {
    let dir = scratch_dir("crash-recovery");
    let log = dir.join("steps.log");
    let log_var = log.to_str().expect("a UTF-8 path").to_owned();
    let vars = [("CONFORMANCE_STEP_LOG", log_var.as_str())];

    let mut first = Server::start(&dir, &vars);
    send_all_events(&first);
    wait_for_bodies(&log, KILL_AFTER_BODIES);
    first.kill();
    let before_restart = read_log(&log);
    let stored = stored_steps(&dir.join(DEFAULT_PATH));

    let second = Server::start(&dir, &vars);
    let runs = wait_for_completion(&second);
    drop(second);
    let all = read_log(&log);
    let after_restart = &all[before_restart.len()..];

    let stored_count: usize = stored.values().map(BTreeSet::len).sum();
    assert_eq!(
        stored.len(),
        EVENTS as usize,
        "every accepted event has its run"
    );
    assert!(
        (1..STEPS.len() * EVENTS as usize).contains(&stored_count),
        "killed mid-flight: {stored_count} step results stored"
    );
    assert_no_stored_step_ran_again(&stored, after_restart);
    assert_every_step_ran_and_few_twice(&stored, &all);
    assert_outputs(&runs);
}

/// Sends the events in batches, each answered only once stored.
fn send_all_events(server: &Server) {
    let url = server.url("/e/any-key");
    for start in (0..EVENTS).step_by(BATCH as usize) {
        let batch: Vec<Value> = (start..start + BATCH)
            .map(|n| json!({"name": "conformance/durable", "data": {"n": n}}))
            .collect();

        let (status, body) = http("POST", &url, Some(&Value::from(batch).to_string()));

        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).expect("a JSON answer");
        assert_eq!(answer["ids"].as_array().map(Vec::len), Some(BATCH as usize));
    }
}

fn wait_for_bodies(log: &Path, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while read_log(log).len() < count {
        assert!(
            Instant::now() < deadline,
            "only {} step bodies ran in a minute",
            read_log(log).len()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Every line of the step log, as `(n, step)`.
fn read_log(log: &Path) -> Vec<StepKey> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|line| {
            let (n, step) = line.split_once(' ').expect("`<n> <step>` lines");
            (n.parse().expect("a number"), step.to_owned())
        })
        .collect()
}

/// The steps whose results the database holds, by the run's `n`, read while no server runs.
fn stored_steps(database: &Path) -> BTreeMap<u64, BTreeSet<String>> {
    let location = Location::Path(database.to_owned());
    let engine = Engine::open(location, &REGISTRY, Arc::new(SystemClock))
        .expect("the killed server's database opens");
    let filter = RunFilter {
        function_id: Some(FUNCTION.to_owned()),
        limit: 10 * EVENTS as u32,
        ..RunFilter::default()
    };
    let names: BTreeMap<String, &str> = STEPS
        .iter()
        .map(|step| (hash_step_id(step), *step))
        .collect();

    let mut stored = BTreeMap::new();
    for run in engine.runs(&filter).expect("runs can be listed") {
        let n = run.event["data"]["n"].as_u64().expect("runs carry their n");
        let detail = engine
            .run(&run.id)
            .expect("a run can be read")
            .expect("it exists");
        let steps = detail
            .steps
            .iter()
            .filter_map(|(hashed, _)| names.get(hashed))
            .map(|step| (*step).to_owned())
            .collect();
        let previous = stored.insert(n, steps);
        assert!(previous.is_none(), "two runs for event {n}");
    }
    stored
}

/// Polls the restarted server until every run of the function completed; returns them.
fn wait_for_completion(server: &Server) -> Vec<Value> {
    let url = server.url(&format!(
        "/api/engine/runs?function_id={FUNCTION}&limit={}",
        10 * EVENTS
    ));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listing = get_json(&url);
        let runs = listing["runs"].as_array().cloned().unwrap_or_default();
        let completed = runs
            .iter()
            .filter(|run| run["status"] == "completed")
            .count();
        if completed == EVENTS as usize && runs.len() == EVENTS as usize {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "{completed} of {} runs completed a minute after the restart",
            runs.len()
        );
        thread::sleep(Duration::from_millis(200));
    }
}

fn assert_no_stored_step_ran_again(
    stored: &BTreeMap<u64, BTreeSet<String>>,
    after_restart: &[StepKey],
) {
    let rerun: Vec<&StepKey> = after_restart
        .iter()
        .filter(|(n, step)| stored.get(n).is_some_and(|steps| steps.contains(step)))
        .collect();

    assert!(
        rerun.is_empty(),
        "steps stored before the kill ran again: {rerun:?}"
    );
}

fn assert_every_step_ran_and_few_twice(stored: &BTreeMap<u64, BTreeSet<String>>, all: &[StepKey]) {
    let mut counts: BTreeMap<&StepKey, usize> = BTreeMap::new();
    for key in all {
        *counts.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, count)| **count > 1).collect();

    assert_eq!(
        counts.len(),
        STEPS.len() * EVENTS as usize,
        "every body ran"
    );
    assert!(
        twice.len() <= CALLS_IN_FLIGHT,
        "more bodies ran twice than calls can be in flight: {twice:?}"
    );
    for ((n, step), count) in twice {
        assert_eq!(*count, 2, "{n} {step} ran {count} times");
        assert!(
            !stored[n].contains(step),
            "{n} {step} was stored yet ran twice"
        );
    }
}

fn assert_outputs(runs: &[Value]) {
    let outputs: BTreeSet<(u64, u64)> = runs
        .iter()
        .map(|run| {
            let output = &run["output"];
            (
                output["n"].as_u64().unwrap(),
                output["result"].as_u64().unwrap(),
            )
        })
        .collect();

    let expected: BTreeSet<(u64, u64)> = (0..EVENTS).map(|n| (n, (n + 1) * 2 + 3)).collect();
    assert_eq!(outputs, expected);
}
