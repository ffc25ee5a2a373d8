//! Inngest's request signatures: HMAC-SHA256 over the body and a timestamp.
//!
//! A signature header reads `t=<unix seconds>&s=<hex>`. The MAC is keyed with the signing key
//! without its `signkey-<env>-` prefix, taken as text, and covers the body bytes followed by
//! the decimal timestamp. Inngest signs the JCS canonical form of its JSON bodies, so a body is
//! checked as received first and then in canonical form.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far a signature's timestamp may be from now, either way.
pub const SIGNATURE_WINDOW_SECONDS: u64 = 5 * 60;

/// A signing key such as `signkey-prod-0123abcd...`.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    prefix: String,
    secret: String,
}

impl SigningKey {
    /// Splits a key into its `signkey-<env>-` prefix (possibly empty) and its secret part.
    pub fn new(key: &str) -> SigningKey {
        let key = key.trim();
        let split = key
            .strip_prefix("signkey-")
            .and_then(|rest| rest.find('-').map(|end| "signkey-".len() + end + 1));
        match split {
            Some(end) => SigningKey {
                prefix: key[..end].to_owned(),
                secret: key[end..].to_owned(),
            },
            None => SigningKey {
                prefix: String::new(),
                secret: key.to_owned(),
            },
        }
    }

    /// Hex SHA-256 of the hex-decoded secret (of its bytes, if it is not hex), as Inngest
    /// shows keys without revealing them.
    pub fn hashed(&self) -> String {
        let bytes = hex::decode(&self.secret).unwrap_or_else(|_| self.secret.clone().into_bytes());
        hex::encode(Sha256::digest(bytes))
    }

    /// The bearer token for Inngest's API: the prefix followed by [`SigningKey::hashed`].
    pub fn bearer(&self) -> String {
        format!("{}{}", self.prefix, self.hashed())
    }

    /// Hex HMAC-SHA256 of `body` followed by the decimal `timestamp`.
    pub fn sign(&self, body: &[u8], timestamp: u64) -> String {
        hex::encode(self.mac(body, timestamp).finalize().into_bytes())
    }

    /// The full header value for `body` signed at `timestamp`.
    pub fn header(&self, body: &[u8], timestamp: u64) -> String {
        format!("t={timestamp}&s={}", self.sign(body, timestamp))
    }

    fn mac(&self, body: &[u8], timestamp: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.secret.as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(body);
        mac.update(timestamp.to_string().as_bytes());
        mac
    }

    /// Checks `signature` in constant time.
    fn verifies(&self, body: &[u8], timestamp: u64, signature: &[u8]) -> bool {
        self.mac(body, timestamp).verify_slice(signature).is_ok()
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "SigningKey({}<redacted>)", self.prefix)
    }
}

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request carried no `X-Inngest-Signature` header.
    #[error("missing X-Inngest-Signature header")]
    Missing,
    /// The header is not `t=<seconds>&s=<hex>`.
    #[error("malformed X-Inngest-Signature header")]
    Malformed,
    /// The timestamp is more than five minutes from now.
    #[error("signature timestamp is outside the five-minute window")]
    Expired,
    /// No configured key produced this signature.
    #[error("signature does not match")]
    Mismatch,
}

/// Checks a signature header against `body` with each key in turn and returns the index of
/// the key that verified it.
///
/// # Errors
///
/// Returns why the signature was not accepted.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    keys: &[SigningKey],
    now: u64,
) -> Result<usize, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let (timestamp, signature) = parse_header(header)?;
    if now.abs_diff(timestamp) > SIGNATURE_WINDOW_SECONDS {
        return Err(SignatureError::Expired);
    }

    let canonical = canonical_form(body);
    for (index, key) in keys.iter().enumerate() {
        if key.verifies(body, timestamp, &signature) {
            return Ok(index);
        }
        if let Some(canonical) = &canonical {
            if key.verifies(canonical, timestamp, &signature) {
                return Ok(index);
            }
        }
    }
    Err(SignatureError::Mismatch)
}

fn parse_header(header: &str) -> Result<(u64, Vec<u8>), SignatureError> {
    let mut timestamp = None;
    let mut signature = None;
    for pair in header.trim().split('&') {
        match pair.split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<u64>().ok(),
            Some(("s", value)) => signature = hex::decode(value).ok(),
            _ => {}
        }
    }
    match (timestamp, signature) {
        (Some(timestamp), Some(signature)) => Ok((timestamp, signature)),
        _ => Err(SignatureError::Malformed),
    }
}

