//! The pages' languages: French first, English available. Chosen from `ui_locales` (OIDC Core
//! §3.1.2.1), then `Accept-Language`, then French.

use serde::Serialize;

pub const SUPPORTED: [&str; 2] = ["fr", "en"];

/// The first supported language among `preferences` (BCP 47 tags, most preferred first).
pub fn negotiate<'a>(preferences: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    preferences.into_iter().find_map(|tag| {
        let primary = tag.split(['-', '_']).next().unwrap_or_default().trim().to_ascii_lowercase();
        SUPPORTED.into_iter().find(|s| *s == primary)
    })
}

/// Languages of an `Accept-Language` header, ordered by quality.
pub fn accept_language(header: Option<&str>) -> Vec<&str> {
    let mut tags: Vec<(&str, f32)> = header
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((tag, q))
        })
        .collect();
    tags.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    tags.into_iter().map(|(t, _)| t).collect()
}

pub fn choose(ui_locales: &[String], accept: Option<&str>) -> &'static str {
    negotiate(ui_locales.iter().map(String::as_str)).or_else(|| negotiate(accept_language(accept))).unwrap_or("fr")
}

/// Every text of the pages, in one language.
#[derive(Debug, Serialize)]
pub struct Texts {
    pub skip_link: &'static str,
    pub service_name: &'static str,
    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub email_label: &'static str,
    pub email_hint: &'static str,
    pub password_label: &'static str,
    pub login_button: &'static str,
    pub login_failed: &'static str,
    pub login_throttled_before: &'static str,
    pub login_throttled_after: &'static str,
    pub login_throttled_after_one: &'static str,
    pub consent_title: &'static str,
    pub consent_intro: &'static str,
    pub consent_identity: &'static str,
    pub consent_allow: &'static str,
    pub consent_deny: &'static str,
    pub consent_remember: &'static str,
    pub consent_linkable: &'static str,
    pub consent_destination: &'static str,
    pub consent_policy: &'static str,
    pub consent_tos: &'static str,
    pub consent_logo: &'static str,
    pub consent_service_of: &'static str,
    pub consent_pieces: &'static str,
    pub consent_essential: &'static str,
    pub consent_purpose: &'static str,
    pub consent_retention: &'static str,
    pub consent_untick: &'static str,
    pub consent_certified: &'static str,
    pub consent_group: &'static str,
    pub scope_profile: &'static str,
    pub scope_email: &'static str,
    pub scope_address: &'static str,
    pub scope_phone: &'static str,
    pub scope_offline_access: &'static str,
    pub error_title: &'static str,
    pub error_invalid_client: &'static str,
    pub error_invalid_redirect_uri: &'static str,
    pub error_bad_request: &'static str,
    pub error_expired: &'static str,
    pub error_unavailable: &'static str,
    pub error_internal: &'static str,
    pub error_not_found: &'static str,
    pub error_detail: &'static str,
    pub form_post_title: &'static str,
    pub form_post_continue: &'static str,
    pub logout_confirm_title: &'static str,
    pub logout_confirm_intro: &'static str,
    pub logout_confirm_button: &'static str,
    pub logout_done_title: &'static str,
    pub logout_done_intro: &'static str,
    pub logout_frame_title: &'static str,
    pub logout_continue: &'static str,
    pub footer_account: &'static str,
    pub footer_accessibility: &'static str,
    pub footer_legal: &'static str,
    pub footer_privacy: &'static str,
    pub footer_developers: &'static str,
}

pub static FR: Texts = Texts {
    skip_link: "Aller au contenu",
    service_name: "GrandLyon Connect",
    login_title: "Se connecter",
    login_intro: "pour accéder au service",
    email_label: "Adresse électronique",
    email_hint: "Format attendu : nom@domaine.fr",
    password_label: "Mot de passe",
    login_button: "Se connecter",
    login_failed: "Adresse électronique ou mot de passe incorrect.",
    login_throttled_before: "Trop de tentatives de connexion. Par sécurité, réessayez dans",
    login_throttled_after: "secondes.",
    login_throttled_after_one: "seconde.",
    consent_title: "Autoriser le partage de vos informations",
    consent_intro: "demande à accéder aux informations suivantes de votre compte :",
    consent_identity: "Votre identifiant pour ce service",
    consent_allow: "Autoriser",
    consent_deny: "Refuser",
    consent_remember: "Votre choix sera mémorisé ; vous pourrez le retirer à tout moment.",
    consent_linkable: "Chaque service reçoit un identifiant qui vous est propre, mais votre adresse électronique et vos informations d'identité, une fois partagées, permettent aux services qui les reçoivent de vous reconnaître entre eux.",
    consent_destination: "Vous serez ensuite renvoyé vers",
    consent_policy: "Politique de confidentialité de",
    consent_tos: "Conditions d'utilisation de",
    consent_logo: "Logo de",
    consent_service_of: "un service de",
    consent_pieces: "Informations demandées",
    consent_essential: "indispensable au service",
    consent_purpose: "Pour",
    consent_retention: "Conservée",
    consent_untick: "Décochez ce que vous ne souhaitez pas transmettre ; les informations indispensables au service ne peuvent pas l’être.",
    consent_certified: "certifiée par FranceConnect",
    consent_group: "Votre accord vaudra aussi pour les autres services de cet ensemble, qui ont la même finalité :",
    scope_profile: "Votre identité : nom, prénoms, date de naissance",
    scope_email: "Votre adresse électronique",
    scope_address: "Votre adresse postale",
    scope_phone: "Votre numéro de téléphone",
    scope_offline_access: "Rester connecté à ce service en votre absence",
    error_title: "Une erreur est survenue",
    error_invalid_client: "Le service qui vous a envoyé ici n'est pas reconnu par GrandLyon Connect.",
    error_invalid_redirect_uri: "Le service qui vous a envoyé ici a demandé un retour vers une adresse non enregistrée. Par sécurité, vous n'y êtes pas renvoyé.",
    error_bad_request: "La demande reçue est invalide.",
    error_expired: "Cette page a expiré. Retournez sur le service et recommencez la connexion.",
    error_unavailable: "Le service est momentanément indisponible. Réessayez dans quelques instants.",
    error_internal: "Une erreur technique est survenue. Réessayez plus tard.",
    error_not_found: "Cette page n'existe pas.",
    error_detail: "Détail technique pour le service concerné",
    form_post_title: "Redirection vers le service",
    form_post_continue: "Continuer",
    logout_confirm_title: "Se déconnecter",
    logout_confirm_intro: "Voulez-vous vous déconnecter de GrandLyon Connect et de tous les services de la Métropole et des communes ?",
    logout_confirm_button: "Me déconnecter",
    logout_done_title: "Vous êtes déconnecté",
    logout_done_intro: "Vous êtes déconnecté de GrandLyon Connect et des services où vous étiez connecté.",
    logout_frame_title: "Déconnexion d'un service",
    logout_continue: "Revenir au service",
    footer_account: "Mon compte",
    footer_accessibility: "Accessibilité : non conforme",
    footer_legal: "Mentions légales",
    footer_privacy: "Données personnelles",
    footer_developers: "Développeurs partenaires",
};

