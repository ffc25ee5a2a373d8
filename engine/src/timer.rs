//! When a timer fires: sleep and wait durations as Inngest writes them, and retry backoff.

use std::time::Duration;

use chrono::DateTime;

/// The longest delay Inngest honours from `Retry-After`, and the longest backoff.
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The delay before the first retry; each later retry doubles it.
pub const BASE_BACKOFF: Duration = Duration::from_secs(10);

/// Parses an Inngest time string such as `30s`, `1h30m`, `2d` or `250ms`.
pub fn parse_time_string(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let count: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let millis = match &rest[..unit_end] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return None,
        };
        total += Duration::from_millis(count.checked_mul(millis)?);
        rest = &rest[unit_end..];
    }
    Some(total)
}

/// The wake-up time of a `Sleep` op: its name is a time string or an RFC 3339 instant.
pub fn wake_at(name: &str, now_ms: i64) -> Option<i64> {
    if let Some(duration) = parse_time_string(name) {
        return Some(now_ms.saturating_add(millis(duration)));
    }
    DateTime::parse_from_rfc3339(name)
        .ok()
        .map(|instant| instant.timestamp_millis())
}

/// The delay before retry number `attempt + 1`: exponential backoff with up to 50% random
/// jitter, or the step's `Retry-After` clamped to [1 s, 24 h] when it asked for one.
pub fn retry_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(asked) = retry_after {
        return asked.clamp(Duration::from_secs(1), MAX_DELAY);
    }
    let backoff = BASE_BACKOFF
        .saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(MAX_DELAY);
    let jitter = backoff.mul_f64(rand::random::<f64>() * 0.5);
    (backoff + jitter).min(MAX_DELAY)
}

/// A duration in whole milliseconds, saturating.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inngest_time_strings() {
        let cases = [
            ("2s", Some(2_000)),
            ("1h30m", Some(5_400_000)),
            ("2d", Some(172_800_000)),
            ("250ms", Some(250)),
            ("1m1s1ms", Some(61_001)),
            ("", None),
            ("5", None),
            ("5y", None),
            ("s", None),
        ];

        for (text, expected) in cases {
            let parsed = parse_time_string(text).map(|duration| duration.as_millis() as i64);
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn wakes_after_a_duration_or_at_an_instant() {
        assert_eq!(wake_at("2s", 1_000), Some(3_000));
        assert_eq!(wake_at("1970-01-01T00:00:10Z", 1_000), Some(10_000));
        assert_eq!(wake_at("soon", 1_000), None);
    }

    #[test]
    fn backs_off_exponentially_within_bounds() {
        for attempt in 0..6 {
            let base = BASE_BACKOFF * 2u32.pow(attempt);

            let delay = retry_delay(attempt, None);

            assert!(
                delay >= base && delay <= base.mul_f64(1.5),
                "{attempt}: {delay:?}"
            );
        }
        assert_eq!(retry_delay(40, None).min(MAX_DELAY), retry_delay(40, None));
    }

    #[test]
    fn honours_retry_after_clamped() {
        let cases = [
            (Duration::from_secs(30), Duration::from_secs(30)),
            (Duration::from_millis(10), Duration::from_secs(1)),
            (Duration::from_secs(200_000), MAX_DELAY),
        ];

        for (asked, expected) in cases {
            assert_eq!(retry_delay(3, Some(asked)), expected);
        }
    }
}
