//! Checking events sent to the engine, as Inngest's event API does.

use serde_json::{Map, Value};

/// The largest event accepted, in bytes of JSON (Inngest's default limit).
pub const MAX_EVENT_BYTES: usize = 512 * 1024;

/// The most events accepted in one request.
pub const MAX_EVENTS: usize = 5000;

/// How long an event `id` deduplicates later events with the same id, in milliseconds.
pub const DEDUPE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The earliest `ts` accepted: 1980-01-01T00:00:00Z in milliseconds, as in Inngest.
pub const MIN_TS_MS: i64 = 315_532_800_000;

/// The latest `ts` accepted: 2100-01-01T00:00:00Z in milliseconds, as in Inngest.
pub const MAX_TS_MS: i64 = 4_102_444_800_000;

/// Why a batch of events was refused; each variant names the event's index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// The batch holds more events than allowed.
    #[error("batch holds {count} events, more than the {MAX_EVENTS} allowed")]
    TooMany {
        /// How many events were sent.
        count: usize,
    },
    /// An event is not a JSON object.
    #[error("event {index} is not an object")]
    NotAnObject {
        /// The event's position in the batch.
        index: usize,
    },
    /// A field is missing or has the wrong type or value.
    #[error("event {index} field `{field}` {problem}")]
    Field {
        /// The event's position in the batch.
        index: usize,
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An event is larger than [`MAX_EVENT_BYTES`].
    #[error("event {index} is {size} bytes, more than the {MAX_EVENT_BYTES} allowed")]
    TooLarge {
        /// The event's position in the batch.
        index: usize,
        /// Its size in bytes of JSON.
        size: usize,
    },
}

/// Checks one batch and returns each event normalised: `data` and `user` objects present
/// (`_inngest` removed from `data`), `ts` set to `now` when absent or zero. Names under
/// `inngest/` are reserved for the engine's own events and refused, and so is a `ts` that is
/// not a millisecond timestamp between 1980 and 2100 (a timestamp in seconds, say).
///
/// # Errors
///
/// Returns the first problem found, naming the event's index and field.
pub fn validate(events: Vec<Value>, now: i64) -> Result<Vec<Value>, IngestError> {
    if events.len() > MAX_EVENTS {
        return Err(IngestError::TooMany {
            count: events.len(),
        });
    }
    events
        .into_iter()
        .enumerate()
        .map(|(index, event)| validate_one(index, event, now))
        .collect()
}

