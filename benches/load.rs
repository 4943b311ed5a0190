//! The load driver of `benches/load.sh`: the scenarios the shared harness
//! (`../shared/bench/bench.sh`: wrk for single requests, `bench-driver` for the password login)
//! does not have, run the same way against any OpenID provider on the loopback — ours and the
//! peer — so the two can be compared in one sitting.
//!
//!   load hop       BASE [-c N] [-z SECONDS]   SSO hop: a signed-in resident opens a service
//!   load refresh   BASE [-c N] [-z SECONDS]   refresh_token grants, rotation followed
//!   load mixed     BASE [-c N] [-z SECONDS]   the mix below, per worker, in a fixed order
//!   load isolation BASE [-c N] [-z SECONDS]   token p99 at a steady 500/s, quiet, then
//!                                              during a flood of N concurrent password logins
//!   load es256     [-z SECONDS]               raw ES256 signatures of a token-sized JWT, one thread
//!   load argon2    [-n HASHES]                one argon2id hash at the provider's parameters
//!   load startup   [-n RUNS] -- CMD ARGS…     spawn CMD until its discovery answers, median
//!   load soak      BASE [-c N] [-z SECONDS] [-r RATE] [-p PID]
//!                                              the mix at a steady RATE operations/s, residents
//!                                              logging out and in among them; a line a minute
//!                                              with the memory of the server PID (benches/load/soak.rs)
//!   load floor     ADDR DIR                    serve DIR/discovery.json and DIR/jwks.json with
//!                                              nothing else (axum, hyper, tokio as the provider
//!                                              uses them): what the HTTP stack alone allows
//!
//! Each scenario prints one line like bench.sh's: `name  rate  p50_ms  p99_ms  errors  note`.
//! Clients, account and form fields come from the environment, with bench.sh's names and
//! defaults (`FLOW_CLIENT_ID`, `LOGIN_USER`, …) plus `HOP_CLIENT_ID` / `HOP_CLIENT_SECRET`:
//! the second service of the SSO hop (default: the flow client itself).
//!
//! Run by `cargo bench --bench load -- MODE …`; with no mode (as `cargo test --benches` would)
//! it prints its usage and exits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "load/soak.rs"]
mod soak;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, Response, StatusCode, Url};
use sha2::{Digest, Sha256};

/// One worker's operations of the mixed workload, repeated: mostly residents moving between
/// services already signed in, APIs checking tokens, a few password logins.
const MIX: [Op; 20] = [
    Op::Hop,
    Op::Userinfo,
    Op::Introspect,
    Op::Hop,
    Op::Refresh,
    Op::Userinfo,
    Op::TokenCc,
    Op::Hop,
    Op::Introspect,
    Op::Userinfo,
    Op::Hop,
    Op::Refresh,
    Op::TokenCc,
    Op::Hop,
    Op::Userinfo,
    Op::Introspect,
    Op::Refresh,
    Op::Hop,
    Op::TokenCc,
    Op::Login,
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Hop,
    Userinfo,
    Introspect,
    Refresh,
    TokenCc,
    Login,
    /// RP-initiated logout, then a new password login (the soak's).
    Logout,
}

#[derive(Clone)]
struct Credentials {
    id: String,
    secret: String,
}

struct Settings {
    concurrency: usize,
    seconds: f64,
    flow: Credentials,
    hop: Credentials,
    cc: Credentials,
    cc_scope: String,
    redirect_uri: String,
    scope: String,
    login_user: String,
    login_password: String,
    login_field: String,
    password_field: String,
}

struct Endpoints {
    authorization: Url,
    token: Url,
    userinfo: Url,
    introspection: Url,
    end_session: Option<Url>,
}

struct Provider {
    settings: Settings,
    endpoints: Endpoints,
}

