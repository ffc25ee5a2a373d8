//! The example app under `features/`: its registry, its sample events, and what every
//! function does with them when run inline.

use std::fs;
use std::path::{Path, PathBuf};

use futures_executor::block_on;
use serde_json::{json, Value};
use switchyard::registry::REGISTRY;
use switchyard_runtime::{
    invoke_inline, Delivery, Error, Event, InlineOutcome, StepOp, StepRecord, SCHEDULED_TIMER_EVENT,
};

/// The features of the example app, each with at least one function; `conformance` holds
/// the fixture functions the differential tests serve from both us and the official SDK.
const FEATURES: [&str; 8] = [
    "admin",
    "auth",
    "booking",
    "comment",
    "conformance",
    "payment",
    "system",
    "ticket",
];

/// A sample event file: `features/<feature>/samples/<function-id>[--<case>].json`.
///
/// A sample whose event is one of the function's `cancel_on` events is a cancellation
/// sample: it does not start a run, it cancels one (see `tests/engine_app.rs`).
#[derive(Debug)]
struct Sample {
    feature: String,
    function_id: String,
    path: PathBuf,
    event: Event<Value>,
}

impl Sample {
    /// Whether the sample cancels runs of its function rather than starting one.
    fn cancels(&self) -> bool {
        REGISTRY.get(&self.function_id).is_some_and(|entry| {
            entry
                .config
                .cancel_on
                .iter()
                .any(|cancel| cancel.event == self.event.name)
        })
    }
}

fn features_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("features")
}

/// Every sample file under `features/`, sorted by path.
fn all_samples() -> Vec<Sample> {
    let mut folders = Vec::new();
    find_sample_folders(&features_dir(), &mut folders);

    let mut samples = Vec::new();
    for folder in folders {
        let feature = folder
            .parent()
            .unwrap()
            .strip_prefix(features_dir())
            .unwrap();
        let feature = feature.to_str().unwrap().replace('\\', "/");
        for file in fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            let stem = name.strip_suffix(".json").unwrap_or_else(|| {
                panic!("{} is not a .json sample", path.display());
            });
            let function_id = stem.split("--").next().unwrap().to_owned();
            samples.push(Sample {
                feature: feature.clone(),
                function_id,
                event: read_event(&path),
                path,
            });
        }
    }
    samples.sort_by(|a, b| a.path.cmp(&b.path));
    samples
}

fn find_sample_folders(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "samples") {
            found.push(path);
        } else {
            find_sample_folders(&path, found);
        }
    }
}

fn read_event(path: &Path) -> Event<Value> {
    let text = fs::read_to_string(path).unwrap();
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not an event: {error}", path.display()))
}

/// The sample `<feature>/<file>`, such as `payment/refund-initiated--rejected`.
fn sample(name: &str) -> Event<Value> {
    let (feature, file) = name
        .rsplit_once('/')
        .expect("a sample name is `feature/file`");
    read_event(
        &features_dir()
            .join(feature)
            .join("samples")
            .join(format!("{file}.json")),
    )
}

/// Runs the function a sample is named after with that sample.
fn run_sample(name: &str) -> InlineOutcome {
    let id = name.rsplit('/').next().unwrap().split("--").next().unwrap();
    run(id, sample(name))
}

fn run(id: &str, event: Event<Value>) -> InlineOutcome {
    block_on(invoke_inline(&REGISTRY, id, event)).expect("the function is registered")
}

fn output(outcome: &InlineOutcome) -> &Value {
    match &outcome.output {
        Ok(value) => value,
        Err(error) => panic!("the function failed: {error}"),
    }
}

fn error(outcome: &InlineOutcome) -> &Error {
    match &outcome.output {
        Ok(value) => panic!("the function succeeded with {value}"),
        Err(error) => error,
    }
}

fn step<'a>(outcome: &'a InlineOutcome, id: &str) -> &'a StepRecord {
    outcome
        .steps
        .iter()
        .find(|step| step.id == id)
        .unwrap_or_else(|| panic!("no step `{id}` in {:?}", outcome.steps))
}

fn step_ids(outcome: &InlineOutcome) -> Vec<&str> {
    outcome.steps.iter().map(|step| step.id.as_str()).collect()
}

fn recipients(outcome: &InlineOutcome) -> Vec<(&str, &str)> {
    outcome
        .deliveries
        .iter()
        .map(|delivery| (delivery.channel.as_str(), delivery.to.as_str()))
        .collect()
}

fn assert_non_retriable(outcome: &InlineOutcome, fragment: &str) {
    let error = error(outcome);
    assert!(!error.is_retriable(), "{error} should not be retried");
    assert!(
        error.message().contains(fragment),
        "{error} should mention {fragment:?}"
    );
    assert!(
        outcome.deliveries.is_empty(),
        "nothing is delivered after bad data"
    );
}

// The registry and the samples.

