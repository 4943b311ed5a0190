//! What a new password must be: long rather than complex (NIST SP 800-63B §3.1.1.2, ANSSI's
//! recommendations on passwords): at least 12 characters, any characters at all (spaces and
//! accents welcome, no composition rule), not one of the passwords every attacker tries first,
//! not built on the resident's email or the service's name, not one character repeated.
//! Login does not apply these rules: an older, shorter password still works until changed.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Serialize;

pub const MIN_CHARS: usize = 12;
pub const MAX_BYTES: usize = 1024;

/// Passwords seen in breaches, 12 characters or more (shorter ones fail the length rule anyway).
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt").lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
});

/// Words of this service an attacker tries first.
const SERVICE_WORDS: [&str; 4] = ["grandlyon", "metropoledelyon", "guichetnumerique", "glconnect"];

/// Why a password is refused, each with a message for the resident (`http::i18n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Weakness {
    #[error("the password must have at least 12 characters")]
    TooShort,
    #[error("the password is too long")]
    TooLong,
    #[error("this password is among the most common ones")]
    Common,
    #[error("the password must not contain the email address")]
    ContainsEmail,
    #[error("the password must not contain the service's name")]
    ContainsServiceName,
    #[error("the password repeats too few characters")]
    Repetitive,
}

/// Feedback on an acceptable password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    Fair,
    Strong,
}

/// Checks a new password for the account `email`.
pub fn check(password: &str, email: &str) -> Result<Strength, Weakness> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(Weakness::TooShort);
    }
    if password.len() > MAX_BYTES {
        return Err(Weakness::TooLong);
    }
    let folded: String = password.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    if COMMON.contains(folded.as_str()) || COMMON.contains(password.to_lowercase().as_str()) {
        return Err(Weakness::Common);
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 4 && folded.contains(&local) {
        return Err(Weakness::ContainsEmail);
    }
    let letters: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    if SERVICE_WORDS.iter().any(|w| letters.contains(w)) {
        return Err(Weakness::ContainsServiceName);
    }
    let distinct: HashSet<char> = folded.chars().collect();
    if distinct.len() < 5 {
        return Err(Weakness::Repetitive);
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_numeric()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    Ok(if chars >= 16 || (chars >= 14 && classes >= 3) { Strength::Strong } else { Strength::Fair })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_over_complexity() {
        assert_eq!(check("Ab1!", "camille@lyon.fr"), Err(Weakness::TooShort));
        assert_eq!(check("onze lettre", "camille@lyon.fr"), Err(Weakness::TooShort));
        assert_eq!(check("la tour de fourvière", "camille@lyon.fr"), Ok(Strength::Strong), "no composition rule");
        assert_eq!(check("bouchon lyonnais", "camille@lyon.fr"), Ok(Strength::Strong));
        assert_eq!(check("quaisdesaone", "camille@lyon.fr"), Ok(Strength::Fair));
        assert_eq!(check(&"xyzzy".repeat(400), "camille@lyon.fr"), Err(Weakness::TooLong));
    }

    #[test]
    fn common_contextual_and_repetitive_passwords_are_refused() {
        for common in ["qwerty123456", "QWERTY123456", "motdepasse123", "azerty 123456", "1qaz2wsx3edc"] {
            assert_eq!(check(common, "camille@lyon.fr"), Err(Weakness::Common), "{common}");
        }
        assert_eq!(check("camille.martin99", "camille.martin@lyon.fr"), Err(Weakness::ContainsEmail));
        assert_eq!(check("Grand Lyon 2027!", "camille@lyon.fr"), Err(Weakness::ContainsServiceName));
        assert_eq!(check("abababababab", "camille@lyon.fr"), Err(Weakness::Repetitive));
        assert!(COMMON.len() > 40_000, "the bundled list is loaded");
    }
}
