//! The rules for function ids, event names, `if` expressions and cron schedules.
//!
//! Each check returns the rule that a value breaks, as a lowercase phrase.

use croner::parser::{CronParser, Seconds, Year};

/// The longest function id.
pub const MAX_ID_LEN: usize = 64;

/// The longest event name, in bytes.
pub const MAX_EVENT_LEN: usize = 255;

/// The most retries Inngest accepts.
pub const MAX_RETRIES: u32 = 20;

/// The most cancellation events Inngest accepts per function.
pub const MAX_CANCELS: usize = 5;

/// Checks a function id: lowercase ASCII letters, digits and single hyphens, starting with a
/// letter, ending with a letter or digit, at most [`MAX_ID_LEN`] characters.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("it is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("it is longer than {MAX_ID_LEN} characters"));
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must start with a lowercase letter".into());
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "{} is not allowed; use lowercase letters, digits and hyphens",
            describe(c)
        ));
    }
    if id.contains("--") {
        return Err("it has two hyphens in a row".into());
    }
    if id.ends_with('-') {
        return Err("it ends with a hyphen".into());
    }
    Ok(())
}

/// Checks an event name: not empty, at most [`MAX_EVENT_LEN`] bytes, no whitespace or control
/// characters, no empty segment around `/` or `.`, and `*` only as a whole last segment after
/// `/` or `.` (`app/*`, `app/user.*`).
pub(crate) fn check_event_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > MAX_EVENT_LEN {
        return Err(format!("it is longer than {MAX_EVENT_LEN} bytes"));
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("it contains {}", describe(c)));
    }

    if let Some(star) = name.find('*') {
        let is_last_segment =
            star == name.len() - 1 && star > 1 && matches!(name.as_bytes()[star - 1], b'/' | b'.');
        if !is_last_segment {
            return Err(
                "`*` may only be the whole last segment after `/` or `.`, as in `app/*`".into(),
            );
        }
    }

    let is_separator = |c: char| c == '/' || c == '.';
    let has_empty_segment = name.starts_with(is_separator)
        || name.ends_with(is_separator)
        || name
            .as_bytes()
            .windows(2)
            .any(|pair| matches!(pair, [b'/' | b'.', b'/' | b'.']));
    if has_empty_segment {
        return Err("it has an empty segment around `/` or `.`".into());
    }
    Ok(())
}

/// Checks the name of a cancellation event: an event name without a wildcard, since Inngest
/// matches cancellation events by their exact name.
pub(crate) fn check_cancel_event(name: &str) -> Result<(), String> {
    check_event_name(name)?;
    if name.contains('*') {
        return Err("cancellation events are matched by exact name, so `*` is not allowed".into());
    }
    Ok(())
}

/// Whether an `if` expression says nothing at all.
pub(crate) fn is_blank(expression: &str) -> bool {
    expression.trim().is_empty()
}

/// Checks a cron schedule: an optional `TZ=Zone/Name ` prefix naming an IANA time zone, then
/// five fields (minute, hour, day of month, month, day of week) or a nickname such as
/// `@daily`.
pub(crate) fn check_cron(schedule: &str) -> Result<(), String> {
    if schedule.trim().is_empty() {
        return Err("it is empty".into());
    }
    if schedule.trim() != schedule {
        return Err("it has leading or trailing whitespace".into());
    }

    let expression = match schedule.strip_prefix("TZ=") {
        Some(rest) => {
            let (zone, expression) = rest.split_once(' ').unwrap_or((rest, ""));
            check_zone(zone)?;
            expression
        }
        None => schedule,
    };

    let fields = expression.split_whitespace().count();
    let is_nickname = expression.starts_with('@');
    if !is_nickname && fields != 5 {
        return Err(format!(
            "it has {fields} fields; expected 5: minute, hour, day of month, month, day of week"
        ));
    }

    if !is_nickname {
        check_ranges(expression)?;
    }
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    parser
        .parse(expression)
        .map(drop)
        .map_err(|error| phrase(&error.to_string()))
}

/// The five fields of a schedule with their ranges, for clearer messages than the parser's.
const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

/// Checks that every number in a field (in lists, ranges and before a step) is in range.
fn check_ranges(expression: &str) -> Result<(), String> {
    for (field, (name, min, max)) in expression.split_whitespace().zip(FIELDS) {
        let values = field
            .split(',')
            .flat_map(|part| part.split('/').next().unwrap_or(part).split('-'));
        for value in values {
            let Ok(number) = value.parse::<u32>() else {
                continue;
            };
            if number < min || number > max {
                return Err(format!("{name} {number} is out of range {min}-{max}"));
            }
        }
    }
    Ok(())
}

fn check_zone(zone: &str) -> Result<(), String> {
    if zone.is_empty() {
        return Err("`TZ=` names no time zone".into());
    }
    zone.parse::<chrono_tz::Tz>()
        .map(drop)
        .map_err(|_| format!("unknown time zone `{zone}`"))
}

/// Turns a library's sentence into a lowercase phrase without a trailing period.
fn phrase(sentence: &str) -> String {
    sentence.trim().trim_end_matches('.').to_lowercase()
}

