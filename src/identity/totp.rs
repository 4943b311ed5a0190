//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, six
//! digits, the parameters every authenticator app understands. A code is accepted for the
//! current step and one step either side (clock drift), and never twice.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
const DIGITS: u32 = 6;
/// Steps accepted either side of now.
const DRIFT_STEPS: i64 = 1;
/// A 160-bit secret, as RFC 4226 §4 recommends.
pub const SECRET_BYTES: usize = 20;

/// RFC 4226 §5.3: the HOTP value of `counter`.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return 0 };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary =
        u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    binary % 10u32.pow(DIGITS)
}

/// The step of time `now`.
pub fn step(now: i64) -> i64 {
    now.div_euclid(STEP_SECONDS)
}

/// The code of `now`, as an app shows it.
pub fn code(secret: &[u8], now: i64) -> String {
    format!("{:06}", hotp(secret, u64::try_from(step(now)).unwrap_or_default()))
}

/// The step `presented` matches around `now`, if any and later than `last_used` (no replay).
pub fn matching_step(secret: &[u8], presented: &str, now: i64, last_used: Option<i64>) -> Option<i64> {
    let presented: String = presented.chars().filter(|c| !c.is_whitespace()).collect();
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step(now);
    (current - DRIFT_STEPS..=current + DRIFT_STEPS).find(|s| {
        last_used.is_none_or(|last| *s > last)
            && u64::try_from(*s).is_ok_and(|counter| {
                let expected = format!("{:06}", hotp(secret, counter));
                crate::secrets::constant_time_eq(&expected, &presented)
            })
    })
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes RFC 4648 base32 (case and padding ignored); `None` if it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let value = BASE32.iter().position(|b| *b == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (the Key URI format apps share).
pub fn provisioning_uri(secret: &[u8], account: &str) -> String {
    let label: String =
        url::form_urlencoded::byte_serialize(format!("GrandLyon Connect:{account}").as_bytes()).collect();
    format!(
        "otpauth://totp/{label}?secret={}&issuer=GrandLyon%20Connect&algorithm=SHA1&digits=6&period=30",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_4226_and_6238_test_vectors() {
        // RFC 4226 appendix D.
        assert_eq!(hotp(RFC_SECRET, 0), 755_224);
        assert_eq!(hotp(RFC_SECRET, 9), 520_489);
        // RFC 6238 appendix B (SHA-1), last six of the eight digits.
        assert_eq!(code(RFC_SECRET, 59), "287082");
        assert_eq!(code(RFC_SECRET, 1_111_111_109), "081804");
        assert_eq!(code(RFC_SECRET, 2_000_000_000), "279037");
    }

    #[test]
    fn a_code_is_accepted_one_step_around_now_and_never_twice() {
        let now = 1_111_111_109;
        let current = code(RFC_SECRET, now);
        assert_eq!(matching_step(RFC_SECRET, &current, now, None), Some(step(now)));
        assert_eq!(matching_step(RFC_SECRET, &current, now + 30, None), Some(step(now)), "drift");
        assert_eq!(matching_step(RFC_SECRET, &current, now + 90, None), None, "too old");
        assert_eq!(matching_step(RFC_SECRET, &current, now, Some(step(now))), None, "replay");
        assert_eq!(matching_step(RFC_SECRET, "12 34 5", now, None), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", now, None), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(from_base32("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(from_base32(&base32(RFC_SECRET)).unwrap(), RFC_SECRET);
        assert!(from_base32("not base32!").is_none());
        assert!(
            provisioning_uri(RFC_SECRET, "a@b.fr")
                .starts_with("otpauth://totp/GrandLyon+Connect%3Aa%40b.fr?secret=GEZDGNBV")
        );
    }
}