#[test]
fn registers_the_whole_app_with_the_failure_handlers_first() {
    let functions = REGISTRY.functions();

    let handlers = functions
        .iter()
        .take_while(|entry| entry.config.is_failure_handler())
        .count();
    let handler_ids: Vec<&str> = functions[..handlers].iter().map(|f| f.id()).collect();
    let features: Vec<&str> = REGISTRY.features().iter().map(|f| f.name).collect();

    assert!(REGISTRY.len() >= 19, "only {} functions", REGISTRY.len());
    assert_eq!(
        handler_ids,
        ["conformance-failure-handler", "handle-any-function-failure"]
    );
    assert!(functions[handlers..]
        .iter()
        .all(|entry| !entry.config.is_failure_handler()));
    assert_eq!(features, FEATURES);
    assert_eq!(REGISTRY.feature("ticket").unwrap().functions.len(), 4);
    assert_eq!(REGISTRY.feature("payment").unwrap().functions.len(), 3);
}

#[test]
fn every_trigger_of_every_function_has_a_sample() {
    let samples = all_samples();

    let mut missing = Vec::new();
    for entry in REGISTRY.functions() {
        for trigger in entry.config.triggers {
            let name = trigger.event_name().unwrap_or(SCHEDULED_TIMER_EVENT);
            let covered = samples.iter().any(|sample| {
                sample.function_id == entry.id()
                    && sample.feature == entry.feature
                    && sample.event.name == name
            });
            if !covered {
                missing.push(format!("{} ({name})", entry.id()));
            }
        }
    }

    assert!(missing.is_empty(), "triggers without a sample: {missing:?}");
}

#[test]
fn every_sample_belongs_to_a_function_and_one_of_its_triggers_or_cancellations() {
    let samples = all_samples();

    let mut stray = Vec::new();
    for sample in &samples {
        let Some(entry) = REGISTRY.get(&sample.function_id) else {
            stray.push(format!(
                "{}: no function with this id",
                sample.path.display()
            ));
            continue;
        };
        let names: Vec<&str> = entry
            .config
            .triggers
            .iter()
            .map(|trigger| trigger.event_name().unwrap_or(SCHEDULED_TIMER_EVENT))
            .collect();
        if entry.feature != sample.feature {
            stray.push(format!(
                "{}: belongs in {}",
                sample.path.display(),
                entry.feature
            ));
        }
        if !names.contains(&sample.event.name.as_str()) && !sample.cancels() {
            stray.push(format!(
                "{}: {} is neither a trigger nor a cancellation",
                sample.path.display(),
                sample.event.name
            ));
        }
    }

    assert!(samples.len() >= 19, "only {} samples", samples.len());
    assert!(stray.is_empty(), "samples that fit no trigger: {stray:?}");
}

#[test]
fn every_sample_runs_to_completion() {
    let samples = all_samples();

    for sample in samples.into_iter().filter(|sample| !sample.cancels()) {
        let outcome = run(&sample.function_id, sample.event);

        let output = outcome.output.unwrap_or_else(|error| {
            panic!("{} fails: {error}", sample.path.display());
        });
        assert!(
            output.is_object(),
            "{} returns {output}",
            sample.path.display()
        );
    }
}

#[test]
fn the_app_uses_every_kind_of_step() {
    let samples = all_samples();

    let mut kinds = Vec::new();
    for sample in samples.into_iter().filter(|sample| !sample.cancels()) {
        for step in run(&sample.function_id, sample.event).steps {
            if !kinds.contains(&step.op) {
                kinds.push(step.op);
            }
        }
    }

    for kind in [
        StepOp::StepRun,
        StepOp::Sleep,
        StepOp::WaitForEvent,
        StepOp::InvokeFunction,
        StepOp::SendEvent,
    ] {
        assert!(kinds.contains(&kind), "no sample takes a {kind:?} step");
    }
}

// system

#[test]
fn failure_handler_alerts_ops_and_pages_billing_for_a_refund_that_fails() {
    let failed = sample("system/handle-any-function-failure");

    let outcome = run("handle-any-function-failure", failed.clone());

    let message = failed.data["error"]["message"].as_str().unwrap();
    assert_eq!(
        output(&outcome),
        &json!({
            "function_id": "switchyard-refund-initiated",
            "run_id": failed.data["run_id"],
            "cause": "bad input: retrying cannot help",
            "paged_billing": true,
        })
    );
    assert_eq!(
        recipients(&outcome),
        [
            ("chat", "ops-alerts"),
            ("email", "billing-oncall@example.com")
        ]
    );
    let alert = &outcome.deliveries[0];
    assert_eq!(alert.subject, "switchyard-refund-initiated failed");
    assert!(alert.body.contains(message));
    assert!(alert
        .body
        .ends_with("Triggered by payment/refund.initiated"));
}

#[test]
fn failure_handler_only_alerts_ops_when_other_functions_run_out_of_retries() {
    let mut failed = sample("system/handle-any-function-failure");
    failed.data["function_id"] = json!("switchyard-ticket-closed");
    failed.data["error"] = json!({"name": "Error", "message": "mail server unavailable"});

    let outcome = run("handle-any-function-failure", failed);

    assert_eq!(output(&outcome)["cause"], "retries exhausted");
    assert_eq!(output(&outcome)["paged_billing"], false);
    assert_eq!(recipients(&outcome), [("chat", "ops-alerts")]);
    assert!(outcome.deliveries[0]
        .body
        .contains("Cause: retries exhausted (Error)"));
}

