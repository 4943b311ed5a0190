//! The harness: a real server per test (its own SQLite file, keys and clock), a cookie-keeping
//! browser, and helpers that drive the authorization code flow as a client would.

use std::collections::HashMap;
use std::sync::Arc;

use glc::clock::ShiftedClock;
use glc::config::Config;
use glc::identity::user::{self, NewUser, User};
use glc::oauth::client::{self, AuthMethod, ClientSpec, GrantType};
use glc::provider::Provider;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT_URI: &str = "http://127.0.0.1:1/cb";

thread_local! {
    static FORM_POST_PLAN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a test of the Basic plan as the Form Post plan does: every authorization request the
/// harness builds asks `response_mode=form_post` (the test runs on this thread).
pub fn as_form_post_plan(test: fn()) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            FORM_POST_PLAN.set(false);
        }
    }
    FORM_POST_PLAN.set(true);
    let _reset = Reset;
    test();
}

/// The parameters the running plan adds to every authorization request.
pub fn plan_params() -> &'static [(&'static str, &'static str)] {
    if form_post_plan() { &[("response_mode", "form_post")] } else { &[] }
}

/// Whether the running test mirrors the Form Post plan.
pub fn form_post_plan() -> bool {
    FORM_POST_PLAN.get()
}

pub struct TestServer {
    pub base: String,
    pub provider: Arc<Provider>,
    pub clock: Arc<ShiftedClock>,
    pub dir: Arc<tempfile::TempDir>,
    /// Drops the test's PostgreSQL schema when the last instance using it is gone.
    _schema: Option<Arc<PgSchema>>,
    _stop: oneshot::Sender<()>,
    /// With `GLC_TEST_INSTANCES=2`: the second instance and the round-robin proxy in front.
    _peers: Vec<TestServer>,
    _proxy: Option<oneshot::Sender<()>>,
}

/// With `GLC_TEST_LOG_DIR` set (as `.ci/run` does), every in-process server logs, as JSON at
/// debug level, into one file per run of this binary there; `.ci/scan-logs` then searches the
/// whole suite's logs for passwords, secrets, tokens and keys. Unset: no logging.
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(dir) = env_backend("GLC_TEST_LOG_DIR") else { return };
        std::fs::create_dir_all(&dir).unwrap();
        let path = format!("{dir}/integration-{}.log", std::process::id());
        let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter("glc=debug,tower_http=debug,info")
            .with_writer(std::sync::Mutex::new(file))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// `GLC_TEST_INSTANCES=2` runs every test through two instances behind a proxy that
/// alternates requests between them (`.ci/run` does this on PostgreSQL + Redis).
fn instances_per_test() -> usize {
    env_backend("GLC_TEST_INSTANCES").and_then(|n| n.parse().ok()).unwrap_or(1).max(1)
}