struct Tokens {
    access: String,
    /// The ID token, for an RP-initiated logout's `id_token_hint`.
    id: Option<String>,
    refresh: Option<String>,
    /// The client the access token was issued to: it may introspect it at any provider.
    owner: Credentials,
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn credentials(id_key: &str, secret_key: &str, id: &str, secret: &str) -> Credentials {
    Credentials { id: env_or(id_key, id), secret: env_or(secret_key, secret) }
}

fn settings(concurrency: usize, seconds: f64) -> Settings {
    let flow = credentials("FLOW_CLIENT_ID", "FLOW_CLIENT_SECRET", "bench-web", "bench-web-secret");
    let hop = credentials("HOP_CLIENT_ID", "HOP_CLIENT_SECRET", &flow.id, &flow.secret);
    Settings {
        concurrency,
        seconds,
        cc: credentials("CC_CLIENT_ID", "CC_CLIENT_SECRET", "bench-cc", "bench-cc-secret"),
        cc_scope: env_or("CC_SCOPE", "api:read"),
        redirect_uri: env_or("FLOW_REDIRECT_URI", "http://127.0.0.1:9999/cb"),
        scope: env_or("FLOW_SCOPE", "openid email profile"),
        login_user: env_or("LOGIN_USER", "alice"),
        login_password: env_or("LOGIN_PASSWORD", "secret"),
        login_field: env_or("LOGIN_FIELD", "login"),
        password_field: env_or("PASSWORD_FIELD", "password"),
        flow,
        hop,
    }
}

// ---------------------------------------------------------------- HTTP steps of a resident

fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()) + &URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

async fn body_of(response: Response) -> String {
    response.text().await.unwrap_or_default()
}

fn snippet(text: &str) -> String {
    text.chars().take(160).collect::<String>().replace('\n', " ")
}

/// How an authorization request is driven.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asking {
    /// The resident fills in what the pages ask (login, consent).
    Interactive,
    /// Only redirects are followed: the browser is signed in and has consented already.
    SignedIn,
    /// `prompt=none`: the provider answers at once, by redirect, without showing a page (OIDC
    /// Core §3.1.2.1) — nor starting an interaction that nobody would finish.
    Silently,
}

/// Authorization request with PKCE, followed until the redirect back to the client. Pages on
/// the way (login, consent) are filled in only when [`Asking::Interactive`]: an SSO hop must
/// not see any.
async fn authorize(
    http: &Client,
    provider: &Provider,
    client: &Credentials,
    asking: Asking,
) -> Result<(String, String), String> {
    let s = &provider.settings;
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_token();
    let mut url = provider.endpoints.authorization.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", &s.redirect_uri)
        .append_pair("scope", &s.scope)
        .append_pair("state", &state)
        .append_pair("nonce", &random_token())
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if asking == Asking::Silently {
        url.query_pairs_mut().append_pair("prompt", "none");
    }
    let mut response = http.get(url.clone()).send().await.map_err(|e| e.to_string())?;
    for _ in 0..16 {
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
            let next = url.join(location).map_err(|e| format!("bad Location {location}: {e}"))?;
            if next.as_str().starts_with(&s.redirect_uri) {
                let query: HashMap<_, _> = next.query_pairs().into_owned().collect();
                if let Some(error) = query.get("error") {
                    return Err(format!("authorization error {error}"));
                }
                if query.get("state") != Some(&state) {
                    return Err("state mismatch".into());
                }
                let code = query.get("code").ok_or("no code in the redirect")?;
                return Ok((code.clone(), verifier));
            }
            url = next;
            response = http.get(url.clone()).send().await.map_err(|e| e.to_string())?;
        } else if status == StatusCode::OK && asking == Asking::Interactive {
            let page = body_of(response).await;
            let form = pick_form(parse_forms(&page), s).ok_or_else(|| format!("no form on {url}"))?;
            let action = url.join(&form.action).map_err(|e| e.to_string())?;
            response = http.post(action.clone()).form(&form.fields).send().await.map_err(|e| e.to_string())?;
            url = action;
        } else {
            return Err(format!("{status} at {url}: {}", snippet(&body_of(response).await)));
        }
    }
    Err("too many steps".into())
}

async fn token_request(
    http: &Client,
    provider: &Provider,
    client: &Credentials,
    form: &[(&str, &str)],
) -> Result<Tokens, String> {
    let response = http
        .post(provider.endpoints.token.clone())
        .basic_auth(&client.id, Some(&client.secret))
        .form(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = body_of(response).await;
    if status != StatusCode::OK {
        return Err(format!("token endpoint {status}: {}", snippet(&text)));
    }
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let access = json["access_token"].as_str().ok_or("no access_token")?.to_owned();
    Ok(Tokens {
        access,
        id: json["id_token"].as_str().map(str::to_owned),
        refresh: json["refresh_token"].as_str().map(str::to_owned),
        owner: client.clone(),
    })
}

async fn redeem(
    http: &Client,
    provider: &Provider,
    client: &Credentials,
    code: &str,
    verifier: &str,
) -> Result<Tokens, String> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", provider.settings.redirect_uri.as_str()),
        ("code_verifier", verifier),
    ];
    token_request(http, provider, client, &form).await
}