#[test]
fn the_failure_sample_reports_the_error_the_failed_refund_really_raises() {
    let failed = sample("system/handle-any-function-failure");
    let original: Event<Value> = serde_json::from_value(failed.data["event"].clone()).unwrap();

    let outcome = run("refund-initiated", original);

    assert_eq!(error(&outcome).name(), failed.data["error"]["name"]);
    assert_eq!(error(&outcome).message(), failed.data["error"]["message"]);
}

#[test]
fn a_refund_that_cannot_be_decided_goes_to_a_person_through_its_own_failure_handler() {
    let failed = sample("system/handle-any-function-failure");

    let outcome = run("refund-initiated-failure", failed.clone());

    assert_eq!(
        output(&outcome),
        &json!({ "refund_id": "R-2207", "customer_told": true })
    );
    assert_eq!(
        recipients(&outcome),
        [("chat", "support"), ("email", "billing@acme.example")]
    );
    let message = failed.data["error"]["message"].as_str().unwrap();
    assert_eq!(
        outcome.deliveries[0].subject,
        "Refund R-2207 needs a person"
    );
    assert!(outcome.deliveries[0].body.contains(message));
    assert_eq!(outcome.deliveries[1].subject, "Your refund R-2207");
}

#[test]
fn a_refund_failure_without_a_customer_only_tells_support() {
    let mut failed = sample("system/handle-any-function-failure");
    failed.data["event"]["data"] = json!({ "refund_id": "R-9" });

    let outcome = run("refund-initiated-failure", failed);

    assert_eq!(output(&outcome)["customer_told"], false);
    assert_eq!(recipients(&outcome), [("chat", "support")]);
}

// auth

#[test]
fn sign_up_welcomes_the_user_by_first_name() {
    let outcome = run_sample("auth/sign-up-welcome-email");

    let welcome = &outcome.deliveries[0];
    assert_eq!(
        output(&outcome),
        &json!({"user_id": "usr_5f2a91", "sent": true})
    );
    assert_eq!(
        recipients(&outcome),
        [("email", "maya.lindqvist@example.com")]
    );
    assert_eq!(welcome.subject, "Welcome!");
    assert!(welcome.body.starts_with("Hi Maya, welcome aboard!"));
    assert_eq!(step_ids(&outcome), ["render-email", "send-email"]);
}

#[test]
fn sign_up_with_an_invalid_email_is_not_retried() {
    let mut event = sample("auth/sign-up-welcome-email");
    event.data["email"] = json!("maya.example.com");

    let outcome = run("sign-up-welcome-email", event);

    assert_non_retriable(&outcome, "usr_5f2a91 signed up with invalid email");
}

#[test]
fn email_verified_lists_the_plan_features_and_sends_tips_three_days_later() {
    let outcome = run_sample("auth/email-verified");

    let unlocked = ["support tickets", "bookings", "invoice export"];
    assert_eq!(output(&outcome)["unlocked"], json!(unlocked));
    assert_eq!(
        step_ids(&outcome),
        [
            "list-unlocked-features",
            "send-confirmation",
            "wait-three-days",
            "send-tips"
        ]
    );
    assert_eq!(
        step(&outcome, "wait-three-days").output,
        json!({"seconds": 3 * 86_400})
    );
    let subjects: Vec<&str> = outcome
        .deliveries
        .iter()
        .map(|d| d.subject.as_str())
        .collect();
    assert_eq!(subjects, ["Email verified", "Getting started"]);
    assert!(outcome.deliveries[0]
        .body
        .ends_with(&format!("{}.", unlocked.join(", "))));
    assert!(outcome.deliveries[1].body.contains("open invoice export"));
}

#[test]
fn email_verified_unlocks_more_on_bigger_plans() {
    let cases = [
        ("free", vec!["support tickets", "bookings"]),
        ("pro", vec!["support tickets", "bookings", "invoice export"]),
        (
            "team",
            vec![
                "support tickets",
                "bookings",
                "invoice export",
                "shared inbox",
            ],
        ),
    ];

    for (plan, expected) in cases {
        let mut event = sample("auth/email-verified");
        event.data["plan"] = json!(plan);

        let outcome = run("email-verified", event);

        assert_eq!(output(&outcome)["unlocked"], json!(expected), "plan {plan}");
    }
}

#[test]
fn email_verified_with_an_unknown_plan_is_not_retried() {
    let mut event = sample("auth/email-verified");
    event.data["plan"] = json!("platinum");

    let outcome = run("email-verified", event);

    assert_non_retriable(
        &outcome,
        "`auth/user.email-verified` has invalid data at `data.plan`",
    );
}

#[test]
fn password_reset_emails_an_expiring_link_naming_the_requesting_address() {
    let event = sample("auth/password-reset");
    let token = event.data["token"].as_str().unwrap().to_owned();

    let outcome = run("password-reset", event);

    let link = format!("https://app.example.com/reset-password?token={token}");
    assert_eq!(output(&outcome)["link"], link);
    assert_eq!(
        recipients(&outcome),
        [("email", "maya.lindqvist@example.com")]
    );
    let email = &outcome.deliveries[0];
    assert!(email.body.starts_with("Someone at 203.0.113.42 asked"));
    assert!(email.body.contains(&format!("within 30 minutes: {link}")));
}