pub static EN: Texts = Texts {
    skip_link: "Skip to content",
    service_name: "GrandLyon Connect",
    login_title: "Sign in",
    login_intro: "to continue to",
    email_label: "Email address",
    email_hint: "Expected format: name@domain.fr",
    password_label: "Password",
    login_button: "Sign in",
    login_failed: "Incorrect email address or password.",
    login_throttled_before: "Too many sign-in attempts. For your security, try again in",
    login_throttled_after: "seconds.",
    login_throttled_after_one: "second.",
    consent_title: "Allow sharing your information",
    consent_intro: "asks to access the following information of your account:",
    consent_identity: "Your identifier for this service",
    consent_allow: "Allow",
    consent_deny: "Deny",
    consent_remember: "Your choice will be remembered; you can withdraw it at any time.",
    consent_linkable: "Each service receives an identifier of its own for you, but your email address and identity details, once shared, let the services that receive them recognise you across each other.",
    consent_destination: "You will then be sent back to",
    consent_policy: "Privacy policy of",
    consent_tos: "Terms of use of",
    consent_logo: "Logo of",
    consent_service_of: "a service of",
    consent_pieces: "Information asked for",
    consent_essential: "essential to the service",
    consent_purpose: "For",
    consent_retention: "Kept",
    consent_untick: "Untick what you do not wish to share; what the service cannot work without cannot be unticked.",
    consent_certified: "certified by FranceConnect",
    consent_group: "Your agreement will also hold for the other services of this group, which share its purpose:",
    scope_profile: "Your identity: name, given names, date of birth",
    scope_email: "Your email address",
    scope_address: "Your postal address",
    scope_phone: "Your phone number",
    scope_offline_access: "Stay connected to this service while you are away",
    error_title: "Something went wrong",
    error_invalid_client: "The service that sent you here is not known to GrandLyon Connect.",
    error_invalid_redirect_uri: "The service that sent you here asked to return to an unregistered address. For your safety, you are not sent there.",
    error_bad_request: "The request received is invalid.",
    error_expired: "This page has expired. Go back to the service and sign in again.",
    error_unavailable: "The service is temporarily unavailable. Try again in a moment.",
    error_internal: "A technical error occurred. Try again later.",
    error_not_found: "This page does not exist.",
    error_detail: "Technical detail for the service concerned",
    form_post_title: "Redirecting to the service",
    form_post_continue: "Continue",
    logout_confirm_title: "Sign out",
    logout_confirm_intro: "Do you want to sign out of GrandLyon Connect and of every service of the Métropole and the communes?",
    logout_confirm_button: "Sign me out",
    logout_done_title: "You are signed out",
    logout_done_intro: "You are signed out of GrandLyon Connect and of the services you were signed in to.",
    logout_frame_title: "Signing out of a service",
    logout_continue: "Back to the service",
    footer_account: "My account",
    footer_accessibility: "Accessibility: not compliant",
    footer_legal: "Legal notices",
    footer_privacy: "Personal data",
    footer_developers: "Partner developers",
};

pub fn texts(lang: &str) -> &'static Texts {
    if lang == "en" { &EN } else { &FR }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_win_then_accept_language_then_french() {
        assert_eq!(choose(&["en-GB".into()], Some("fr")), "en");
        assert_eq!(choose(&["de".into()], Some("de, en;q=0.5, fr;q=0.4")), "en");
        assert_eq!(choose(&[], Some("it")), "fr");
        assert_eq!(choose(&[], None), "fr");
        assert_eq!(choose(&[], Some("en;q=0")), "fr");
    }
}
