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
        reason: "the JS SDK reports an optional `timing` span on ops of executed steps, with \
                 wall-clock times that differ on every call",
    },
    Allowed {
        id: "whole-app",
        side: Side::Ours,
        reason: "our binary serves every feature of the example app, the peer only the \
                 conformance functions: function lists keep the conformance functions and \
                 our `function_count` is checked against our registry",
    },
    Allowed {
        id: "introspection-extra",
        side: Side::Peer,
        reason: "the JS SDK reports details of its JavaScript runtime under `extra`",
    },
    Allowed {
        id: "introspection-all-fields",
        side: Side::Ours,
        reason: "we send every field of the introspection shape in the spec \
                 (`has_signing_key_fallback`, and `authentication_succeeded: null` when \
                 nothing was checked); JS 4.24 leaves them out",
    },
    Allowed {
        id: "capabilities",
        side: Side::Both,
        reason: "we announce `in_band_sync` (served by both, announced by the Python and Go \
                 SDKs) and not `connect`, since we have no Connect transport",
    },
    Allowed {
        id: "key-hash-length",
        side: Side::Ours,
        reason: "introspection shows the full SHA-256 of the signing keys, as the Python SDK \
                 does; JS shows its first 12 hex digits. Both sides must share the prefix",
    },
    Allowed {
        id: "feature-observations",
        side: Side::Peer,
        reason: "the JS SDK adds `featureObservations`, telemetry about its own optional \
                 features, to sync payloads",
    },
    Allowed {
        id: "in-band-platform",
        side: Side::Ours,
        reason: "our in-band sync answer writes `platform: null` when no hosting platform is \
                 detected, as the spec's shape has it; JS leaves the key out",
    },
    Allowed {
        id: "deploy-id",
        side: Side::Peer,
        reason: "JS keeps `deployId` in the app and step URLs and the payload; the spec says \
                 the URL must not carry it, so we only forward it as a query parameter",
    },
    Allowed {
        id: "sync-message",
        side: Side::Both,
        reason: "a successful out-of-band sync answers the spec's `Successfully synced.`; \
                 JS words it `Successfully registered`",
    },
    Allowed {
        id: "dev-bearer",
        side: Side::Peer,
        reason: "without a signing key JS sends `Authorization: Bearer undefined`; we send no \
                 Authorization header",
    },
    Allowed {
        id: "wait-event-opt",
        side: Side::Ours,
        reason: "our WaitForEvent ops repeat the event name in `opts.event`, which the \
                 executor accepts and Inngest's conformance case `wait-for-event-basic` \
                 expects; JS sends it only as `name`",
    },
    Allowed {
        id: "invoke-name",
        side: Side::Ours,
        reason: "our InvokeFunction ops carry `name` (the step id) like every other op; JS \
                 leaves it out and the executor does not read it",
    },
    Allowed {
        id: "protocol-error-wording",
        side: Side::Both,
        reason: "errors about the request itself (unknown function or step, bad body, \
                 method) are worded by each SDK; both must name the same facts",
    },
    Allowed {
        id: "no-retry-header",
        side: Side::Ours,
        reason: "we send `X-Inngest-No-Retry` on every error answer (PROTOCOL.md 10.1); JS \
                 leaves it out when the function is unknown",
    },
    Allowed {
        id: "malformed-call-400",
        side: Side::Ours,
        reason: "a call request that can never succeed (no fnId, no event object) is a 400 \
                 with `X-Inngest-No-Retry: true` naming the field at fault (issue 3); JS \
                 answers 500, which Inngest retries",
    },
    Allowed {
        id: "raw-bytes-signature",
        side: Side::Both,
        reason: "we check a signature over the body bytes as received before their canonical \
                 form (PROTOCOL.md 3.2); JS checks the canonical form only, so it refuses a \
                 body signed as sent that is not canonical JSON",
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
            let mut paths = Vec::new();
            differences(ours, peer, String::new(), &mut paths);
            self.mismatches
                .push(format!("{what} differs at:\n  {}", paths.join("\n  ")));
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
                     {peer} times on the peer; it was allowed because {}",
                    rule.side, rule.reason
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

/// Lists the JSON paths where `ours` and `peer` differ, with both values.
fn differences(ours: &Value, peer: &Value, path: String, out: &mut Vec<String>) {
    match (ours, peer) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (a, b) = (a.get(key), b.get(key));
                let child = format!("{path}.{key}");
                match (a, b) {
                    (Some(a), Some(b)) => differences(a, b, child, out),
                    _ => out.push(format!(
                        "{child}: ours {} / peer {}",
                        a.map_or("<absent>".to_owned(), compact),
                        b.map_or("<absent>".to_owned(), compact)
                    )),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (a, b)) in a.iter().zip(b).enumerate() {
                differences(a, b, format!("{path}[{index}]"), out);
            }
        }
        _ if ours != peer => out.push(format!(
            "{}: ours {} / peer {}",
            if path.is_empty() { "." } else { &path },
            compact(ours),
            compact(peer)
        )),
        _ => {}
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
    // The type of an empty body means nothing.
    if let Some(kind) = reply
        .header("content-type")
        .filter(|_| !reply.body.is_empty())
    {
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
                normalize_op(op, kind, report);
            }
        }
    }
    strip_error_extras(&mut body, kind, report);

    json!({ "status": reply.status, "headers": headers(reply), "body": body })
}

fn normalize_op(op: &mut Map<String, Value>, kind: Kind, report: &mut Report) {
    if op.remove("timing").is_some() {
        report.fire("step-timing", kind);
    }
    let code = op
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind == Kind::Ours && code == "WaitForEvent" {
        let opts = op.get_mut("opts").and_then(Value::as_object_mut);
        if opts.and_then(|opts| opts.remove("event")).is_some() {
            report.fire("wait-event-opt", kind);
        }
    }
    if kind == Kind::Ours && code == "InvokeFunction" && op.remove("name").is_some() {
        report.fire("invoke-name", kind);
    }
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
