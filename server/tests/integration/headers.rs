use crate::helpers::{PASSWORD, TestApp, unique_email};
use reqwest::header::{ACCEPT, CONTENT_TYPE, ORIGIN};

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
}

fn assert_hardened(response: &reqwest::Response) {
    let csp = header(response, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} missing in {csp}");
    }
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert!(!header(response, "referrer-policy").is_empty());
    assert!(header(response, "permissions-policy").contains("camera=()"));
    assert!(!header(response, "x-request-id").is_empty());
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_that_matches_their_scripts() {
    let app = TestApp::spawn().await;
    let response = app.get("/sign-in", None).await;
    assert_eq!(response.status(), 200);
    assert_hardened(&response);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let csp = header(&response, "content-security-policy").to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned();
    assert!(nonce.len() >= 22, "at least 128 bits");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the nonce"
    );

    let again = app.get("/sign-in", None).await;
    assert!(
        !header(&again, "content-security-policy").contains(&nonce),
        "a new nonce on every response"
    );
}

#[tokio::test]
async fn errors_are_hardened_too_and_show_no_internals() {
    let app = TestApp::spawn().await;
    let missing = app.get("/no-such-page", None).await;
    assert_eq!(missing.status(), 404);
    assert_hardened(&missing);
    assert!(missing.text().await.unwrap().contains("Page not found"));

    let unauthenticated = app.call("/api/dashboard/summary", &[], None).await;
    assert_eq!(unauthenticated.status(), 401);
    assert_hardened(&unauthenticated);
    assert_eq!(header(&unauthenticated, "cache-control"), "no-store");
}

#[tokio::test]
async fn account_pages_are_never_cached() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up(&unique_email()).await;
    let page = app.get("/app", Some(&cookie)).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_hardened(&page);
}

#[tokio::test]
async fn hsts_is_sent_only_when_served_over_https() {
    let plain = TestApp::spawn().await;
    assert!(
        plain
            .get("/healthz", None)
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );

    let secure =
        TestApp::spawn_with(&[("LEDGERLOCK_PUBLIC_URL", "https://billing.example.com")]).await;
    let response = secure.get("/healthz", None).await;
    let hsts = header(&response, "strict-transport-security");
    let max_age: u64 = hsts
        .trim_start_matches("max-age=")
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age >= 31_536_000, "{hsts}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/auth/sign_in"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "email=a%40example.com&password={}",
            "x".repeat(2 * 1024 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_hardened(&response);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let form = crate::helpers::encode_form(&[
        ("name", "Mallory"),
        ("email", &email),
        ("password", PASSWORD),
        ("organization", "Evil"),
    ]);
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/api/auth/sign_up"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header(name, value)
            .body(form.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{name}: {value}");
        assert_hardened(&response);
    }
    // Same-origin requests work, and the address was never taken.
    let response = app
        .client
        .post(app.url("/api/auth/sign_up"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(ORIGIN, &app.base)
        .header("sec-fetch-site", "same-origin")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn get_requests_never_change_state() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up(&unique_email()).await;
    // Server functions answer POST only; a GET to sign-out does not sign out.
    let response = app.get("/api/auth/sign_out", Some(&cookie)).await;
    assert_ne!(response.status(), 200);
    assert_eq!(app.get("/app", Some(&cookie)).await.status(), 200);
}

#[tokio::test]
async fn a_missing_asset_is_never_cached() {
    // Hashed assets are cached for a year; a 404 for one (an instance of
    // another version asked first) must not be, or it would stick.
    let app = TestApp::spawn().await;
    let response = app.get("/pkg/ledgerlock.0000000000.wasm", None).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn assets_are_served_precompressed_to_browsers_that_accept_it() {
    // .ci/build.sh writes `.br` and `.gz` beside every file under /pkg; the
    // server picks one by Accept-Encoding and never compresses it again.
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let plain = b"\0asm plain module bytes, long enough to be worth compressing ........".repeat(8);
    std::fs::write(pkg.join("chunk.wasm"), &plain).unwrap();
    std::fs::write(pkg.join("chunk.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("chunk.wasm.gz"), b"gzip bytes").unwrap();
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(&[("LEDGERLOCK_SITE_ROOT", &root)]).await;

    let fetch = |encodings: &'static str| {
        let request = app.client.get(app.url("/pkg/chunk.wasm"));
        async move {
            let request = match encodings {
                "" => request,
                accepted => request.header("accept-encoding", accepted),
            };
            request.send().await.unwrap()
        }
    };
    for (accepted, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), &b"brotli bytes"[..]),
        ("gzip", Some("gzip"), &b"gzip bytes"[..]),
        ("", None, &plain[..]),
    ] {
        let response = fetch(accepted).await;
        assert_eq!(response.status(), 200, "{accepted}");
        let headers = response.headers().clone();
        assert_eq!(
            headers
                .get("content-encoding")
                .map(|value| value.to_str().unwrap()),
            encoding,
            "{accepted}"
        );
        assert_eq!(headers["content-type"], "application/wasm", "{accepted}");
        assert!(
            headers
                .get_all("vary")
                .iter()
                .any(|value| value.to_str().unwrap().contains("accept-encoding")),
            "{accepted}: {headers:?}"
        );
        assert_eq!(&response.bytes().await.unwrap()[..], body, "{accepted}");
    }
}