#[test]
fn password_reset_without_a_token_is_not_retried() {
    let mut event = sample("auth/password-reset");
    event.data["token"] = json!("  ");

    let outcome = run("password-reset", event);

    assert_non_retriable(&outcome, "user usr_5f2a91 has an empty token");
}

// admin

#[test]
fn requested_digest_counts_totals_and_ranks_customers() {
    let outcome = run_sample("admin/prepare-admin-digest--requested");

    let digest = &output(&outcome)["digest"];
    assert_eq!(digest["total_events"], 11);
    assert_eq!(digest["counts"]["payment"], 5);
    assert_eq!(digest["counts"]["ticket_opened"], 2);
    assert_eq!(
        digest["revenue_cents"],
        45_000 + 12_900 + 8_000 + 12_900 + 3_500
    );
    assert_eq!(digest["refunds_cents"], 2_500);
    assert_eq!(digest["net_cents"], 82_300 - 2_500);
    // Globex and Initech tie on revenue and are ranked by name.
    assert_eq!(
        digest["top_customers"],
        json!([
            {"name": "Acme Corp", "revenue_cents": 53_000},
            {"name": "Globex", "revenue_cents": 12_900},
            {"name": "Initech", "revenue_cents": 12_900},
        ])
    );
}

#[test]
fn prepared_digest_is_sent_as_the_event_the_senders_samples_hold() {
    let outcome = run_sample("admin/prepare-admin-digest--requested");

    let announce = step(&outcome, "announce-digest");
    assert_eq!(announce.op, StepOp::SendEvent);
    assert_eq!(announce.output[0]["name"], "admin/digest.prepared");
    assert_eq!(announce.output[0]["data"], output(&outcome)["digest"]);
    for sender in ["send-admin-digest-email", "send-admin-digest-chat"] {
        let sample = sample(&format!("admin/{sender}"));
        assert_eq!(
            announce.output[0]["data"], sample.data,
            "{sender} sample is stale"
        );
    }
    assert_eq!(output(&outcome)["event_ids"].as_array().unwrap().len(), 1);
}

#[test]
fn scheduled_digest_runs_from_the_timer_and_announces_an_empty_period() {
    let outcome = run_sample("admin/prepare-admin-digest");

    let digest = &output(&outcome)["digest"];
    assert_eq!(digest["period"], "since the last digest");
    assert_eq!(digest["total_events"], 0);
    assert_eq!(digest["top_customers"], json!([]));
    assert_eq!(step_ids(&outcome), ["compute-digest", "announce-digest"]);
}

#[test]
fn digest_with_a_negative_amount_is_not_retried() {
    let mut event = sample("admin/prepare-admin-digest--requested");
    event.data["activity"][2]["amount_cents"] = json!(-12_900);

    let outcome = run("prepare-admin-digest", event);

    assert_non_retriable(&outcome, "activity 2 (payment) has a negative amount");
}

#[test]
fn digest_email_lists_counts_totals_and_top_customers() {
    let outcome = run_sample("admin/send-admin-digest-email");

    let email = &outcome.deliveries[0];
    assert_eq!(recipients(&outcome), [("email", "admins@example.com")]);
    assert_eq!(email.subject, "Admin digest: 2026-03-02");
    for line in [
        "  payment: 5",
        "  ticket_opened: 2",
        "Revenue: 823.00 EUR",
        "Refunds: 25.00 EUR",
        "Net: 798.00 EUR",
        "  1. Acme Corp: 530.00 EUR",
        "  3. Initech: 129.00 EUR",
    ] {
        assert!(
            email.body.lines().any(|l| l == line),
            "no line {line:?} in\n{}",
            email.body
        );
    }
    assert_eq!(output(&outcome)["lines"], email.body.lines().count());
}

#[test]
fn digest_email_of_a_quiet_period_says_so() {
    let scheduled = run_sample("admin/prepare-admin-digest");
    let digest = output(&scheduled)["digest"].clone();

    let outcome = run(
        "send-admin-digest-email",
        Event::new("admin/digest.prepared", digest),
    );

    assert_eq!(
        outcome.deliveries[0].subject,
        "Admin digest: since the last digest"
    );
    assert_eq!(
        outcome.deliveries[0].body,
        "A quiet period: no activity was recorded."
    );
}

#[test]
fn digest_chat_posts_one_line_and_only_for_busy_periods() {
    let outcome = run_sample("admin/send-admin-digest-chat");

    let trigger = REGISTRY
        .get("send-admin-digest-chat")
        .unwrap()
        .config
        .triggers[0];
    let post = "11 events, net 798.00 EUR; top customer Acme Corp";
    assert_eq!(output(&outcome)["post"], post);
    assert_eq!(
        outcome.deliveries,
        [Delivery::chat("admin-digest", "Digest 2026-03-02", post)]
    );
    assert_eq!(
        serde_json::to_value(trigger).unwrap()["if"],
        "event.data.total_events > 0"
    );
}