async fn refresh(http: &Client, provider: &Provider, tokens: &mut Tokens) -> Result<(), String> {
    let current = tokens.refresh.clone().ok_or("no refresh token")?;
    let form = [("grant_type", "refresh_token"), ("refresh_token", current.as_str())];
    let fresh = token_request(http, provider, &provider.settings.flow, &form).await?;
    tokens.access = fresh.access;
    tokens.owner = fresh.owner;
    // A provider that does not rotate answers without a new one: keep using the same.
    if fresh.refresh.is_some() {
        tokens.refresh = fresh.refresh;
    }
    Ok(())
}

async fn client_credentials(http: &Client, provider: &Provider) -> Result<(), String> {
    let s = &provider.settings;
    token_request(http, provider, &s.cc, &[("grant_type", "client_credentials"), ("scope", s.cc_scope.as_str())])
        .await
        .map(drop)
}

async fn userinfo(http: &Client, provider: &Provider, access_token: &str) -> Result<(), String> {
    let response = http
        .get(provider.endpoints.userinfo.clone())
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = body_of(response).await;
    if status != StatusCode::OK || !text.contains("\"sub\"") {
        return Err(format!("userinfo {status}: {}", snippet(&text)));
    }
    Ok(())
}

async fn introspect(http: &Client, provider: &Provider, tokens: &Tokens) -> Result<(), String> {
    let response = http
        .post(provider.endpoints.introspection.clone())
        .basic_auth(&tokens.owner.id, Some(&tokens.owner.secret))
        .form(&[("token", tokens.access.as_str())])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let text = body_of(response).await;
    if !text.replace(' ', "").contains("\"active\":true") {
        return Err(format!("introspection: {}", snippet(&text)));
    }
    Ok(())
}

/// A resident's first visit: password login (and consent) at the flow client, code, tokens.
async fn login(http: &Client, provider: &Provider) -> Result<Tokens, String> {
    let flow = &provider.settings.flow;
    let (code, verifier) = authorize(http, provider, flow, Asking::Interactive).await?;
    redeem(http, provider, flow, &code, &verifier).await
}

/// A signed-in resident opening the hop client: no page, straight back with a code.
async fn hop(http: &Client, provider: &Provider) -> Result<Tokens, String> {
    let client = &provider.settings.hop;
    let (code, verifier) = authorize(http, provider, client, Asking::SignedIn).await?;
    let tokens = redeem(http, provider, client, &code, &verifier).await?;
    userinfo(http, provider, &tokens.access).await?;
    Ok(tokens)
}

/// RP-initiated logout with the ID token as hint, its confirmation form submitted if the
/// provider shows one, followed until the provider lets the browser go.
async fn logout(http: &Client, provider: &Provider, tokens: &Tokens) -> Result<(), String> {
    let mut url = provider.endpoints.end_session.clone().ok_or("no end_session_endpoint")?;
    if let Some(id) = &tokens.id {
        url.query_pairs_mut().append_pair("id_token_hint", id);
    }
    let mut response = http.get(url.clone()).send().await.map_err(|e| e.to_string())?;
    let mut confirmed = false;
    for _ in 0..8 {
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
            let next = url.join(location).map_err(|e| format!("bad Location {location}: {e}"))?;
            if next.origin() != url.origin() {
                break;
            }
            url = next;
            response = http.get(url.clone()).send().await.map_err(|e| e.to_string())?;
        } else if status == StatusCode::OK {
            let page = body_of(response).await;
            let confirmation = parse_forms(&page)
                .into_iter()
                .find(|f| !f.has_password && !f.action.to_ascii_lowercase().contains("lang"));
            match confirmation {
                Some(form) if !confirmed => {
                    confirmed = true;
                    let action = url.join(&form.action).map_err(|e| e.to_string())?;
                    response = http.post(action.clone()).form(&form.fields).send().await.map_err(|e| e.to_string())?;
                    url = action;
                }
                _ => break,
            }
        } else {
            return Err(format!("logout {status} at {url}: {}", snippet(&body_of(response).await)));
        }
    }
    // Over: a silent authorization request must now be told that nobody is signed in. (A
    // request that showed the login page would prove the same, but leave behind an interaction
    // that lives its full 30 minutes: a soak's memory would grow for as long as it runs.)
    match authorize(http, provider, &provider.settings.flow, Asking::Silently).await {
        Ok(_) => Err("the session outlived its logout".into()),
        Err(e) if e == "authorization error login_required" => Ok(()),
        Err(e) => Err(format!("after the logout, a silent authorization request: {e}")),
    }
}

