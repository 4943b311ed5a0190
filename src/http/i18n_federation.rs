//! The texts about FranceConnect (the button's surroundings, the error pages), French and
//! English. The button's own words are FranceConnect's and stay in French (DSFR).

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct FederationTexts {
    pub what_is_fc: &'static str,
    pub what_is_fc_title: &'static str,
    pub fc_purpose: &'static str,
    pub or_separator: &'static str,
    pub cancelled: &'static str,
    pub error_title: &'static str,
    pub error_refused: &'static str,
    pub error_unavailable: &'static str,
    pub error_expired: &'static str,
    pub correlation: &'static str,
    pub back_to_login: &'static str,
}

pub static FR: FederationTexts = FederationTexts {
    what_is_fc: "Qu’est-ce que FranceConnect ?",
    what_is_fc_title: "Qu’est-ce que FranceConnect ? - nouvelle fenêtre",
    fc_purpose: "FranceConnect est la solution proposée par l’État pour sécuriser et simplifier la connexion à vos services en ligne.",
    or_separator: "ou",
    cancelled: "Vous avez annulé la connexion avec FranceConnect. Vous pouvez réessayer ou vous connecter autrement.",
    error_title: "Connexion avec FranceConnect impossible",
    error_refused: "La réponse de FranceConnect n’a pas pu être vérifiée, vous n’avez donc pas été connecté. Réessayez ; si le problème continue, contactez l’assistance en donnant la référence ci-dessous.",
    error_unavailable: "FranceConnect ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous autrement.",
    error_expired: "Cette connexion avec FranceConnect a expiré ou a été ouverte dans un autre navigateur. Recommencez depuis la page de connexion.",
    correlation: "Référence de l’erreur",
    back_to_login: "Revenir à la page de connexion",
};

pub static EN: FederationTexts = FederationTexts {
    what_is_fc: "What is FranceConnect?",
    what_is_fc_title: "What is FranceConnect? - new window",
    fc_purpose: "FranceConnect is the solution offered by the French State to secure and simplify signing in to your online services.",
    or_separator: "or",
    cancelled: "You cancelled the sign-in with FranceConnect. You may try again or sign in another way.",
    error_title: "Sign-in with FranceConnect failed",
    error_refused: "FranceConnect's answer could not be verified, so you were not signed in. Try again; if it keeps failing, contact the help desk with the reference below.",
    error_unavailable: "FranceConnect is not answering at the moment. Try again in a few minutes, or sign in another way.",
    error_expired: "This sign-in with FranceConnect expired or was opened in another browser. Start again from the sign-in page.",
    correlation: "Error reference",
    back_to_login: "Back to the sign-in page",
};

pub fn texts(lang: &str) -> &'static FederationTexts {
    if lang == "en" { &EN } else { &FR }
}