/// The JCS canonical form of a JSON body, when it is JSON and differs from the bytes given.
fn canonical_form(body: &[u8]) -> Option<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let canonical = serde_jcs::to_vec(&value).ok()?;
    (canonical != body).then_some(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"ctx":{"attempt":0,"run_id":"01HRUNPLACEHOLDER"},"event":{"data":{"q":"a&b"},"name":"app/test.ping"},"events":[{"data":{"q":"a&b"},"name":"app/test.ping"}],"steps":{}}"#;
    const T0: u64 = 1_700_000_000;

    fn keys() -> Vec<SigningKey> {
        vec![
            SigningKey::new("signkey-test-12345678"),
            SigningKey::new("signkey-test-87654321"),
        ]
    }

    #[test]
    fn signs_the_published_vectors() {
        let primary = SigningKey::new("signkey-test-12345678");
        let fallback = SigningKey::new("signkey-test-87654321");
        let shared = SigningKey::new(
            "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff",
        );
        let shared_body = r#"{"ctx":{"fn_id":"local-testing-local-cron","run_id":"01GQ3HTEZ01M7R8Z9PR1DMHDN1","step_id":"step"},"event":{"data":{},"id":"","name":"inngest/scheduled.timer","ts":1674082830001,"user":{},"v":"1"},"events":[{"data":{},"id":"","name":"inngest/scheduled.timer","ts":1674082830001,"user":{},"v":"1"}],"steps":{},"use_api":false}"#;

        assert_eq!(
            primary.sign(BODY.as_bytes(), T0),
            "74e9b450ef1f4e7f98dd45a9eb28b8495b8beae53e4e697bac58ddff03941fc9"
        );
        assert_eq!(
            fallback.sign(BODY.as_bytes(), T0),
            "1667a0aadd6036881714109bb58412b36c45451efa170bcc2e4a55ebfd0c5539"
        );
        assert_eq!(
            shared.sign(shared_body.as_bytes(), 1_689_920_619),
            "31df77f5b1b029de4bfce3a77e0517aa4ce0f5e2195a6467fc126a489ca2330b"
        );
    }

    #[test]
    fn hashes_keys_for_bearer_tokens() {
        assert_eq!(
            SigningKey::new("signkey-test-12345678").bearer(),
            "signkey-test-b2ed992186a5cb19f6668aade821f502c1d00970dfd0e35128d51bac4649916c"
        );
        assert_eq!(
            SigningKey::new("signkey-test-87654321").bearer(),
            "signkey-test-235c6e3ab89786e7f171838fda309579aa64e99a9a1431ad94c650fdf3622969"
        );
        assert_eq!(
            SigningKey::new(
                "signkey-test-8ee2262a15e8d3c42d6a840db7af3de2aab08ef632b32a37a687f24b34dba3ff"
            )
            .hashed(),
            "e4bf4a2e7f55c7eb954b6e72f8f69628fbc409fe7da6d0f6958770987dcf0e02"
        );
    }

    #[test]
    fn accepts_the_primary_and_the_fallback_key() {
        let primary =
            format!("t={T0}&s=74e9b450ef1f4e7f98dd45a9eb28b8495b8beae53e4e697bac58ddff03941fc9");
        let fallback =
            format!("t={T0}&s=1667a0aadd6036881714109bb58412b36c45451efa170bcc2e4a55ebfd0c5539");

        assert_eq!(verify(Some(&primary), BODY.as_bytes(), &keys(), T0), Ok(0));
        assert_eq!(
            verify(Some(&fallback), BODY.as_bytes(), &keys(), T0 + 299),
            Ok(1)
        );
    }

    #[test]
    fn rejects_bad_signatures_with_distinct_reasons() {
        let valid = keys()[0].header(BODY.as_bytes(), T0);
        let stranger = SigningKey::new("signkey-test-99999999").header(BODY.as_bytes(), T0);
        let cases = [
            (None, T0, SignatureError::Missing),
            (Some("s=abc"), T0, SignatureError::Malformed),
            (Some("t=1&s=zz"), T0, SignatureError::Malformed),
            (Some(valid.as_str()), T0 + 301, SignatureError::Expired),
            (Some(valid.as_str()), T0 - 301, SignatureError::Expired),
            (Some(stranger.as_str()), T0, SignatureError::Mismatch),
        ];

        for (header, now, expected) in cases {
            assert_eq!(
                verify(header, BODY.as_bytes(), &keys(), now),
                Err(expected),
                "{header:?}"
            );
        }
    }

    #[test]
    fn accepts_a_body_signed_in_canonical_form() {
        let loose = BODY.replace(':', ": ").replace(',', ", ");
        let header = keys()[0].header(BODY.as_bytes(), T0);

        assert_eq!(verify(Some(&header), loose.as_bytes(), &keys(), T0), Ok(0));
    }

    #[test]
    fn never_prints_the_secret() {
        let key = SigningKey::new("signkey-prod-abcdef");

        assert_eq!(format!("{key:?}"), "SigningKey(signkey-prod-<redacted>)");
    }
}
