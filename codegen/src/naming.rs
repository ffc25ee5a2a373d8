//! How file names map to module names, and which name a near miss should have had.

/// Whether `name` (the part of a file name that the pattern's `*` matched) may name a
/// function file: ASCII letters, digits, `-` and `_`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// The generated module for an event file: its feature and file stem in snake case.
///
/// Every character that cannot be in an identifier becomes `_`, runs of `_` collapse, and a
/// leading digit gets a `_` in front: `billing/invoices` + `event-Paid` gives
/// `billing_invoices_event_paid`. Two files may end up with the same module; codegen
/// reports that as an error naming both.
pub(crate) fn module_name(feature: &str, stem: &str) -> String {
    let mut module = String::with_capacity(feature.len() + stem.len() + 1);
    for c in feature.chars().chain(['_']).chain(stem.chars()) {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if c == '_' && module.ends_with('_') {
            continue;
        }
        module.push(c);
    }

    let trimmed = module.trim_end_matches('_').len();
    module.truncate(trimmed.max(1));
    if module.starts_with(|c: char| c.is_ascii_digit()) {
        module.insert(0, '_');
    }
    module
}

/// The name a `.rs` file should have to be discovered, given the pattern's file-name prefix
/// and suffix (`event-` and `.rs` by default).
///
/// The stem is split into words at separators and at lower-to-upper case changes, the words
/// are lowercased and joined with `-`, and a leading word that repeats the prefix is dropped:
/// `event_booking_created.rs` and `BookingCreated.rs` both become
/// `event-booking-created.rs`.
pub(crate) fn suggest(file_name: &str, prefix: &str, suffix: &str) -> String {
    let stem = strip_rs(file_name);
    let prefix_words = words(prefix);
    let mut words = words(stem);

    let repeats_prefix = |words: &[String]| {
        words.len() > prefix_words.len()
            && words
                .iter()
                .zip(&prefix_words)
                .all(|(word, prefix)| word == prefix || *word == format!("{prefix}s"))
    };
    if !prefix_words.is_empty() && repeats_prefix(&words) {
        words.drain(..prefix_words.len());
    }

    let name = if words.is_empty() {
        "<name>".to_owned()
    } else {
        words.join("-")
    };
    format!("{prefix}{name}{suffix}")
}

/// `name` without a final `.rs` extension in any case.
fn strip_rs(name: &str) -> &str {
    match name.len().checked_sub(3) {
        Some(at) if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(".rs") => {
            &name[..at]
        }
        _ => name,
    }
}

/// Lowercase words of `text`, split at non-alphanumerics and lower-to-upper case changes.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;

    for c in text.chars() {
        if !c.is_alphanumeric() {
            words.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }

    words.extend((!current.is_empty()).then_some(current));
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_name_a_near_miss_should_have() {
        let cases = [
            ("booking-created.rs", "event-booking-created.rs"),
            ("event_booking_created.rs", "event-booking-created.rs"),
            ("Event-Booking.rs", "event-booking.rs"),
            ("event-booking.RS", "event-booking.rs"),
            ("EVENT-BOOKING.rs", "event-booking.rs"),
            ("eventBookingCreated.rs", "event-booking-created.rs"),
            ("BookingCreated.rs", "event-booking-created.rs"),
            ("events-booking.rs", "event-booking.rs"),
            ("event booking.rs", "event-booking.rs"),
            ("event.booking.rs", "event-booking.rs"),
            ("event.rs", "event-event.rs"),
            ("mod.rs", "event-mod.rs"),
            ("__.rs", "event-<name>.rs"),
            ("v2-refund.rs", "event-v2-refund.rs"),
        ];

        for (file, expected) in cases {
            assert_eq!(
                suggest(file, "event-", ".rs"),
                expected,
                "suggestion for {file}"
            );
        }
    }

    #[test]
    fn maps_features_and_stems_to_snake_case_modules() {
        let cases = [
            ("auth", "event-sign-up", "auth_event_sign_up"),
            (
                "billing/invoices",
                "event-paid",
                "billing_invoices_event_paid",
            ),
            ("a", "event-send-email", "a_event_send_email"),
            ("a", "event-send_email", "a_event_send_email"),
            ("a", "event-Sync", "a_event_sync"),
            ("a", "event--x__y", "a_event_x_y"),
            ("2fa", "event-x", "_2fa_event_x"),
            ("user profile", "event-x", "user_profile_event_x"),
            ("café", "event-x", "caf_event_x"),
        ];

        for (feature, stem, expected) in cases {
            assert_eq!(
                module_name(feature, stem),
                expected,
                "module of {feature}/{stem}"
            );
        }
    }

    #[test]
    fn accepts_only_identifier_friendly_names() {
        let cases = [
            ("sign-up", true),
            ("send_email", true),
            ("Sync", true),
            ("v2", true),
            ("", false),
            ("a.b", false),
            ("x y", false),
            ("café", false),
            ("x.TEST", false),
        ];

        for (name, valid) in cases {
            assert_eq!(is_valid_name(name), valid, "validity of {name:?}");
        }
    }
}