fn describe(c: char) -> String {
    if c == ' ' {
        "a space".into()
    } else if c.is_whitespace() || c.is_control() {
        format!("the character {:?}", c)
    } else {
        format!("`{c}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects_function_ids() {
        let long = "a".repeat(MAX_ID_LEN + 1);
        let longest = "a".repeat(MAX_ID_LEN);
        let cases: [(&str, Option<&str>); 12] = [
            ("sign-up-welcome-email", None),
            ("a1", None),
            ("v2-refund", None),
            (&longest, None),
            ("", Some("it is empty")),
            (&long, Some("it is longer than 64 characters")),
            ("Sign-up", Some("it must start with a lowercase letter")),
            ("1st", Some("it must start with a lowercase letter")),
            (
                "send_email",
                Some("`_` is not allowed; use lowercase letters, digits and hyphens"),
            ),
            (
                "send email",
                Some("a space is not allowed; use lowercase letters, digits and hyphens"),
            ),
            ("a--b", Some("it has two hyphens in a row")),
            ("a-", Some("it ends with a hyphen")),
        ];

        for (id, expected) in cases {
            assert_eq!(check_id(id).err().as_deref(), expected, "id {id:?}");
        }
    }

    #[test]
    fn accepts_and_rejects_event_names() {
        let long = format!("app/{}", "x".repeat(MAX_EVENT_LEN));
        let star = "`*` may only be the whole last segment after `/` or `.`, as in `app/*`";
        let cases: [(&str, Option<&str>); 18] = [
            ("auth/user.signed-up", None),
            ("inngest/function.failed", None),
            ("app/*", None),
            ("app/user.*", None),
            ("billing", None),
            ("", Some("it is empty")),
            (&long, Some("it is longer than 255 bytes")),
            ("app/user signed-up", Some("it contains a space")),
            ("app/user\tx", Some("it contains the character '\\t'")),
            ("*", Some(star)),
            ("app*", Some(star)),
            ("app/*/x", Some(star)),
            ("app/u*", Some(star)),
            ("app/**", Some(star)),
            ("/app", Some("it has an empty segment around `/` or `.`")),
            ("app/", Some("it has an empty segment around `/` or `.`")),
            ("app//x", Some("it has an empty segment around `/` or `.`")),
            ("app/.x", Some("it has an empty segment around `/` or `.`")),
        ];

        for (name, expected) in cases {
            assert_eq!(
                check_event_name(name).err().as_deref(),
                expected,
                "event {name:?}"
            );
        }
    }

    #[test]
    fn accepts_exact_cancellation_events_only() {
        let exact = "cancellation events are matched by exact name, so `*` is not allowed";
        let cases: [(&str, Option<&str>); 4] = [
            ("booking/booking.cancelled", None),
            ("app/*", Some(exact)),
            ("app/user.*", Some(exact)),
            ("", Some("it is empty")),
        ];

        for (name, expected) in cases {
            assert_eq!(
                check_cancel_event(name).err().as_deref(),
                expected,
                "event {name:?}"
            );
        }
    }

    #[test]
    fn rejects_blank_if_expressions() {
        assert!(!is_blank("event.data.amount > 100"));
        assert!(is_blank(""));
        assert!(is_blank("  \n"));
    }

    #[test]
    fn accepts_five_field_schedules_with_optional_time_zones() {
        let schedules = [
            "0 9 * * *",
            "*/15 * * * *",
            "0 0 1 1 *",
            "0 9 * * MON-FRI",
            "30 2 * * 0",
            "TZ=Europe/Paris 0 9 * * *",
            "TZ=UTC 0 * * * *",
            "TZ=America/New_York 30 2 * * *",
            "@daily",
            "TZ=Asia/Tokyo @hourly",
        ];

        for schedule in schedules {
            assert_eq!(check_cron(schedule), Ok(()), "schedule {schedule:?}");
        }
    }

    #[test]
    fn rejects_schedules_that_do_not_parse() {
        let cases = [
            ("", "it is empty"),
            (" 0 9 * * *", "it has leading or trailing whitespace"),
            ("0 9 * *", "it has 4 fields; expected 5"),
            ("0 0 9 * * *", "it has 6 fields; expected 5"),
            ("TZ=Not/AZone 0 9 * * *", "unknown time zone `Not/AZone`"),
            ("TZ= 0 9 * * *", "`TZ=` names no time zone"),
            ("TZ=Europe/Paris", "it has 0 fields; expected 5"),
            ("61 9 * * *", "minute 61 is out of range 0-59"),
            ("0 25 * * *", "hour 25 is out of range 0-23"),
            ("0 9 0 * *", "day of month 0 is out of range 1-31"),
            ("0 9 * 1-13 *", "month 13 is out of range 1-12"),
            ("0 9 * * 1,9", "day of week 9 is out of range 0-7"),
            ("0 9 * * MON-XYZ", ""),
            ("0 9 * * funday", ""),
            ("@sometimes", ""),
        ];

        for (schedule, expected) in cases {
            let error = check_cron(schedule).expect_err(schedule);
            assert!(
                error.starts_with(expected),
                "schedule {schedule:?}: {error}"
            );
            assert!(!error.ends_with('.'), "schedule {schedule:?}: {error}");
            assert!(error.starts_with(|c: char| !c.is_uppercase()), "{error}");
        }
    }
}