/// The backends of the run: PostgreSQL and Redis when `GLC_DATABASE_URL` / `GLC_REDIS_URL`
/// name them (as `.ci/run` does), SQLite and the in-process store otherwise. A named backend
/// that cannot be reached fails the test: never a silent fallback.
pub fn env_backend(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A schema of its own in the shared PostgreSQL database, dropped at the end of the test.
pub struct PgSchema {
    admin_url: String,
    name: String,
}

impl PgSchema {
    pub async fn create(admin_url: &str) -> (PgSchema, String) {
        let name = format!("glc_t_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("GLC_DATABASE_URL={admin_url} is set but PostgreSQL is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&pool).await.unwrap();
        pool.close().await;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{name}");
        (PgSchema { admin_url: admin_url.to_owned(), name }, url)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // The test's runtime is shutting down: drop the schema from a runtime of our own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE")))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

#[derive(Debug, Clone)]
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
    pub auth: AuthMethod,
    pub redirect_uri: String,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A provider whose issuer is `http://localhost:…` (WebAuthn wants a host name, never an
    /// IP); the test's browsers reach it as `localhost` too.
    pub async fn start_on_localhost() -> TestServer {
        let mut server = Self::start_with(|c| c.issuer = c.issuer.replace("127.0.0.1", "localhost")).await;
        server.base = server.base.replace("127.0.0.1", "localhost");
        server
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        capture_logs();
        let dir = tempfile::tempdir().unwrap();
        let (schema, database_url) = match env_backend("GLC_DATABASE_URL") {
            Some(url) if url.starts_with("postgres") => {
                let (schema, url) = PgSchema::create(&url).await;
                (Some(Arc::new(schema)), url)
            }
            _ => (None, format!("sqlite:{}", dir.path().join("glc.db").display())),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config {
            issuer: format!("http://127.0.0.1:{}", addr.port()),
            bind: addr.to_string(),
            database_url,
            database_max_connections: 4,
            redis_url: env_backend("GLC_REDIS_URL"),
            redis_key_prefix: format!("glc-test:{}:", uuid::Uuid::new_v4().simple()),
            keys_dir: dir.path().join("keys"),
            mail: glc::config::MailConfig { outbox_dir: dir.path().join("outbox"), ..Default::default() },
            ..Config::default()
        };
        adjust(&mut config);
        let (clock, dir) = (Arc::new(ShiftedClock::default()), Arc::new(dir));
        if instances_per_test() == 1 {
            return Self::launch(config, listener, clock, dir, schema, None).await;
        }
        // The public address is the proxy's; the instances listen elsewhere, same issuer.
        let mut instances = Vec::new();
        for _ in 0..instances_per_test() {
            let own = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let config = Config { bind: own.local_addr().unwrap().to_string(), ..config.clone() };
            let shared = match instances.first() {
                Some(first) if config.redis_url.is_none() => Some(Self::store_of(first)),
                _ => None,
            };
            instances.push(Self::launch(config, own, clock.clone(), dir.clone(), schema.clone(), shared).await);
        }
        let targets = instances.iter().map(|i| i.base.clone()).collect();
        let proxy = spawn_round_robin(listener, targets);
        let mut first = instances.remove(0);
        first.base = format!("http://{addr}");
        first._peers = instances;
        first._proxy = Some(proxy);
        first
    }

    fn store_of(server: &TestServer) -> Arc<glc::store::ephemeral::ShortLived> {
        server.provider.ephemeral.clone()
    }

    /// Another instance of the same provider: same issuer, database, Redis, keys and clock,
    /// its own port.
    /// Without Redis the two in-process instances share one in-process store (the stand-in for
    /// Redis in the embedded run); with Redis each has its own connection to it.
    pub async fn another_instance(&self) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = Config { bind: listener.local_addr().unwrap().to_string(), ..self.provider.config.clone() };
        let shared = self.provider.config.redis_url.is_none().then(|| self.provider.ephemeral.clone());
        Self::launch(config, listener, self.clock.clone(), self.dir.clone(), self._schema.clone(), shared).await
    }

    async fn launch(
        config: Config,
        listener: TcpListener,
        clock: Arc<ShiftedClock>,
        dir: Arc<tempfile::TempDir>,
        schema: Option<Arc<PgSchema>>,
        shared_store: Option<Arc<glc::store::ephemeral::ShortLived>>,
    ) -> TestServer {
        config.validate().unwrap();
        let addr = listener.local_addr().unwrap();
        let mut provider = glc::app::build_provider(config, clock.clone()).await.unwrap();
        if let Some(store) = shared_store {
            let mut own = Arc::try_unwrap(provider).unwrap();
            own.ephemeral = store;
            provider = Arc::new(own);
        }
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(glc::app::serve(provider.clone(), listener, async move {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            provider,
            clock,
            dir,
            _schema: schema,
            _stop: stop,
            _peers: Vec::new(),
            _proxy: None,
        }
    }

    /// The issuer (equal to `base` for a first instance).
    pub fn issuer(&self) -> &str {
        self.provider.issuer()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn resident(&self, email: &str) -> User {
        let new = NewUser {
            email: email.into(),
            password: Some(PASSWORD.into()),
            given_name: Some("Camille".into()),
            family_name: Some("Martin".into()),
        };
        user::create(&self.provider.db, &self.provider.passwords, new, self.provider.now()).await.unwrap()
    }

    pub async fn register(&self, spec: ClientSpec) -> TestClient {
        let auth = spec.auth_method;
        let redirect_uri = spec.redirect_uris.first().cloned().unwrap_or_default();
        let registered = client::register(&self.provider.db, spec, self.provider.now()).await.unwrap();
        TestClient { id: registered.client.client_id, secret: registered.client_secret, auth, redirect_uri }
    }

    pub fn web_spec(name: &str) -> ClientSpec {
        ClientSpec { name: name.into(), redirect_uris: vec![REDIRECT_URI.into()], ..ClientSpec::default() }
    }

    /// A confidential web client (client_secret_basic, code + refresh).
    pub async fn web_client(&self) -> TestClient {
        self.register(Self::web_spec("Portail Lyon")).await
    }

    pub async fn public_client(&self) -> TestClient {
        self.register(ClientSpec {
            auth_method: AuthMethod::None,
            redirect_uris: vec!["http://127.0.0.1:2/native".into()],
            ..Self::web_spec("App mobile")
        })
        .await
    }

    pub async fn service_client(&self, scopes: &str, resources: &[&str]) -> TestClient {
        self.register(ClientSpec {
            name: "GRU".into(),
            redirect_uris: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            scopes: Some(glc::oauth::scope::Scopes::parse(scopes).unwrap()),
            resources: resources.iter().map(|s| (*s).to_owned()).collect(),
            ..ClientSpec::default()
        })
        .await
    }

    pub async fn commune(&self, name: &str) -> String {
        glc::partners::create_commune(
            &self.provider.db,
            glc::partners::PartnerChanges { name: Some(name.to_owned()), ..Default::default() },
            self.provider.now(),
        )
        .await
        .unwrap()
        .id
    }

    /// An authorization request URL: the defaults, overridden or extended by `extra`.
    pub fn authorize_url(&self, client: &TestClient, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", &client.id),
            ("redirect_uri", &client.redirect_uri),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st4te"),
            ("nonce", "n0nce"),
        ];
        if form_post_plan() {
            params.push(("response_mode", "form_post"));
        }
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        format!("{}/authorize?{query}", self.base)
    }

    /// The whole browser part of the code flow: open, log in and consent when asked; returns
    /// the callback parameters.
    pub async fn authorize(
        &self,
        browser: &Browser,
        client: &TestClient,
        extra: &[(&str, &str)],
    ) -> HashMap<String, String> {
        let mut landing = browser.open(&self.authorize_url(client, extra)).await;
        if landing.is_login_page() {
            landing = browser.login(&landing, "camille@lyon.fr", PASSWORD).await;
        }
        if landing.is_consent_page() {
            landing = browser.submit(&landing, &[("decision", "allow")]).await;
        }
        landing.callback()
    }

    /// POSTs a form to the token endpoint (or another), authenticating as `client`.
    pub async fn post_as(&self, path: &str, client: &TestClient, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let http = reqwest::Client::new();
        let mut form: Vec<(&str, &str)> = form.to_vec();
        let mut request = http.post(self.url(path));
        match client.auth {
            AuthMethod::ClientSecretBasic => {
                request = request.basic_auth(&client.id, client.secret.as_deref());
            }
            AuthMethod::ClientSecretPost => {
                form.push(("client_id", &client.id));
                form.push(("client_secret", client.secret.as_deref().unwrap_or_default()));
            }
            _ => form.push(("client_id", &client.id)),
        }
        let response = request.form(&form).send().await.unwrap();
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn redeem(&self, client: &TestClient, code: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form =
            vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirect_uri.as_str())];
        form.extend_from_slice(extra);
        self.post_as("/token", client, &form).await
    }

    /// Logs a resident in and returns the token response.
    pub async fn tokens(&self, browser: &Browser, client: &TestClient, extra: &[(&str, &str)]) -> Value {
        let callback = self.authorize(browser, client, extra).await;
        let code = callback.get("code").unwrap_or_else(|| panic!("no code: {callback:?}"));
        let (status, body) = self.redeem(client, code, &[]).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn userinfo(&self, access_token: &str) -> (StatusCode, Value) {
        let response =
            reqwest::Client::new().get(self.url("/userinfo")).bearer_auth(access_token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// A mail the server wrote to its outbox: recipient, subject and decoded body.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl SentMail {
    /// The first link in the body to one of our paths.
    pub fn link(&self, path: &str) -> String {
        let start = self.body.find(path).unwrap_or_else(|| panic!("no link to {path} in {}", self.body));
        let begin = self.body[..start].rfind("http").unwrap();
        self.body[begin..].split_whitespace().next().unwrap().to_owned()
    }
}

impl TestServer {
    /// Every mail in the outbox, oldest first.
    pub fn outbox(&self) -> Vec<SentMail> {
        use base64::Engine;
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("outbox")) else { return Vec::new() };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let raw = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
                let (head, body) = raw.split_once("\n\n").unwrap();
                let header = |name: &str| {
                    head.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned()).unwrap_or_default()
                };
                let encoded: String = body.lines().collect();
                let body = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).unwrap();
                SentMail { to: header("To:"), subject: header("Subject:"), body: String::from_utf8(body).unwrap() }
            })
            .collect()
    }

    /// The mails sent to `to`.
    pub fn mails_to(&self, to: &str) -> Vec<SentMail> {
        self.outbox().into_iter().filter(|m| m.to.contains(to)).collect()
    }
}

/// Decodes a JWT's claims without verifying (the tests verify with openidconnect where it
/// matters).
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn jwt_header(token: &str) -> Value {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Where a navigation ended.
#[derive(Debug)]
pub enum Landing {
    /// One of our pages.
    Page { status: u16, html: String, url: String },
    /// A redirect leaving the provider (to a client).
    Redirect(url::Url),
    /// A form_post response page.
    FormPost { action: String, fields: HashMap<String, String> },
}

impl Landing {
    pub fn html(&self) -> &str {
        match self {
            Landing::Page { html, .. } => html,
            other => panic!("expected a page, got {other:?}"),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Landing::Page { status, .. } => *status,
            other => panic!("expected a page, got {other:?}"),
        }
    }

    pub fn is_login_page(&self) -> bool {
        matches!(self, Landing::Page { html, .. } if html.contains("name=\"password\""))
    }

    pub fn is_consent_page(&self) -> bool {
        matches!(self, Landing::Page { html, .. } if html.contains("name=\"decision\""))
    }

    /// The `lang` of the page.
    pub fn lang(&self) -> String {
        let html = self.html();
        let start = html.find("<html lang=\"").unwrap() + 12;
        html[start..].split('"').next().unwrap().to_owned()
    }

    /// The parameters delivered to the client.
    pub fn callback(&self) -> HashMap<String, String> {
        match self {
            Landing::Redirect(url) => {
                assert!(!form_post_plan(), "the Form Post plan expects a form_post response, got a redirect to {url}");
                url.query_pairs().into_owned().collect()
            }
            Landing::FormPost { fields, .. } => fields.clone(),
            Landing::Page { status, html, .. } => {
                panic!("expected a redirect to the client, got page {status}: {html}")
            }
        }
    }
}

pub struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    pub fn new(server: &TestServer) -> Browser {
        Self::for_base(&server.base)
    }

    pub fn for_base(base: &str) -> Browser {
        // `localhost` is the test servers' loopback address, whatever the resolver says of ::1.
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .build()
            .unwrap();
        Browser { http, base: base.to_owned() }
    }

    /// A browser with its own HTTP client (one trusting a test certificate, say).
    pub fn with_client(http: reqwest::Client, base: &str) -> Browser {
        Browser { http, base: base.to_owned() }
    }

    /// The same browser (same cookies) talking to another instance.
    pub fn via(&self, server: &TestServer) -> Browser {
        Browser { http: self.http.clone(), base: server.base.clone() }
    }

    pub async fn open(&self, url: &str) -> Landing {
        let response = self.http.get(url).send().await.unwrap();
        self.follow(response).await
    }

    /// The raw response to a GET with this browser's cookies (a download, say).
    pub async fn fetch(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// Follows redirects within the provider; stops at a page or at a redirect leaving it.
    pub async fn follow(&self, mut response: reqwest::Response) -> Landing {
        loop {
            let url = response.url().clone();
            if response.status().is_redirection() {
                let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
                let next = url.join(&location).unwrap();
                if !next.as_str().starts_with(&self.base) {
                    return Landing::Redirect(next);
                }
                response = self.http.get(next).send().await.unwrap();
                continue;
            }
            let status = response.status().as_u16();
            let html = response.text().await.unwrap();
            if html.contains("id=\"response\"") {
                let (action, fields) = parse_form(&html);
                return Landing::FormPost { action, fields };
            }
            return Landing::Page { status, html, url: url.to_string() };
        }
    }

    /// Submits the page's form with its hidden fields plus `fields`.
    /// Submits the form of `page` whose action is `action` (a page with several forms).
    pub async fn submit_to(&self, page: &Landing, action: &str, fields: &[(&str, &str)]) -> Landing {
        let Landing::Page { html, .. } = page else { panic!("no form on {page:?}") };
        let start = html
            .match_indices("<form")
            .map(|(i, _)| i)
            .find(|i| {
                html[*i..].split('>').next().is_some_and(|tag| unescape(tag).contains(&format!("action=\"{action}\"")))
            })
            .unwrap_or_else(|| panic!("no form to {action}"));
        let end = start + html[start..].find("</form>").unwrap();
        let (_, mut form) = parse_form(&html[start..end]);
        for (k, v) in fields {
            form.insert((*k).to_owned(), (*v).to_owned());
        }
        let response = self.http.post(format!("{}{action}", self.base)).form(&form).send().await.unwrap();
        self.follow(response).await
    }

    pub async fn submit(&self, page: &Landing, fields: &[(&str, &str)]) -> Landing {
        self.submit_unticking(page, fields, &[]).await
    }

    /// Submits the page's form as `submit` does, with the checkboxes named in `untick` left
    /// unticked (an unticked box sends nothing).
    pub async fn submit_unticking(&self, page: &Landing, fields: &[(&str, &str)], untick: &[&str]) -> Landing {
        let Landing::Page { html, url, .. } = page else { panic!("no form on {page:?}") };
        let (action, mut form) = parse_form(html);
        for (k, v) in fields {
            form.insert((*k).to_owned(), (*v).to_owned());
        }
        for name in untick {
            assert!(form.remove(*name).is_some(), "no checkbox {name} on the page");
        }
        // Relative actions go to this browser's instance (the page may come from another one).
        let base = if action.starts_with('/') { format!("{}/", self.base) } else { url.clone() };
        let target = url::Url::parse(&base).unwrap().join(&action).unwrap();
        let response = self.http.post(target).form(&form).send().await.unwrap();
        self.follow(response).await
    }

    /// Fills and submits the page's password form (whatever other forms come first: the
    /// FranceConnect button, say).
    pub async fn login(&self, page: &Landing, email: &str, password: &str) -> Landing {
        assert!(page.is_login_page(), "expected the login page, got {page:?}");
        let html = page.html();
        let at = html.find("name=\"password\"").unwrap();
        let start = html[..at].rfind("<form").unwrap();
        let tag = &html[start..start + html[start..].find('>').unwrap()];
        let action = attribute(tag, "action").unwrap();
        self.submit_to(page, &action, &[("email", email), ("password", password)]).await
    }

    /// The options of the passkey ceremony behind the page's form to `action` (what
    /// `static/passkeys.js` fetches): the status and the JSON.
    pub async fn passkey_options(&self, page: &Landing, action: &str) -> (u16, serde_json::Value) {
        let tag = form_tag(page.html(), action);
        let options = attribute(&tag, "data-options").expect("a passkey form");
        let csrf = form_field(page.html(), action, "csrf");
        let response = self.http.post(format!("{}{options}", self.base)).form(&[("csrf", csrf)]).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Landing {
        let response = self.http.post(url).form(form).send().await.unwrap();
        self.follow(response).await
    }

    pub async fn raw_get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }
}

/// The opening tag of the page's form to `action`.
fn form_tag(html: &str, action: &str) -> String {
    html.match_indices("<form")
        .map(|(i, _)| html[i..].split('>').next().unwrap_or_default())
        .find(|tag| unescape(tag).contains(&format!("action=\"{action}\"")))
        .unwrap_or_else(|| panic!("no form to {action}"))
        .to_owned()
}

/// The value of input `name` in the page's form to `action`.
pub fn form_field(html: &str, action: &str, name: &str) -> String {
    let tag = form_tag(html, action);
    let start = html.find(&tag).unwrap();
    let end = start + html[start..].find("</form>").unwrap();
    let (_, fields) = parse_form(&html[start..end]);
    fields.get(name).cloned().unwrap_or_else(|| panic!("no {name} in the form to {action}"))
}

/// The first form of a page: its action and the values of its inputs.
pub fn parse_form(html: &str) -> (String, HashMap<String, String>) {
    let form_start = html.find("<form").expect("a form");
    let form_tag = &html[form_start..form_start + html[form_start..].find('>').unwrap()];
    let action = attribute(form_tag, "action").unwrap_or_default();
    let mut fields = HashMap::new();
    let mut rest = &html[form_start..];
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..i + rest[i..].find('>').unwrap()];
        if let Some(name) = attribute(tag, "name") {
            fields.insert(name, attribute(tag, "value").unwrap_or_default());
        }
        rest = &rest[i + 6..];
    }
    (action, fields)
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A reverse proxy that sends each request to the next of `targets` in turn.
fn spawn_round_robin(listener: TcpListener, targets: Vec<String>) -> oneshot::Sender<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (http, targets, next) = (http.clone(), targets.clone(), next.clone());
        async move {
            let target = &targets[next.fetch_add(1, Ordering::SeqCst) % targets.len()];
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
            let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let mut forwarded = http.request(parts.method, format!("{target}{path}")).body(body);
            for (name, value) in &parts.headers {
                if name != reqwest::header::HOST {
                    forwarded = forwarded.header(name, value);
                }
            }
            let Ok(response) = forwarded.send().await else {
                return axum::response::IntoResponse::into_response(axum::http::StatusCode::BAD_GATEWAY);
            };
            let mut builder = axum::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let bytes = response.bytes().await.unwrap_or_default();
            builder.body(axum::body::Body::from(bytes)).unwrap()
        }
    });
    serve_until_dropped(listener, app)
}

