//! Step ids as Inngest hashes them: SHA-1 of the user id, with `:n` for repeats.

use sha1::{Digest, Sha1};

/// Lowercase hex SHA-1 of a step id, the key under which Inngest memoizes a step.
pub fn hash_step_id(id: &str) -> String {
    hex::encode(Sha1::digest(id.as_bytes()))
}

/// The id Inngest hashes for the `index`-th use (zero-based) of `id` within one run.
pub(crate) fn indexed_step_id(id: &str, index: u32) -> String {
    if index == 0 {
        id.to_owned()
    } else {
        format!("{id}:{index}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_vectors() {
        let cases = [
            ("my-step-id", "e7d8a2f140845095749d60246ff1110c9d01d76a"),
            ("fetch", "ad8cee67138e73009d4e22831ec6eb3b7f9e60da"),
            ("fetch:1", "7439251a62fbdcb568e9e9bf2f2ade00999ebbb1"),
            ("wait", "daaad336276d15594d0e765f96c17cd746bf4971"),
            ("wait:2", "7b1a049dee4645d9cdc2dce57baad71da138f183"),
            ("first step", "98bf98df193bcce7c33e6bc50927cf2ac21206cb"),
        ];

        for (id, expected) in cases {
            assert_eq!(hash_step_id(id), expected, "hash of {id:?}");
        }
    }

    #[test]
    fn suffixes_repeats_only() {
        assert_eq!(indexed_step_id("wait", 0), "wait");
        assert_eq!(indexed_step_id("wait", 2), "wait:2");
    }
}
