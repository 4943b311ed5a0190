//! `GET /developers`: the partner developer guide (`docs/developers.md`, rendered once), with
//! the data catalogue generated from `consent::catalogue`, so the page never disagrees with
//! what the provider releases.

use std::fmt::Write as _;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use crate::consent::catalogue::{self, Item, LegalBasis, Sensitivity};
use crate::http::AppState;
use crate::http::views::csp;

const GUIDE: &str = include_str!("../../../docs/developers.md");
const CATALOGUE_MARKER: &str = "<!-- catalogue -->";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The catalogue as an HTML table.
fn catalogue_table() -> String {
    let mut html = String::from(
        "<div class=\"table-scroll\" role=\"region\" aria-label=\"Le catalogue des données\" tabindex=\"0\">\
         <table><caption>Le catalogue des données</caption><thead><tr><th scope=\"col\">Donnée</th>\
         <th scope=\"col\">Portée</th><th scope=\"col\">Revendications</th><th scope=\"col\">Finalité par défaut</th>\
         <th scope=\"col\">Base légale</th><th scope=\"col\">Sensibilité</th><th scope=\"col\">Certifiable</th></tr></thead><tbody>",
    );
    let rows = std::iter::once(&catalogue::IDENTITY).chain(catalogue::ITEMS.iter());
    for item in rows {
        let Item { label_fr, scope, releases, purpose_fr, legal_basis, sensitivity, certifiable, .. } = item;
        let basis = match legal_basis {
            LegalBasis::Consent => "consentement",
            LegalBasis::PublicServiceMission => "mission de service public",
        };
        let sensitivity = match sensitivity {
            Sensitivity::Low => "faible",
            Sensitivity::Moderate => "modérée",
            Sensitivity::High => "élevée",
        };
        let claims = releases.iter().map(|c| format!("<code>{}</code>", escape(c))).collect::<Vec<_>>().join(", ");
        let _ = write!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(label_fr),
            escape(scope),
            claims,
            escape(purpose_fr),
            basis,
            sensitivity,
            if *certifiable { "oui" } else { "non" }
        );
    }
    html.push_str("</tbody></table></div>");
    html
}

/// The guide as HTML, rendered once: the Markdown is ours, compiled in.
pub fn guide_html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(GUIDE));
        html.replace(CATALOGUE_MARKER, &catalogue_table())
    })
}

/// In French, the language of the partners' teams.
pub async fn get(State(state): State<AppState>) -> Response {
    let ctx = context! { guide => minijinja::Value::from_safe_string(guide_html().to_owned()) };
    state.views.page(StatusCode::OK, "public/developers.html", "fr", ctx, csp(None, None))
}
