//! A small hand-written registry for unit tests, independent of the event files under
//! `features/`.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;
use switchyard_runtime::{
    Cancel, Concurrency, Config, Feature, FunctionEntry, Invocation, Registry, Result, Trigger,
};

const DIGEST: Config = Config {
    id: "prepare-digest",
    triggers: &[
        Trigger::cron("TZ=Europe/Paris 0 9 * * *"),
        Trigger::event_if("admin/digest.requested", "event.data.force"),
    ],
    concurrency: Some(Concurrency::keyed(1, "event.data.team")),
    cancel_on: &[Cancel::event("admin/digest.cancelled")],
    ..Config::DEFAULT
};

const INVOICE_SENT: Config = Config {
    id: "invoice-sent",
    name: "Record a sent invoice",
    triggers: &[Trigger::event("billing/invoice.sent")],
    retries: Some(0),
    ..Config::DEFAULT
};

const INVOICE_PAID: Config = Config {
    id: "invoice-paid",
    triggers: &[Trigger::event("billing/invoice.paid")],
    ..Config::DEFAULT
};

fn answer(_: Invocation) -> Pin<Box<dyn Future<Output = Result<Value>> + Send>> {
    Box::pin(async { Ok(Value::Bool(true)) })
}

static FUNCTIONS: [FunctionEntry; 3] = [
    FunctionEntry {
        config: &DIGEST,
        feature: "admin",
        source: "features/admin/events/event-prepare-digest.rs",
        module: "admin_event_prepare_digest",
        handler: answer,
        on_failure: Some(answer),
    },
    FunctionEntry {
        config: &INVOICE_PAID,
        feature: "billing/invoices",
        source: "features/billing/invoices/events/event-invoice-paid.rs",
        module: "billing_invoices_event_invoice_paid",
        handler: answer,
        on_failure: None,
    },
    FunctionEntry {
        config: &INVOICE_SENT,
        feature: "billing/invoices",
        source: "features/billing/invoices/events/event-invoice-sent.rs",
        module: "billing_invoices_event_invoice_sent",
        handler: answer,
        on_failure: None,
    },
];

static FEATURES: [Feature; 2] = [
    Feature {
        name: "admin",
        functions: &[&FUNCTIONS[0]],
    },
    Feature {
        name: "billing/invoices",
        functions: &[&FUNCTIONS[1], &FUNCTIONS[2]],
    },
];

static BY_ID: [(&str, usize); 3] = [
    ("invoice-paid", 1),
    ("invoice-sent", 2),
    ("prepare-digest", 0),
];

/// Three functions in two features: `prepare-digest` (admin; a cron and a filtered event
/// trigger, keyed concurrency, default retries, a cancellation, its own failure handler), `invoice-paid` and `invoice-sent`
/// (billing/invoices; the latter with a name and zero retries).
pub static TEST_REGISTRY: Registry = Registry::new(
    &FUNCTIONS,
    &FEATURES,
    &BY_ID,
    "features/**/events/event-*.rs",
);