/// One of the mix's operations a signed-in resident does without a new login or a logout.
async fn signed_in_op(op: Op, http: &Client, provider: &Provider, tokens: &mut Tokens) -> Result<(), String> {
    match op {
        Op::Hop => hop(http, provider).await.map(|hopped| {
            tokens.access = hopped.access;
            tokens.owner = hopped.owner;
        }),
        Op::Userinfo => userinfo(http, provider, &tokens.access).await,
        Op::Introspect => introspect(http, provider, tokens).await,
        Op::Refresh => refresh(http, provider, tokens).await,
        Op::TokenCc => client_credentials(http, provider).await,
        Op::Login | Op::Logout => Err(format!("{op:?} is not a signed-in operation")),
    }
}

/// A signed-in resident who has also consented at the hop client once.
async fn resident(provider: &Provider) -> Result<(Client, Tokens), String> {
    let http = browser();
    let tokens = login(&http, provider).await?;
    authorize(&http, provider, &provider.settings.hop, Asking::Interactive).await?;
    Ok((http, tokens))
}

// ---------------------------------------------------------------- HTML forms

struct Form {
    action: String,
    fields: Vec<(String, String)>,
    has_password: bool,
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&end| end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of a start tag (`<input type="hidden" name="x" value="y">`), names lowercased.
fn attributes(tag: &str) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let bytes = tag.as_bytes();
    let mut i = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' && bytes[i] != b'>' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = tag[start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let from = i + 1;
                i = from;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                value = decode_entities(&tag[from..i.min(bytes.len())]);
                i += 1;
            } else {
                let from = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&tag[from..i]);
            }
        }
        found.insert(name, value);
    }
    found
}

/// Every `<form>`: its action, what a browser would submit (hidden and text inputs, checked
/// boxes, the first named submit button), and whether it asks for a password.
fn parse_forms(page: &str) -> Vec<Form> {
    let lower = page.to_ascii_lowercase();
    let mut forms = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form").map(|at| at + from) {
        let end = lower[start..].find("</form").map_or(lower.len(), |at| at + start);
        let open_end = lower[start..end].find('>').map_or(end, |at| at + start);
        let mut form_attrs = attributes(&page[start..open_end]);
        let action = form_attrs.remove("action").unwrap_or_default();
        let mut form = Form { action, fields: Vec::new(), has_password: false };
        let mut submit_chosen = false;
        let mut at = open_end;
        while let Some(tag_start) = lower[at..end].find('<').map(|i| i + at) {
            let tag_end = lower[tag_start..end].find('>').map_or(end, |i| i + tag_start);
            let tag = &page[tag_start..tag_end];
            at = tag_end;
            let kind = &lower[tag_start + 1..tag_end].split_whitespace().next().unwrap_or_default().to_owned();
            let attrs = attributes(tag);
            let name = attrs.get("name").cloned().unwrap_or_default();
            let value = attrs.get("value").cloned().unwrap_or_default();
            let input_type = attrs.get("type").map(|t| t.to_ascii_lowercase()).unwrap_or_else(|| "text".into());
            match (kind.as_str(), input_type.as_str()) {
                ("input", "password") => form.has_password = true,
                ("input", "checkbox" | "radio") if attrs.contains_key("checked") && !name.is_empty() => {
                    form.fields.push((name, if value.is_empty() { "on".into() } else { value }));
                }
                ("input", "submit") | ("button", "submit") if !submit_chosen => {
                    submit_chosen = true;
                    if !name.is_empty() {
                        form.fields.push((name, value));
                    }
                }
                ("input", "checkbox" | "radio" | "submit" | "button" | "image" | "reset") => {}
                ("input", _) if !name.is_empty() => form.fields.push((name, value)),
                _ => {}
            }
        }
        // A submit button may stand outside its form, tied to it by `form="id"` (as
        // node-oidc-provider's logout page does, its "sign me out" button carrying
        // `logout=yes`): the first such button is the one the resident clicks.
        if !submit_chosen
            && let Some(id) = form_attrs.get("id")
            && let Some((name, value)) = submitter_tied_to(page, &lower, id)
            && !name.is_empty()
        {
            form.fields.push((name, value));
        }
        forms.push(form);
        from = end.max(start + 1);
    }
    forms
}