fn validate_one(index: usize, event: Value, now: i64) -> Result<Value, IngestError> {
    let field = |field, problem| IngestError::Field {
        index,
        field,
        problem,
    };
    let size = event.to_string().len();
    if size > MAX_EVENT_BYTES {
        return Err(IngestError::TooLarge { index, size });
    }
    let Value::Object(mut event) = event else {
        return Err(IngestError::NotAnObject { index });
    };

    let name = match event.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name,
        Some(Value::String(_)) | None => return Err(field("name", "is missing or empty")),
        Some(_) => return Err(field("name", "is not a string")),
    };
    if name.starts_with("inngest/") {
        return Err(field("name", "uses the reserved `inngest/` prefix"));
    }

    match event.get_mut("data") {
        None | Some(Value::Null) => {
            event.insert("data".to_owned(), Value::Object(Map::new()));
        }
        Some(Value::Object(data)) => {
            data.remove("_inngest");
        }
        Some(_) => return Err(field("data", "is not an object")),
    }
    match event.get("user") {
        None | Some(Value::Null) => {
            event.insert("user".to_owned(), Value::Object(Map::new()));
        }
        Some(Value::Object(_)) => {}
        Some(_) => return Err(field("user", "is not an object")),
    }
    // An empty id is no id, as under Inngest: it must not make every such event a repeat.
    match event.get("id") {
        None | Some(Value::Null) => {
            event.remove("id");
        }
        Some(Value::String(id)) if id.is_empty() => {
            event.remove("id");
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(field("id", "is not a string")),
    }
    // A null `ts` is absent, as when Inngest decodes it into a number.
    let ts = event.get("ts").filter(|ts| !ts.is_null());
    match ts.map(Value::as_i64) {
        None | Some(Some(0)) => {
            event.insert("ts".to_owned(), Value::from(now));
        }
        Some(Some(ts)) if (MIN_TS_MS..=MAX_TS_MS).contains(&ts) => {}
        Some(Some(_)) => {
            return Err(field(
                "ts",
                "is not a millisecond timestamp between 1980 and 2100",
            ))
        }
        Some(None) => return Err(field("ts", "is not an integer of milliseconds")),
    }
    Ok(Value::Object(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(event: Value) -> String {
        let events = vec![json!({"name": "ok/event"}), event];
        validate(events, 5).unwrap_err().to_string()
    }

    #[test]
    fn names_the_event_and_field_at_fault() {
        let cases = [
            (
                json!({"data": {}}),
                "event 1 field `name` is missing or empty",
            ),
            (
                json!({"name": ""}),
                "event 1 field `name` is missing or empty",
            ),
            (json!({"name": 3}), "event 1 field `name` is not a string"),
            (
                json!({"name": "inngest/x"}),
                "event 1 field `name` uses the reserved",
            ),
            (
                json!({"name": "a/b", "data": [1]}),
                "event 1 field `data` is not an object",
            ),
            (
                json!({"name": "a/b", "user": "u"}),
                "event 1 field `user` is not an object",
            ),
            (
                json!({"name": "a/b", "id": 5}),
                "event 1 field `id` is not a string",
            ),
            (
                json!({"name": "a/b", "ts": "now"}),
                "event 1 field `ts` is not an integer",
            ),
            (
                json!({"name": "a/b", "ts": 1_773_129_600}),
                "event 1 field `ts` is not a millisecond timestamp between 1980 and 2100",
            ),
            (
                json!({"name": "a/b", "ts": -5}),
                "event 1 field `ts` is not a millisecond timestamp",
            ),
            (
                json!({"name": "a/b", "ts": MAX_TS_MS + 1}),
                "event 1 field `ts` is not a millisecond timestamp",
            ),
            (json!("a/b"), "event 1 is not an object"),
        ];

        for (event, expected) in cases {
            let message = refused(event);
            assert!(message.starts_with(expected), "{message}");
        }
    }

    #[test]
    fn fills_defaults_and_strips_inngest_data() {
        let events = vec![
            json!({"name": "a/b", "data": {"x": 1, "_inngest": {}}, "ts": 0}),
            json!({"name": "a/b", "ts": null}),
        ];

        let accepted = validate(events, 42).unwrap();

        assert_eq!(
            accepted[0],
            json!({"name": "a/b", "data": {"x": 1}, "user": {}, "ts": 42})
        );
        assert_eq!(accepted[1]["ts"], json!(42));
    }

    #[test]
    fn treats_an_empty_id_as_no_id() {
        let events = vec![
            json!({"name": "a/b", "id": ""}),
            json!({"name": "a/b", "id": "x"}),
        ];

        let accepted = validate(events, 42).unwrap();

        assert_eq!(accepted[0].get("id"), None);
        assert_eq!(accepted[1]["id"], "x");
    }

    #[test]
    fn keeps_timestamps_within_1980_to_2100() {
        let events = vec![
            json!({"name": "a/b", "ts": MIN_TS_MS}),
            json!({"name": "a/b", "ts": 1_773_129_600_000_i64}),
            json!({"name": "a/b", "ts": MAX_TS_MS}),
        ];

        let accepted = validate(events, 42).unwrap();

        let stamps: Vec<&Value> = accepted.iter().map(|event| &event["ts"]).collect();
        assert_eq!(
            stamps,
            [
                &json!(MIN_TS_MS),
                &json!(1_773_129_600_000_i64),
                &json!(MAX_TS_MS)
            ]
        );
    }

    #[test]
    fn refuses_oversized_events_and_batches() {
        let big = json!({"name": "a/b", "data": {"blob": "x".repeat(MAX_EVENT_BYTES)}});
        let many = vec![json!({"name": "a/b"}); MAX_EVENTS + 1];

        let size = refused(big);
        let count = validate(many, 5).unwrap_err();

        assert!(size.starts_with("event 1 is "), "{size}");
        assert_eq!(
            count,
            IngestError::TooMany {
                count: MAX_EVENTS + 1
            }
        );
    }
}
