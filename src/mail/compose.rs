//! The mails the provider sends, from `templates/mail/`: French, then English.

use std::sync::LazyLock;

use minijinja::{Environment, context};

use super::{Mail, MailError};

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, text) in [
        ("verify_email.txt", include_str!("../../templates/mail/verify_email.txt")),
        ("account_exists.txt", include_str!("../../templates/mail/account_exists.txt")),
        ("reset_password.txt", include_str!("../../templates/mail/reset_password.txt")),
        ("password_changed.txt", include_str!("../../templates/mail/password_changed.txt")),
        ("new_passkey.txt", include_str!("../../templates/mail/new_passkey.txt")),
        ("franceconnect_linked.txt", include_str!("../../templates/mail/franceconnect_linked.txt")),
        ("inactive_account.txt", include_str!("../../templates/mail/inactive_account.txt")),
    ] {
        // The templates are compiled in: a syntax error fails the unit test below.
        let _ = env.add_template(name, text);
    }
    env
});

/// Which mail, with what it links to.
#[derive(Debug, Clone)]
pub enum Template<'a> {
    /// After sign-up: the link that verifies the address.
    VerifyEmail {
        link: &'a str,
    },
    /// A sign-up with an address that already has an account (the page said the same as for a
    /// new one: only the mailbox's owner learns the account exists).
    AccountExists {
        forgot: &'a str,
    },
    ResetPassword {
        link: &'a str,
    },
    PasswordChanged {
        forgot: &'a str,
    },
    /// A passkey was added to the account: its name, and where to remove it.
    NewPasskey {
        name: &'a str,
        account: &'a str,
    },
    /// A FranceConnect identity was linked to the account; where to unlink it.
    FranceConnectLinked {
        account: &'a str,
    },
    /// The account has not been used for years: deleted on `deadline` unless its owner signs in.
    InactiveAccount {
        deadline: &'a str,
        login: &'a str,
    },
}

pub fn compose(to: &str, template: Template<'_>) -> Result<Mail, MailError> {
    let (name, subject, ctx) = match template {
        Template::VerifyEmail { link } => {
            ("verify_email.txt", "Confirmez votre adresse / Confirm your address", context! { link })
        }
        Template::AccountExists { forgot } => {
            ("account_exists.txt", "Vous avez déjà un compte / You already have an account", context! { forgot })
        }
        Template::ResetPassword { link } => {
            ("reset_password.txt", "Nouveau mot de passe / New password", context! { link })
        }
        Template::PasswordChanged { forgot } => {
            ("password_changed.txt", "Votre mot de passe a été changé / Your password was changed", context! { forgot })
        }
        Template::FranceConnectLinked { account } => (
            "franceconnect_linked.txt",
            "FranceConnect lié à votre compte / FranceConnect linked to your account",
            context! { link => account },
        ),
        Template::InactiveAccount { deadline, login } => (
            "inactive_account.txt",
            "Votre compte va être supprimé / Your account will be deleted",
            context! { deadline, link => login },
        ),
        Template::NewPasskey { name, account } => {
            ("new_passkey.txt", "Nouvelle clé d'accès / New passkey", context! { name, link => account })
        }
    };
    let body = TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| MailError::Invalid(format!("{name}: {e}")))?;
    Ok(Mail { to: to.to_owned(), subject: format!("GrandLyon Connect — {subject}"), body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_with_its_links() {
        let link = "https://connect.example/x?token=abc";
        for template in [
            Template::VerifyEmail { link },
            Template::AccountExists { forgot: link },
            Template::ResetPassword { link },
            Template::PasswordChanged { forgot: link },
            Template::NewPasskey { name: "Téléphone", account: link },
            Template::FranceConnectLinked { account: link },
            Template::InactiveAccount { deadline: "29/12/2029", login: link },
        ] {
            let mail = compose("camille@lyon.fr", template.clone()).unwrap();
            assert!(mail.body.contains(link), "{template:?}");
            assert!(mail.body.contains("Bonjour") && mail.body.contains("Hello"), "French then English");
        }
    }
}