/// The name and value of the first submit button anywhere on `page` that names the form `id`
/// in its `form` attribute.
fn submitter_tied_to(page: &str, lower: &str, id: &str) -> Option<(String, String)> {
    let mut at = 0;
    while let Some(tag_start) = lower[at..].find('<').map(|i| i + at) {
        let tag_end = lower[tag_start..].find('>').map_or(lower.len(), |i| i + tag_start);
        at = tag_end;
        let kind = lower[tag_start + 1..tag_end].split_whitespace().next().unwrap_or_default();
        if kind != "button" && kind != "input" {
            continue;
        }
        let attrs = attributes(&page[tag_start..tag_end]);
        // A button's type is submit unless it says otherwise; an input's must say so.
        let default_type = if kind == "button" { "submit" } else { "text" };
        let submits = attrs.get("type").map_or(default_type, String::as_str).eq_ignore_ascii_case("submit");
        if submits && attrs.get("form").is_some_and(|f| f == id) {
            let field = |name: &str| attrs.get(name).cloned().unwrap_or_default();
            return Some((field("name"), field("value")));
        }
    }
    None
}

/// The login form gets the account; any other page gets its first form that does not refuse.
fn pick_form(mut forms: Vec<Form>, s: &Settings) -> Option<Form> {
    if let Some(mut form) = forms.iter().position(|f| f.has_password).map(|i| forms.swap_remove(i)) {
        form.fields.retain(|(name, _)| name != &s.login_field && name != &s.password_field);
        form.fields.push((s.login_field.clone(), s.login_user.clone()));
        form.fields.push((s.password_field.clone(), s.login_password.clone()));
        return Some(form);
    }
    forms.into_iter().find(|f| {
        let action = f.action.to_ascii_lowercase();
        !["abort", "deny", "cancel", "logout", "lang"].iter().any(|word| action.contains(word))
    })
}

// ---------------------------------------------------------------- measuring

