//! Resident accounts: login throttling, sign-up, email verification, password recovery.

use crate::support::{Browser, Landing, PASSWORD, TestServer};

/// The login page of a fresh authorization request.
async fn login_page(server: &TestServer, browser: &Browser) -> Landing {
    let client = server.web_client().await;
    let page = browser.open(&server.authorize_url(&client, &[])).await;
    assert!(page.is_login_page());
    page
}

#[tokio::test]
async fn failed_logins_slow_the_next_ones_down_whether_the_account_exists_or_not() {
    let server = TestServer::start().await;
    server.resident("camille@lyon.fr").await;
    for email in ["camille@lyon.fr", "nobody@lyon.fr"] {
        let browser = Browser::new(&server);
        let mut page = login_page(&server, &browser).await;
        for attempt in 1..=3 {
            page = browser.login(&page, email, "not the password").await;
            assert_eq!(page.status(), 200, "{email}: attempt {attempt} is free");
            assert!(page.html().contains("incorrect"));
        }
        page = browser.login(&page, email, "not the password").await;
        assert_eq!(page.status(), 429, "{email}: the fourth failure earns a delay");
        assert!(page.html().contains("réessayez dans 1 seconde."), "{}", page.html());
        // During the delay even the right password is not checked.
        page = browser.login(&page, email, PASSWORD).await;
        assert_eq!(page.status(), 429, "{email}");
    }
    // Once the delay has passed, the right password works and clears the resident's count.
    server.clock.advance(2);
    let browser = Browser::new(&server);
    let page = login_page(&server, &browser).await;
    let after = browser.login(&page, "camille@lyon.fr", PASSWORD).await;
    assert!(after.is_consent_page(), "logged in");
    let browser = Browser::new(&server);
    let page = login_page(&server, &browser).await;
    let retry = browser.login(&page, "camille@lyon.fr", "a typo").await;
    assert_eq!(retry.status(), 200, "a success resets the resident's own count");
}