#[test]
fn digest_chat_shows_a_negative_net_with_its_sign() {
    let mut event = sample("admin/send-admin-digest-chat");
    event.data["net_cents"] = json!(-1_250);
    event.data["top_customers"] = json!([]);

    let outcome = run("send-admin-digest-chat", event);

    assert_eq!(output(&outcome)["post"], "11 events, net -12.50 EUR");
}

// ticket

#[test]
fn new_ticket_gets_a_deadline_an_acknowledgement_and_an_escalation() {
    let event = sample("ticket/ticket-created");
    let created_at = event.data["created_at"].as_i64().unwrap();

    let outcome = run("ticket-created", event);

    // High priority is 4 hours, halved for an enterprise customer.
    assert_eq!(output(&outcome)["response_hours"], 2);
    assert_eq!(output(&outcome)["due_at"], created_at + 2 * 3600);
    assert_eq!(output(&outcome)["escalated"], true);
    assert_eq!(
        step(&outcome, "wait-for-assignment").output,
        json!({
            "event": "ticket/ticket.assigned",
            "timeout_seconds": 2 * 3600,
            "if": "async.data.ticket_id == event.data.ticket_id",
            "matched": null,
        })
    );
    assert_eq!(
        recipients(&outcome),
        [("email", "ops@acme.example"), ("chat", "support-leads")]
    );
    assert!(outcome.deliveries[0]
        .body
        .ends_with("We will reply within 2 hours."));
    assert_eq!(
        outcome.deliveries[1].subject,
        "[T-2041] unassigned past its deadline"
    );
}

#[test]
fn ticket_deadline_depends_on_priority_and_tier() {
    let cases = [
        ("urgent", "free", 1),
        ("urgent", "enterprise", 1),
        ("high", "pro", 4),
        ("normal", "enterprise", 12),
        ("normal", "free", 24),
        ("low", "pro", 72),
    ];

    for (priority, tier, hours) in cases {
        let mut event = sample("ticket/ticket-created");
        event.data["priority"] = json!(priority);
        event.data["customer_tier"] = json!(tier);

        let outcome = run("ticket-created", event);

        assert_eq!(
            output(&outcome)["response_hours"],
            hours,
            "{priority} for {tier}"
        );
    }
}

#[test]
fn ticket_with_an_unknown_priority_is_not_retried() {
    let mut event = sample("ticket/ticket-created");
    event.data["priority"] = json!("whenever");

    let outcome = run("ticket-created", event);

    assert_non_retriable(
        &outcome,
        "`ticket/ticket.created` has invalid data at `data.priority`",
    );
}

#[test]
fn ticket_update_tells_watchers_but_the_editor_and_alerts_leads_when_urgent() {
    let outcome = run_sample("ticket/ticket-updated");

    let summary = "status: open -> pending\npriority: high -> urgent";
    assert_eq!(output(&outcome)["changed"], json!(["status", "priority"]));
    assert_eq!(output(&outcome)["raised_to_urgent"], true);
    assert_eq!(
        recipients(&outcome),
        [
            ("email", "lee.okafor@support.example.com"),
            ("email", "ops@acme.example"),
            ("chat", "support-leads"),
        ]
    );
    assert_eq!(
        outcome.deliveries[0].subject,
        "[T-2041] Updated: status, priority"
    );
    assert_eq!(outcome.deliveries[0].body, summary);
}

#[test]
fn ticket_update_without_changes_notifies_nobody() {
    let mut event = sample("ticket/ticket-updated");
    event.data["changes"] = json!([]);

    let outcome = run("ticket-updated", event);

    assert_eq!(output(&outcome)["notified"], json!([]));
    assert!(outcome.steps.is_empty());
    assert!(outcome.deliveries.is_empty());
}

#[test]
fn assignment_notifies_the_agent_and_flags_an_overload() {
    let event = sample("ticket/ticket-assigned");
    let open_before = event.data["open_tickets"].as_u64().unwrap();

    let outcome = run("ticket-assigned", event);

    assert_eq!(output(&outcome)["open_tickets"], open_before + 1);
    assert_eq!(output(&outcome)["overloaded"], true);
    assert_eq!(
        recipients(&outcome),
        [
            ("email", "lee.okafor@support.example.com"),
            ("chat", "support-leads")
        ]
    );
    assert!(outcome.deliveries[0]
        .body
        .ends_with("You now have 9 open tickets."));
    assert_eq!(
        outcome.deliveries[1].body,
        "Lee Okafor now has 9 open tickets (limit 8)."
    );
}

#[test]
fn self_assignment_with_a_light_load_sends_nothing() {
    let mut event = sample("ticket/ticket-assigned");
    event.data["assigned_by"] = event.data["assignee"]["email"].clone();
    event.data["open_tickets"] = json!(2);

    let outcome = run("ticket-assigned", event);

    assert_eq!(output(&outcome)["notified"], false);
    assert_eq!(output(&outcome)["overloaded"], false);
    assert_eq!(step_ids(&outcome), ["check-workload"]);
    assert!(outcome.deliveries.is_empty());
}

