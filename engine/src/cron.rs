//! Cron schedules: five fields with an optional `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix.
//!
//! Policy for fires missed while the engine was down: each schedule remembers its next
//! fire time in the store; on start, a schedule whose time has passed fires once (not once
//! per missed slot) and is then set to its next time after now.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// A parse error of a cron string.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CronError {
    /// The `TZ=` prefix names no known time zone.
    #[error("cron `{schedule}` names unknown time zone `{zone}`")]
    UnknownZone {
        /// The schedule as written.
        schedule: String,
        /// The zone as written.
        zone: String,
    },
    /// The five fields do not parse.
    #[error("cron `{schedule}` is not a valid schedule: {reason}")]
    Invalid {
        /// The schedule as written.
        schedule: String,
        /// What the parser said.
        reason: String,
    },
}

/// A parsed schedule and the zone its fields are read in.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
}

impl Schedule {
    /// Parses a schedule such as `0 9 * * *` or `TZ=Europe/Paris 0 9 * * *` (UTC if no zone).
    ///
    /// # Errors
    ///
    /// Returns an error naming the schedule if the zone is unknown or the fields are invalid.
    pub fn parse(schedule: &str) -> Result<Schedule, CronError> {
        let trimmed = schedule.trim();
        let (zone, fields) = match trimmed
            .strip_prefix("TZ=")
            .or_else(|| trimmed.strip_prefix("CRON_TZ="))
        {
            Some(rest) => rest.split_once(' ').unwrap_or((rest, "")),
            None => ("UTC", trimmed),
        };

        let zone = Tz::from_str(zone).map_err(|_| CronError::UnknownZone {
            schedule: schedule.to_owned(),
            zone: zone.to_owned(),
        })?;
        let cron = Cron::from_str(fields.trim()).map_err(|error| CronError::Invalid {
            schedule: schedule.to_owned(),
            reason: error.to_string(),
        })?;
        Ok(Schedule { cron, zone })
    }

    /// The first fire time strictly after `after_ms`, in milliseconds since the epoch.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let after = Utc.timestamp_millis_opt(after_ms).single()?;
        let local: DateTime<Tz> = after.with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&local, false).ok()?;
        Some(next.timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn finds_next_fire_times_in_the_named_zone() {
        let cases = [
            ("0 9 * * *", "2026-03-10T08:00:00Z", "2026-03-10T09:00:00Z"),
            ("0 9 * * *", "2026-03-10T09:00:00Z", "2026-03-11T09:00:00Z"),
            ("0 * * * *", "2026-03-10T08:59:59Z", "2026-03-10T09:00:00Z"),
            (
                "*/15 * * * *",
                "2026-03-10T08:01:00Z",
                "2026-03-10T08:15:00Z",
            ),
            (
                "TZ=Europe/Paris 0 9 * * *",
                "2026-03-10T07:00:00Z",
                "2026-03-10T08:00:00Z",
            ),
            (
                "TZ=Europe/Paris 0 9 * * *",
                "2026-07-10T06:00:00Z",
                "2026-07-10T07:00:00Z",
            ),
            (
                "CRON_TZ=America/New_York 30 8 * * 1",
                "2026-03-10T00:00:00Z",
                "2026-03-16T12:30:00Z",
            ),
        ];

        for (schedule, after, expected) in cases {
            let next = Schedule::parse(schedule).unwrap().next_after(ms(after));
            assert_eq!(next, Some(ms(expected)), "{schedule} after {after}");
        }
    }

    #[test]
    fn names_the_schedule_at_fault() {
        let zone = Schedule::parse("TZ=Mars/Olympus 0 9 * * *").unwrap_err();
        let fields = Schedule::parse("0 99 * * *").unwrap_err();

        assert!(zone.to_string().contains("Mars/Olympus"), "{zone}");
        assert!(fields.to_string().contains("0 99 * * *"), "{fields}");
    }
}
