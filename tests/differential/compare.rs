//! Normalizing answers so the two servers can be compared, and the differences we allow.
//!
//! What legitimately differs between two SDKs (their name and version, timings, stack traces,
//! header case) is normalized away. Every other difference we keep on purpose is an
//! [`Allowed`] rule with its reason; a rule records each time it fires and on which side, and
//! a [`Report`] asserts at the end that each rule fired only on the side it names, so a rule
//! cannot silently hide a new difference or outlive the one it was written for.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::client::Reply;
use crate::servers::Kind;

/// On which side an allowed difference shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Only our answers need the rule.
    Ours,
    /// Only the JS peer's answers need the rule.
    Peer,
    /// Both sides need it, each in its own way.
    Both,
}

impl Side {
    fn allows(self, kind: Kind) -> bool {
        matches!(
            (self, kind),
            (Side::Both, _) | (Side::Ours, Kind::Ours) | (Side::Peer, Kind::Peer)
        )
    }
}

/// A difference we keep on purpose.
#[derive(Debug)]
pub struct Allowed {
    /// Short name used where the rule is applied.
    pub id: &'static str,
    /// Where the difference shows.
    pub side: Side,
    /// Why we differ.
    pub reason: &'static str,
}

/// Every allowed difference, with its reason.
pub const ALLOWED: &[Allowed] = &[
    Allowed {
        id: "stack-trace",
        side: Side::Peer,
        reason: "the JS SDK puts stack traces in serialized errors; we never send one, since \
                 a trace leaks internal paths (issue 3, Security)",
    },
    Allowed {
        id: "js-serialized-marker",
        side: Side::Peer,
        reason: "the JS SDK marks errors it serialized with `__serialized: true` for its own \
                 deserializer; Inngest ignores the key",
    },
    Allowed {
        id: "step-timing",
        side: Side::Peer,
        reason: "the JS SDK reports a `timing` span on ops of executed steps; it is optional \
                 and holds wall-clock times that differ on every call",
    },
];

fn rule(id: &str) -> &'static Allowed {
    ALLOWED
        .iter()
        .find(|rule| rule.id == id)
        .unwrap_or_else(|| panic!("no allowed difference named `{id}`"))
}

/// Mismatches and rule firings collected over one test.
#[derive(Default)]
pub struct Report {
    mismatches: Vec<String>,
    fired: BTreeMap<&'static str, (u32, u32)>,
    compared: usize,
}

impl Report {
    /// Records that rule `id` changed an answer of `kind`.
    pub fn fire(&mut self, id: &str, kind: Kind) {
        let rule = rule(id);
        let counts = self.fired.entry(rule.id).or_default();
        match kind {
            Kind::Ours => counts.0 += 1,
            Kind::Peer => counts.1 += 1,
        }
    }

    /// Compares two normalized answers to the same request.
    pub fn compare(&mut self, what: &str, ours: &Value, peer: &Value) {
        self.compared += 1;
        if ours != peer {
            self.mismatches.push(format!(
                "{what}\n  ours: {}\n  peer: {}",
                compact(ours),
                compact(peer)
            ));
        }
    }

    /// Records a difference found outside [`Report::compare`].
    pub fn mismatch(&mut self, message: String) {
        self.mismatches.push(message);
    }

    /// Asserts that nothing differed, that every rule fired only on its side, and that each
    /// rule of `expected` fired at least once.
    ///
    /// # Panics
    ///
    /// Panics with every mismatch and misplaced rule.
    pub fn finish(self, expected: &[&str]) {
        let mut problems = self.mismatches;
        for (id, (ours, peer)) in &self.fired {
            let rule = rule(id);
            if (*ours > 0 && !rule.side.allows(Kind::Ours))
                || (*peer > 0 && !rule.side.allows(Kind::Peer))
            {
                problems.push(format!(
                    "allowed difference `{id}` is for {:?} but fired {ours} times on ours and \
                     {peer} times on the peer",
                    rule.side
                ));
            }
        }
        for id in expected {
            let rule = rule(id);
            let (ours, peer) = self.fired.get(rule.id).copied().unwrap_or_default();
            let missing = match rule.side {
                Side::Ours => ours == 0,
                Side::Peer => peer == 0,
                Side::Both => ours == 0 || peer == 0,
            };
            if missing {
                problems.push(format!(
                    "allowed difference `{id}` never showed on the side it names; remove it \
                     if the difference is gone"
                ));
            }
        }

        assert!(
            problems.is_empty(),
            "{} of {} comparisons or rules failed:\n\n{}",
            problems.len(),
            self.compared,
            problems.join("\n\n")
        );
        assert!(self.compared > 0, "nothing was compared");
    }
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 3000 {
        format!("{}...", &text[..3000])
    } else {
        text
    }
}

/// The protocol headers of an answer: values where both sides must agree on them, presence
/// where the value names the SDK or changes with time.
pub fn headers(reply: &Reply) -> Value {
    let mut headers = Map::new();
    for name in [
        "x-inngest-no-retry",
        "x-inngest-req-version",
        "x-inngest-sdk-handled",
        "x-inngest-sync-kind",
        "retry-after",
    ] {
        if let Some(value) = reply.header(name) {
            headers.insert(name.to_owned(), json!(value));
        }
    }
    for name in [
        "x-inngest-sdk",
        "x-inngest-signature",
        "x-inngest-framework",
    ] {
        if reply.header(name).is_some() {
            headers.insert(name.to_owned(), json!("<present>"));
        }
    }
    if let Some(kind) = reply.header("content-type") {
        let essence = kind.split(';').next().unwrap_or_default().trim();
        headers.insert("content-type".to_owned(), json!(essence));
    }
    Value::Object(headers)
}

/// The status, protocol headers and normalized body of an answer to a call request.
pub fn call_reply(reply: &Reply, kind: Kind, report: &mut Report) -> Value {
    let mut body = reply.json();
    if reply.status == 206 {
        if let Some(ops) = body.as_array_mut() {
            for op in ops.iter_mut().filter_map(Value::as_object_mut) {
                if op.remove("timing").is_some() {
                    report.fire("step-timing", kind);
                }
            }
        }
    }
    strip_error_extras(&mut body, kind, report);

    json!({ "status": reply.status, "headers": headers(reply), "body": body })
}

/// Removes stack traces and serializer markers from every error object in `value`.
pub fn strip_error_extras(value: &mut Value, kind: Kind, report: &mut Report) {
    match value {
        Value::Object(object) => {
            let is_error = object.get("name").is_some_and(Value::is_string)
                && object.get("message").is_some_and(Value::is_string);
            if is_error {
                if object.remove("stack").is_some() {
                    report.fire("stack-trace", kind);
                }
                if object.remove("__serialized").is_some() {
                    report.fire("js-serialized-marker", kind);
                }
            }
            for child in object.values_mut() {
                strip_error_extras(child, kind, report);
            }
        }
        Value::Array(items) => {
            for item in items {
                strip_error_extras(item, kind, report);
            }
        }
        _ => {}
    }
}