#[test]
fn closed_ticket_reports_the_resolution_time_then_asks_for_feedback_a_day_later() {
    let event = sample("ticket/ticket-closed");
    let opened = event.data["opened_at"].as_i64().unwrap();
    let closed = event.data["closed_at"].as_i64().unwrap();

    let outcome = run("ticket-closed", event);

    assert_eq!(
        output(&outcome)["resolution_minutes"],
        (closed - opened) / 60
    );
    assert_eq!(
        step_ids(&outcome),
        [
            "measure-resolution",
            "send-resolution",
            "wait-before-survey",
            "send-survey"
        ]
    );
    assert_eq!(
        step(&outcome, "wait-before-survey").output,
        json!({"seconds": 86_400})
    );
    assert!(outcome.deliveries[0].body.contains("in 1d 3h 20m."));
    assert!(outcome.deliveries[1]
        .body
        .ends_with("https://support.example.com/survey/T-2041"));
}

#[test]
fn ticket_closed_before_it_opened_is_not_retried() {
    let mut event = sample("ticket/ticket-closed");
    event.data["closed_at"] = json!(event.data["opened_at"].as_i64().unwrap() - 60);

    let outcome = run("ticket-closed", event);

    assert_non_retriable(&outcome, "ticket T-2041 is closed before it was opened");
}

// comment

#[test]
fn posted_comment_notifies_mentioned_participants_only() {
    let outcome = run_sample("comment/comment-posted");

    // `@dana` is the author and `ops@acme.example` is an address, not a mention.
    assert_eq!(
        step(&outcome, "extract-mentions").output,
        json!(["lee", "priya.n", "ghost"])
    );
    assert_eq!(output(&outcome)["mentioned"], json!(["lee", "priya.n"]));
    assert_eq!(output(&outcome)["unknown"], json!(["ghost"]));
    assert_eq!(
        recipients(&outcome),
        [
            ("email", "lee.okafor@support.example.com"),
            ("email", "priya.nair@support.example.com"),
        ]
    );
    assert_eq!(
        outcome.deliveries[1].subject,
        "Dana Whitfield mentioned you on T-2041"
    );
    assert!(outcome.deliveries[1]
        .body
        .starts_with("Hi Priya Nair,\n\n> @lee can you"));
}

#[test]
fn comment_mentions_are_read_case_insensitively_and_once() {
    let cases = [
        ("thanks @Lee and @lee again", vec!["lee"]),
        ("@lee, @priya.n.", vec!["lee", "priya.n"]),
        ("mail me at lee@support.example.com", vec![]),
        ("a lone @ sign", vec![]),
    ];

    for (body, expected) in cases {
        let mut event = sample("comment/comment-posted");
        event.data["body"] = json!(body);

        let outcome = run("comment-posted", event);

        assert_eq!(output(&outcome)["mentioned"], json!(expected), "{body:?}");
    }
}

#[test]
fn comment_with_an_empty_body_is_not_retried() {
    let mut event = sample("comment/comment-posted");
    event.data["body"] = json!("  \n");

    let outcome = run("comment-posted", event);

    assert_non_retriable(&outcome, "comment C-9001 has an empty body");
}

#[test]
fn late_comment_edit_tells_the_other_watchers_what_changed() {
    let outcome = run_sample("comment/comment-updated");

    // `every`, `hour` and `not` were added; nothing was removed.
    assert_eq!(
        output(&outcome)["diff"],
        json!({"words_added": 3, "words_removed": 0, "minutes_after_post": 21})
    );
    assert_eq!(
        output(&outcome)["notified"],
        json!(["dana.whitfield@support.example.com", "ops@acme.example"])
    );
    assert!(outcome.deliveries[0]
        .body
        .contains("21 minutes after posting it (+3 / -0 words)"));
}

#[test]
fn comment_edit_within_the_grace_period_notifies_nobody() {
    let mut event = sample("comment/comment-updated");
    event.data["edited_at"] = json!(event.data["posted_at"].as_i64().unwrap() + 4 * 60);

    let outcome = run("comment-updated", event);

    assert_eq!(output(&outcome)["notified"], json!([]));
    assert_eq!(step_ids(&outcome), ["compare-versions"]);
    assert!(outcome.deliveries.is_empty());
}

#[test]
fn moderated_comment_tells_the_author_why_and_logs_it() {
    let outcome = run_sample("comment/comment-deleted");

    let reason = "it contained a full card number";
    assert_eq!(output(&outcome)["moderated"], true);
    assert_eq!(
        recipients(&outcome),
        [
            ("email", "sam.reyes@acme.example"),
            ("chat", "moderation-log")
        ]
    );
    assert!(outcome.deliveries[0]
        .body
        .ends_with(&format!("comment C-9003: {reason}.")));
    assert_eq!(outcome.deliveries[1].subject, "Priya Nair deleted C-9003");
}

#[test]
fn comment_deleted_by_its_author_is_not_reported() {
    let outcome = run_sample("comment/comment-deleted--by-author");

    assert_eq!(
        output(&outcome),
        &json!({"comment_id": "C-9004", "moderated": false})
    );
    assert!(outcome.deliveries.is_empty());
}

#[test]
fn customer_deleting_another_users_comment_is_not_retried() {
    let mut event = sample("comment/comment-deleted");
    event.data["deleted_by"] = json!({
        "id": "usr_91", "name": "Kim Park", "email": "kim@acme.example", "role": "customer"
    });

    let outcome = run("comment-deleted", event);

    assert_non_retriable(&outcome, "customer usr_91 may not delete comment C-9003");
}