#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_ms.extend(other.latencies_ms);
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }

    /// A worker that could not even prepare (log its resident in): one error, nothing measured.
    fn setup_failed(error: String) -> Tally {
        Tally { errors: 1, first_error: Some(format!("setup: {error}")), ..Tally::default() }
    }

    /// Records an operation only if it ended within the measured window.
    fn record_before(&mut self, deadline: Instant, started: Instant, outcome: Result<(), String>) {
        if Instant::now() <= deadline {
            self.record(started, outcome);
        }
    }

    fn record(&mut self, started: Instant, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.latencies_ms.push(started.elapsed().as_secs_f64() * 1000.0),
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    fn line(mut self, name: &str, seconds: f64, note: &str) -> String {
        self.latencies_ms.sort_by(f64::total_cmp);
        let rate = self.latencies_ms.len() as f64 / seconds;
        let (p50, p99) = (percentile(&self.latencies_ms, 0.50), percentile(&self.latencies_ms, 0.99));
        let check = match &self.first_error {
            None => "ok".to_owned(),
            Some(e) => format!("first error: {}", snippet(e)),
        };
        format!("{name:<12} {rate:>10.1} {p50:>9.2} {p99:>9.2} {:>8}  {check} ({note})", self.errors)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `work` on `concurrency` workers until the deadline; each worker gets its index.
async fn run_workers<F, Fut>(concurrency: usize, seconds: f64, work: F) -> Tally
where
    F: Fn(usize, Instant) -> Fut,
    Fut: std::future::Future<Output = Tally> + Send + 'static,
{
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..concurrency).map(|i| tokio::spawn(work(i, deadline))).collect();
    let mut total = Tally::default();
    for handle in handles {
        total.merge(handle.await.expect("worker"));
    }
    total
}

async fn scenario_hop(provider: &'static Provider) -> String {
    let s = &provider.settings;
    let tally = run_workers(s.concurrency, s.seconds, move |_, deadline| async move {
        let mut tally = Tally::default();
        let http = match resident(provider).await {
            Ok((http, _)) => http,
            Err(e) => return Tally::setup_failed(e),
        };
        while Instant::now() < deadline {
            let started = Instant::now();
            let outcome = hop(&http, provider).await.map(drop);
            tally.record_before(deadline, started, outcome);
        }
        tally
    })
    .await;
    tally.line("sso_hop", s.seconds, "flows/s: authorize → code → token → userinfo, no page")
}

async fn scenario_refresh(provider: &'static Provider) -> String {
    let s = &provider.settings;
    let tally = run_workers(s.concurrency, s.seconds, move |_, deadline| async move {
        let mut tally = Tally::default();
        let http = browser();
        let mut tokens = match login(&http, provider).await {
            Ok(tokens) => tokens,
            Err(e) => return Tally::setup_failed(e),
        };
        while Instant::now() < deadline {
            let started = Instant::now();
            let outcome = refresh(&http, provider, &mut tokens).await;
            tally.record_before(deadline, started, outcome);
        }
        tally
    })
    .await;
    tally.line("refresh", s.seconds, "req/s")
}

async fn scenario_mixed(provider: &'static Provider) -> String {
    let s = &provider.settings;
    let tally = run_workers(s.concurrency, s.seconds, move |worker, deadline| async move {
        let mut tally = Tally::default();
        let (http, mut tokens) = match resident(provider).await {
            Ok(found) => found,
            Err(e) => return Tally::setup_failed(e),
        };
        // Workers start at different places in the mix so the load is mixed at every instant.
        let mut step = worker * 7;
        while Instant::now() < deadline {
            let op = MIX[step % MIX.len()];
            step += 1;
            let started = Instant::now();
            let outcome = match op {
                Op::Login => login(&browser(), provider).await.map(drop),
                Op::Logout => logout(&http, provider, &tokens).await,
                op => signed_in_op(op, &http, provider, &mut tokens).await,
            };
            tally.record_before(deadline, started, outcome.map_err(|e| format!("{op:?}: {e}")));
        }
        tally
    })
    .await;
    tally.line(
        "mixed",
        s.seconds,
        "operations/s: 6 hop, 4 userinfo, 3 introspect, 3 refresh, 3 client_credentials, 1 password login in 20",
    )
}

/// The token endpoint's p99 alone, then while `concurrency` residents log in with their
/// password as fast as they can.
/// Tokens asked at a steady rate, open loop (a slow answer does not delay the next request, so
/// no latency is hidden), on a thread and runtime of their own: the latency a commune's API
/// sees, whatever else the driver is doing. A saturating probe would measure its own queue, not
/// the provider's isolation. Each is timed from when it was sent: the runtime's timer wakes the
/// pacing loop up to a millisecond after the due time, which is the driver's, not the provider's.
/// Started from the driver's main thread, whose priority the probe thread inherits.
async fn paced_tokens(provider: &'static Provider, per_second: f64, seconds: f64) -> Tally {
    let probe = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let http = browser();
            let tally = std::sync::Arc::new(std::sync::Mutex::new(Tally::default()));
            let start = tokio::time::Instant::now();
            let mut requests = Vec::new();
            for n in 0..(per_second * seconds) as u32 {
                let due = start + Duration::from_secs_f64(f64::from(n) / per_second);
                tokio::time::sleep_until(due).await;
                let (http, tally) = (http.clone(), tally.clone());
                requests.push(tokio::spawn(async move {
                    let sent = Instant::now();
                    let outcome = client_credentials(&http, provider).await;
                    tally.lock().expect("tally").record(sent, outcome);
                }));
            }
            for request in requests {
                request.await.expect("probe");
            }
            std::mem::take(&mut *tally.lock().expect("tally"))
        })
    });
    tokio::task::spawn_blocking(move || probe.join().expect("probe thread")).await.expect("probe")
}