/// Serves `app` on `listener` until the returned sender is dropped.
pub fn serve_until_dropped(listener: TcpListener, app: axum::Router) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    stop
}

/// A document a client publishes at a URL (key set, request object, sector identifier), on
/// loopback: changeable, and counting its fetches.
pub struct Published {
    pub url: String,
    body: Arc<std::sync::Mutex<String>>,
    fetches: Arc<std::sync::atomic::AtomicUsize>,
    _stop: oneshot::Sender<()>,
}

impl Published {
    pub async fn start(path: &str, body: &str) -> Published {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{path}", listener.local_addr().unwrap());
        let body = Arc::new(std::sync::Mutex::new(body.to_owned()));
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let app = {
            let (body, fetches) = (body.clone(), fetches.clone());
            axum::Router::new().route(
                path,
                axum::routing::get(move || {
                    fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let text = body.lock().unwrap().clone();
                    async move { text }
                }),
            )
        };
        Published { url, body, fetches, _stop: serve_until_dropped(listener, app) }
    }

    pub fn set(&self, body: &str) {
        *self.body.lock().unwrap() = body.to_owned();
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A client's logout endpoint in a test: records every request it receives (method, query, body).
pub struct Receiver {
    pub url: String,
    pub hits: Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
    _stop: oneshot::Sender<()>,
}

impl Receiver {
    pub async fn start(path: &str) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{path}", listener.local_addr().unwrap());
        let hits: Arc<std::sync::Mutex<Vec<(String, String, String)>>> = Arc::default();
        let recorded = hits.clone();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let recorded = recorded.clone();
            async move {
                let method = request.method().to_string();
                let query = request.uri().query().unwrap_or_default().to_owned();
                let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
                recorded.lock().unwrap().push((method, query, String::from_utf8_lossy(&body).into_owned()));
                "ok"
            }
        });
        Receiver { url, hits, _stop: serve_until_dropped(listener, app) }
    }

    pub fn hits(&self) -> Vec<(String, String, String)> {
        self.hits.lock().unwrap().clone()
    }
}

/// An ID token for `client_id` signed by `server` (for forging tests).
pub fn sign_with(server: &TestServer, client_id: &str) -> String {
    let claims =
        serde_json::json!({"iss": server.base, "sub": "someone", "aud": client_id, "iat": 1, "exp": 4_000_000_000i64});
    server.provider.keys().sign(glc::signing::SigningAlg::RS256, None, claims.as_object().unwrap()).unwrap()
}

/// A minimal SMTP server on loopback that accepts every message (no TLS: the provider is
/// configured with `smtp_tls = "none"` for it), to test the SMTP transport for real.
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let received = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let received = received.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(message) = data.as_mut() {
                            if line == "." {
                                received.lock().unwrap().push(std::mem::take(message));
                                data = None;
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                message.push_str(&line);
                                message.push('\n');
                            }
                            continue;
                        }
                        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250 sink\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 OK\r\n",
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }
}

/// The status of a `client_credentials` request with `client_secret_basic`: whether the
/// secret authenticates the client.
pub async fn authenticates(server: &TestServer, client_id: &str, secret: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}
