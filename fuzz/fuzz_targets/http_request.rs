//! Whole HTTP requests through the provider's router, as a client or a browser could send
//! them: every protocol endpoint (authorization, token with client assertions and DPoP
//! proofs, PAR with request objects, registration, userinfo, introspection, revocation,
//! end-session with `id_token_hint`), the pages (cookies, session ids, forms) and the admin
//! API's JSON. Input: `METHOD target`, header lines, an empty line, the body; `@SECRET@`,
//! `@BASIC@`, `@ADMIN@` and `@SESSION@` stand for live credentials. Nothing may panic and no
//! answer may be a 500: a malformed request is the client's fault, answered with a 4xx.
#![no_main]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use glc_fuzz::provider::harness;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// Routes that hash a password (argon2, ~15 ms each) would slow every run to a crawl; their
/// forms are read by the same extractors as the others.
const HASHING: [&str; 6] = ["/signup", "/account/login", "/account/password", "/account/delete", "/password/reset", "/login/"];

fn request(text: &str) -> Option<Request<Body>> {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    if method == "POST" && HASHING.iter().any(|p| target.starts_with(p)) {
        return None;
    }
    let mut builder = Request::builder().method(method).uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        builder = builder.header(name.trim(), value.trim());
    }
    let mut request = builder.body(Body::from(body.to_owned())).ok()?;
    // Each request from its own address: the per-address quotas (429) would otherwise close the
    // token endpoint to the fuzzer after its first minute of failures.
    static PEER: AtomicU32 = AtomicU32::new(0x0a00_0000);
    let peer = Ipv4Addr::from(PEER.fetch_add(1, Ordering::Relaxed));
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    Some(request)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let harness = harness();
    let mut text = text.to_owned();
    for (name, value) in &harness.substitutions {
        if text.contains(name) {
            text = text.replace(name, value);
        }
    }
    let Some(request) = request(&text) else { return };
    let shown = format!("{} {}", request.method(), request.uri());
    let answer = harness.runtime.block_on(harness.router.clone().oneshot(request)).expect("infallible");
    let status = answer.status();
    let body = harness.runtime.block_on(axum::body::to_bytes(answer.into_body(), 4 << 20));
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR,
        "{shown} answered 500: {:?}",
        body.map(|b| String::from_utf8_lossy(&b).chars().take(500).collect::<String>())
    );
});