async fn scenario_isolation(provider: &'static Provider) -> String {
    let s = &provider.settings;
    // Well below the token endpoint's capacity, so that only interference shows.
    const PROBE_RATE: f64 = 500.0;
    let mut quiet = paced_tokens(provider, PROBE_RATE, s.seconds).await;
    let flood = tokio::spawn(run_workers(s.concurrency, s.seconds + 1.0, move |_, deadline| async move {
        let mut tally = Tally::default();
        while Instant::now() < deadline {
            let started = Instant::now();
            let outcome = login(&browser(), provider).await.map(drop);
            tally.record(started, outcome);
        }
        tally
    }));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut loaded = paced_tokens(provider, PROBE_RATE, s.seconds - 0.5).await;
    let flood = flood.await.expect("flood");
    quiet.latencies_ms.sort_by(f64::total_cmp);
    loaded.latencies_ms.sort_by(f64::total_cmp);
    let (quiet_p99, loaded_p99) = (percentile(&quiet.latencies_ms, 0.99), percentile(&loaded.latencies_ms, 0.99));
    let logins = flood.latencies_ms.len() as f64 / (s.seconds + 1.0);
    let errors = quiet.errors + loaded.errors + flood.errors;
    let first = quiet.first_error.or(loaded.first_error).or(flood.first_error).unwrap_or_else(|| "ok".into());
    format!(
        "isolation    token p99 quiet {quiet_p99:.2} ms, during {logins:.1} logins/s {loaded_p99:.2} ms: ×{:.2}  errors {errors}  {} \
         ({PROBE_RATE:.0} tokens/s, open loop)",
        loaded_p99 / quiet_p99.max(0.001),
        snippet(&first)
    )
}

// ---------------------------------------------------------------- the bounds

/// Raw ES256 signatures of an access-token-sized JWT, one thread: the physical bound of a
/// signed token on this core.
fn raw_es256(seconds: f64) -> String {
    use josekit::jws::{ES256, JwsHeader};
    use josekit::jwt::{self, JwtPayload};
    let pair = ES256.generate_key_pair().expect("ES256 key");
    let signer = ES256.signer_from_der(pair.to_der_private_key()).expect("signer");
    let mut header = JwsHeader::new();
    header.set_token_type("at+jwt");
    header.set_key_id("k-2026-11-29-es256");
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:8090", "sub": "bench-cc", "aud": "urn:bench:api",
        "client_id": "bench-cc", "scope": "api:read", "iat": 1_800_000_000, "exp": 1_800_000_300,
        "jti": "0193a5c4-1b2f-7d3e-8a4b-5c6d7e8f9a0b"
    });
    let payload = JwtPayload::from_map(claims.as_object().cloned().expect("object")).expect("payload");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut count = 0u64;
    while Instant::now() < deadline {
        std::hint::black_box(jwt::encode_with_signer(&payload, &header, &signer).expect("sign"));
        count += 1;
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    format!("es256_raw    {rate:>10.1} signatures/s on one thread ({:.1} µs each)", 1e6 / rate)
}

