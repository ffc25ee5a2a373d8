//! Durations written as Inngest's time strings (`30s`, `1h30m`, `2d`).

use std::time::Duration;

/// Formats `duration` as an Inngest time string, largest units first (weeks down to
/// milliseconds), zero parts left out, as the JS SDK writes whole seconds.
///
/// Sub-millisecond precision is dropped; a zero duration is `0s`.
pub fn format_time_string(duration: Duration) -> String {
    const UNITS: [(&str, u128); 6] = [
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];

    let mut remaining = duration.as_millis();
    if remaining == 0 {
        return "0s".to_owned();
    }

    let mut text = String::new();
    for (unit, size) in UNITS {
        let count = remaining / size;
        if count > 0 {
            text.push_str(&format!("{count}{unit}"));
            remaining %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_largest_units_first() {
        let cases = [
            (Duration::from_secs(2), "2s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h"),
            (Duration::from_secs(86_400 * 6), "6d"),
            (Duration::from_secs(86_400 * 7), "1w"),
            (Duration::from_secs(86_400 * 15 + 60), "2w1d1m"),
            (Duration::from_millis(1500), "1s500ms"),
            (Duration::ZERO, "0s"),
        ];

        for (duration, expected) in cases {
            assert_eq!(format_time_string(duration), expected, "{duration:?}");
        }
    }
}
