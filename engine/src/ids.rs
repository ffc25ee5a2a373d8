//! ULIDs for events and runs: sortable by creation time, unique without coordination.

/// Crockford's base32 alphabet, which ULIDs are written in.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new ULID for the time `now_ms`, with 80 random bits.
pub fn ulid(now_ms: i64) -> String {
    let time = u128::from(u64::try_from(now_ms).unwrap_or(0) & 0xFFFF_FFFF_FFFF);
    let random = rand::random::<u128>() & ((1u128 << 80) - 1);
    let mut value = (time << 80) | random;

    let mut text = [0u8; 26];
    for slot in text.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_time_and_differs_within_a_millisecond() {
        let early = ulid(1_000);
        let late = ulid(2_000);
        let twin = ulid(2_000);

        assert_eq!(early.len(), 26);
        assert!(early < late);
        assert_ne!(late, twin);
    }
}