/// One argon2id hash at the provider's parameters, through the provider's own hasher (its
/// work area reused as in the server): the password login's bound is cores ÷ this time.
fn argon2_bound(hashes: usize) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let pool = glc::identity::password::PasswordHasherPool::new(1).expect("hasher");
    let mut times: Vec<f64> = (0..hashes.max(1))
        .map(|i| {
            let started = Instant::now();
            std::hint::black_box(runtime.block_on(pool.hash(format!("mot de passe {i}"))).expect("hash"));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = percentile(&times, 0.5);
    format!(
        "argon2id     {median:.2} ms per hash (median of {}), bound {:.1} logins/s per core",
        times.len(),
        1000.0 / median
    )
}

/// Spawns the server command until its discovery document answers: ready means listening,
/// migrations checked and keys loaded (the server binds only after both).
async fn startup(runs: usize, command: &[String], base: &str) -> String {
    let discovery = format!("{base}/.well-known/openid-configuration");
    let http = Client::new();
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut child = std::process::Command::new(&command[0])
            .args(&command[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the server");
        let ready = loop {
            if let Ok(response) = http.get(&discovery).send().await
                && response.status() == StatusCode::OK
            {
                break Some(started.elapsed().as_secs_f64() * 1000.0);
            }
            if started.elapsed() > Duration::from_secs(20) || child.try_wait().ok().flatten().is_some() {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let _ = child.kill();
        let _ = child.wait();
        match ready {
            Some(ms) => times.push(ms),
            None => return "startup      FAILED: the server did not answer".into(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    times.sort_by(f64::total_cmp);
    format!(
        "startup      {:.1} ms to a discovery answer (median of {}, max {:.1})",
        percentile(&times, 0.5),
        times.len(),
        times[times.len() - 1]
    )
}

// ---------------------------------------------------------------- main

async fn discover(base: &str, settings: Settings) -> Result<Provider, String> {
    let url = format!("{}/.well-known/openid-configuration", base.trim_end_matches('/'));
    let document: serde_json::Value =
        Client::new().get(&url).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    let endpoint = |key: &str| -> Result<Url, String> {
        let url =
            Url::parse(document[key].as_str().ok_or(format!("no {key} in discovery"))?).map_err(|e| e.to_string())?;
        match url.host_str() {
            Some("127.0.0.1" | "localhost" | "[::1]") => Ok(url),
            _ => Err(format!("refusing the non-loopback {key} {url}")),
        }
    };
    Ok(Provider {
        endpoints: Endpoints {
            authorization: endpoint("authorization_endpoint")?,
            token: endpoint("token_endpoint")?,
            userinfo: endpoint("userinfo_endpoint")?,
            introspection: endpoint("introspection_endpoint")?,
            end_session: endpoint("end_session_endpoint").ok(),
        },
        settings,
    })
}

/// The two static documents our provider serves, served by nothing but the HTTP stack it is
/// built on, with its runtime's defaults: the rate of this server bounds what any handler of
/// ours can reach on the same core, whatever it does.
fn http_floor(positional: &[String]) {
    use axum::http::header;
    let [addr, dir] = positional else {
        usage();
        std::process::exit(2);
    };
    let read = |name: &str| axum::body::Bytes::from(std::fs::read(format!("{dir}/{name}")).expect("document"));
    let (discovery, jwks) = (read("discovery.json"), read("jwks.json"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/json")], discovery) }),
            )
            .route(
                "/jwks",
                axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/jwk-set+json")], jwks) }),
            );
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await.expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}

fn usage() {
    eprintln!(
        "usage: load hop|refresh|mixed|isolation|soak BASE [-c N] [-z SECONDS] [-r RATE] [-p PID] | es256 [-z S] | argon2 [-n N] | startup [-n N] BASE -- CMD… | floor ADDR DIR"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(mode) = args.first().cloned() else {
        usage();
        return;
    };
    let (mut concurrency, mut seconds, mut count, mut rate, mut pid) = (32usize, 10.0f64, 5usize, 50.0f64, 0u32);
    let mut positional = Vec::new();
    let mut command = Vec::new();
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-c" => concurrency = rest.next().and_then(|v| v.parse().ok()).unwrap_or(concurrency),
            "-z" => seconds = rest.next().and_then(|v| v.parse().ok()).unwrap_or(seconds),
            "-n" => count = rest.next().and_then(|v| v.parse().ok()).unwrap_or(count),
            "-r" => rate = rest.next().and_then(|v| v.parse().ok()).unwrap_or(rate),
            "-p" => pid = rest.next().and_then(|v| v.parse().ok()).unwrap_or(pid),
            "--" => command = rest.by_ref().cloned().collect(),
            other => positional.push(other.to_owned()),
        }
    }
    match mode.as_str() {
        "es256" => return println!("{}", raw_es256(seconds)),
        "argon2" => return println!("{}", argon2_bound(count)),
        "floor" => return http_floor(&positional),
        _ => {}
    }
    let Some(base) = positional.first().cloned() else {
        usage();
        std::process::exit(2);
    };
    // Like the shared flow driver: one thread, so that pinned to a core it measures the server.
    let multi = mode == "isolation";
    let runtime = if multi {
        // The login flood stands for residents' browsers, whose CPU is theirs, not the
        // provider's: on this shared machine its workers yield to everything else (the probe's
        // thread and the provider keep the usual priority).
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .on_thread_start(|| {
                let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
            })
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    }
    .expect("runtime");
    runtime.block_on(async move {
        if mode == "startup" {
            if command.is_empty() {
                usage();
                std::process::exit(2);
            }
            return println!("{}", startup(count, &command, &base).await);
        }
        let longest = if mode == "soak" { 4.0 * 3600.0 } else { 600.0 };
        let provider = match discover(&base, settings(concurrency.clamp(1, 512), seconds.clamp(1.0, longest))).await {
            Ok(provider) => Box::leak(Box::new(provider)),
            Err(e) => {
                eprintln!("load: {e}");
                std::process::exit(1);
            }
        };
        let line = match mode.as_str() {
            "hop" => scenario_hop(provider).await,
            "refresh" => scenario_refresh(provider).await,
            "mixed" => scenario_mixed(provider).await,
            "isolation" => scenario_isolation(provider).await,
            "soak" => soak::run(provider, rate.max(1.0), pid).await,
            _ => {
                usage();
                std::process::exit(2);
            }
        };
        println!("{line}");
    });
}