// payment

#[test]
fn payment_sends_an_itemized_receipt_and_confirms_its_booking() {
    let outcome = run_sample("payment/payment-processed");

    assert_eq!(
        output(&outcome)["receipt_lines"],
        json!([
            "1 x Orion meeting room, half day: 320.00 EUR",
            "4 x Catering per person: 100.00 EUR",
            "1 x Projector: 30.00 EUR",
        ])
    );
    assert_eq!(recipients(&outcome), [("email", "billing@acme.example")]);
    assert!(outcome.deliveries[0].body.ends_with("Total: 450.00 EUR"));
    assert_eq!(
        step(&outcome, "confirm-booking-payment").output,
        json!([{
            "name": "booking/payment.confirmed",
            "data": {
                "booking_id": "BK-1042",
                "payment_id": "P-8812",
                "amount_cents": 45_000,
                "paid_at": 1_772_447_000,
            },
        }])
    );
}

#[test]
fn payment_without_a_booking_sends_no_event() {
    let mut event = sample("payment/payment-processed");
    event.data.as_object_mut().unwrap().remove("booking_id");

    let outcome = run("payment-processed", event);

    assert_eq!(step_ids(&outcome), ["check-total", "send-receipt"]);
}

#[test]
fn payment_whose_items_do_not_add_up_is_not_retried() {
    let mut event = sample("payment/payment-processed");
    event.data["amount_cents"] = json!(40_000);

    let outcome = run("payment-processed", event);

    assert_non_retriable(
        &outcome,
        "payment P-8812 charged 400.00 EUR but its items total 450.00 EUR",
    );
}

#[test]
fn refund_within_the_window_is_approved() {
    let outcome = run_sample("payment/refund-initiated");

    assert_eq!(output(&outcome)["days_since_purchase"], 10);
    assert_eq!(output(&outcome)["decision"], json!({"outcome": "approve"}));
    assert_eq!(recipients(&outcome), [("email", "billing@acme.example")]);
    assert!(outcome.deliveries[0]
        .body
        .contains("your refund of 100.00 EUR is approved"));
}

#[test]
fn refund_past_its_window_is_rejected_with_the_reason() {
    let outcome = run_sample("payment/refund-initiated--rejected");

    let why = "it was bought 20 days ago and the limit is 14 days";
    assert_eq!(
        output(&outcome)["decision"],
        json!({"outcome": "reject", "why": why})
    );
    assert_eq!(outcome.deliveries[0].subject, "Your refund R-2214");
    assert!(outcome.deliveries[0].body.ends_with(&format!("{why}.")));
}

#[test]
fn large_refund_opens_a_review_ticket_by_invoking_ticket_created() {
    let event = sample("payment/refund-initiated--manual-review");
    let requested_at = event.data["requested_at"].as_i64().unwrap();

    let outcome = run("refund-initiated", event);

    let invoked = step(&outcome, "open-review-ticket");
    assert_eq!(invoked.op, StepOp::InvokeFunction);
    assert_eq!(invoked.output["due_at"], requested_at + 2 * 3600);
    assert_eq!(
        output(&outcome)["decision"],
        json!({"outcome": "review", "why": "large amount"})
    );
    assert_eq!(
        output(&outcome)["review_ticket"],
        json!({"ticket_id": "T-R-2210", "response_hours": 2})
    );
    // The invoked function acknowledges the customer and escalates the unassigned ticket.
    assert_eq!(
        recipients(&outcome),
        [("email", "billing@acme.example"), ("chat", "support-leads")]
    );
    assert!(outcome.deliveries[0]
        .body
        .contains("Refund R-2210 of 600.00 EUR needs review"));
}

#[test]
fn refund_rules_weigh_reason_days_and_amount() {
    let cases = [
        ("duplicate", 200, 10_000, "approve"),
        ("defective", 90, 10_000, "approve"),
        ("defective", 91, 10_000, "reject"),
        ("not_as_described", 30, 50_000, "approve"),
        ("not_as_described", 30, 50_001, "review"),
        ("changed_mind", 14, 10_000, "approve"),
        ("changed_mind", 15, 10_000, "reject"),
        ("fraud", 1, 1_000, "review"),
    ];

    for (reason, days, amount, expected) in cases {
        let mut event = sample("payment/refund-initiated");
        let purchased_at = event.data["purchased_at"].as_i64().unwrap();
        event.data["reason"] = json!(reason);
        event.data["requested_at"] = json!(purchased_at + days * 86_400);
        event.data["amount_cents"] = json!(amount);
        event.data["payment_amount_cents"] = json!(100_000);

        let outcome = run("refund-initiated", event);

        let outcome_name = &output(&outcome)["decision"]["outcome"];
        assert_eq!(
            outcome_name, expected,
            "{reason} after {days} days for {amount}"
        );
    }
}

#[test]
fn refund_larger_than_its_payment_or_not_positive_is_not_retried() {
    for amount in [45_001, 0, -500] {
        let mut event = sample("payment/refund-initiated");
        event.data["amount_cents"] = json!(amount);

        let outcome = run("refund-initiated", event);

        assert_non_retriable(&outcome, "does not fit payment P-8812 of 450.00 EUR");
    }
}

#[test]
fn failed_payment_is_retried_on_a_schedule_until_the_account_is_suspended() {
    let cases = [
        (1, json!(1), false),
        (2, json!(3), false),
        (3, json!(5), false),
        (4, json!(null), true),
    ];

    for (attempt, retry_in_days, suspended) in cases {
        let mut event = sample("payment/payment-failed");
        event.data["attempt"] = json!(attempt);

        let outcome = run("payment-failed", event);

        assert_eq!(
            output(&outcome)["retry_in_days"],
            retry_in_days,
            "attempt {attempt}"
        );
        assert_eq!(
            output(&outcome)["suspended"],
            suspended,
            "attempt {attempt}"
        );
    }
}

#[test]
fn failed_payment_explains_the_decline_and_says_when_it_retries() {
    let outcome = run_sample("payment/payment-failed");

    assert_eq!(recipients(&outcome), [("email", "accounts@globex.example")]);
    assert_eq!(
        outcome.deliveries[0].body,
        "Hi Globex, we could not charge 49.00 EUR: your bank declined the card. \
         We will try again tomorrow."
    );
}

#[test]
fn last_failed_payment_suspends_the_account_and_alerts_billing() {
    let outcome = run_sample("payment/payment-failed--final");

    assert_eq!(output(&outcome)["suspended"], true);
    assert_eq!(
        recipients(&outcome),
        [("email", "accounts@globex.example"), ("chat", "billing")]
    );
    assert!(outcome.deliveries[0]
        .body
        .contains("the card has expired. Your subscription"));
    assert_eq!(
        outcome.deliveries[1].body,
        "Payment P-8855 of 49.00 EUR failed 4 times (expired_card)."
    );
}

#[test]
fn failed_payment_at_attempt_zero_is_not_retried() {
    let mut event = sample("payment/payment-failed");
    event.data["attempt"] = json!(0);

    let outcome = run("payment-failed", event);

    assert_non_retriable(&outcome, "payment P-8855 reports attempt 0");
}

// booking

#[test]
fn booking_is_held_for_payment_and_released_when_none_arrives() {
    let event = sample("booking/booking-created");
    let hold_seconds = event.data["hold_minutes"].as_u64().unwrap() * 60;

    let outcome = run("booking-created", event);

    assert_eq!(output(&outcome)["status"], "expired");
    let wait = step(&outcome, "wait-for-payment");
    assert_eq!(wait.op, StepOp::WaitForEvent);
    assert_eq!(wait.output["event"], "booking/payment.confirmed");
    assert_eq!(wait.output["timeout_seconds"], hold_seconds);
    assert_eq!(
        wait.output["if"],
        "async.data.booking_id == event.data.booking_id"
    );
    let subjects: Vec<&str> = outcome
        .deliveries
        .iter()
        .map(|d| d.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        [
            "Booking BK-1042: please pay to confirm",
            "Booking BK-1042 expired"
        ]
    );
    assert!(outcome.deliveries[0]
        .body
        .contains("for 30 minutes. Pay 450.00 EUR"));
}

#[test]
fn booking_waits_for_the_event_that_payment_processed_sends() {
    let payment = run_sample("payment/payment-processed");
    let booking = run_sample("booking/booking-created");

    let sent = &step(&payment, "confirm-booking-payment").output[0];
    let waited = &step(&booking, "wait-for-payment").output;
    assert_eq!(sent["name"], waited["event"]);
    assert_eq!(
        sent["data"]["booking_id"],
        sample("booking/booking-created").data["booking_id"]
    );
}

#[test]
fn booking_that_ends_before_it_starts_is_not_retried() {
    let mut event = sample("booking/booking-created");
    event.data["ends_at"] = event.data["starts_at"].clone();

    let outcome = run("booking-created", event);

    assert_non_retriable(&outcome, "booking BK-1042 ends before it starts");
}

#[test]
fn confirmed_booking_is_confirmed_then_reminded_the_day_before() {
    let event = sample("booking/booking-confirmed");
    let starts_at = event.data["starts_at"].as_i64().unwrap();

    let outcome = run("booking-confirmed", event);

    assert_eq!(
        output(&outcome),
        &json!({"booking_id": "BK-1042", "minutes": 270, "reminded": true})
    );
    assert_eq!(
        step(&outcome, "wait-for-reminder").output,
        json!({"until_unix": starts_at - 86_400})
    );
    assert_eq!(
        outcome.deliveries[0].body,
        "Hi Acme Corp, Orion meeting room is yours for 4h 30m (payment P-8812)."
    );
    assert_eq!(
        outcome.deliveries[1].subject,
        "Reminder: Orion meeting room tomorrow"
    );
}

#[test]
fn booking_confirmed_on_short_notice_gets_no_reminder() {
    let outcome = run_sample("booking/booking-confirmed--short-notice");

    assert_eq!(output(&outcome)["reminded"], false);
    assert_eq!(step_ids(&outcome), ["send-confirmation"]);
    assert_eq!(outcome.deliveries.len(), 1);
}
