use crate::helpers::{PASSWORD, TestApp, session_cookie, session_set_cookie, unique_email};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, REFERER};
use sea_orm::{ConnectionTrait, Database, Statement};

#[tokio::test]
async fn sign_up_creates_the_account_and_signs_in() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;

    let me = app.call("/api/auth/me", &[], Some(&cookie)).await;
    assert_eq!(me.status(), 200);
    let body = me.text().await.unwrap();
    assert!(body.contains("Ana López"), "{body}");
    assert!(body.contains("Acme Trading"), "{body}");
    assert!(body.contains("Owner"), "{body}");

    let page = app.get("/app", Some(&cookie)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Acme Trading"),
        "the dashboard shows the organization"
    );
    assert!(html.contains("data-testid=\"member-count\""));
}

#[tokio::test]
async fn password_is_stored_as_an_argon2id_hash_in_one_transaction_with_the_org() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "SELECT u.password_hash, m.role, o.name FROM users u JOIN memberships m ON m.user_id = u.id JOIN organizations o ON o.id = m.organization_id WHERE u.email_lookup = $1",
                _ => "SELECT u.password_hash, m.role, o.name FROM users u JOIN memberships m ON m.user_id = u.id JOIN organizations o ON o.id = m.organization_id WHERE u.email_lookup = ?",
            },
            [email.clone().into()],
        ))
        .await
        .unwrap()
        .expect("user, membership and organization exist");
    let hash: String = row.try_get_by_index(0).unwrap();
    let role: String = row.try_get_by_index(1).unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
    assert_eq!(role, "owner");
}

#[tokio::test]
async fn a_duplicate_email_is_refused_whatever_its_case() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let response = app
        .call(
            "/api/auth/sign_up",
            &[
                ("name", "Someone Else"),
                ("email", &email.to_uppercase()),
                ("password", "another long passphrase"),
                ("organization", "Other Org"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), 409);
    assert!(session_cookie(response.headers()).is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("sign in instead"), "{body}");
}

#[tokio::test]
async fn bad_sign_up_input_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    for (field, form) in [
        (
            "email",
            [
                ("name", "Ana"),
                ("email", "not-an-email"),
                ("password", PASSWORD),
                ("organization", "Acme"),
            ],
        ),
        (
            "password",
            [
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("password", "too short"),
                ("organization", "Acme"),
            ],
        ),
        (
            "name",
            [
                ("name", "   "),
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("organization", "Acme"),
            ],
        ),
        (
            "organization",
            [
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("organization", ""),
            ],
        ),
    ] {
        let response = app.call("/api/auth/sign_up", &form, None).await;
        assert_eq!(response.status(), 422, "{field}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{field}: {body}"
        );
    }
    // Nothing was written: the address is still free.
    app.sign_up("ana@example.com").await;
}

#[tokio::test]
async fn malformed_requests_get_a_plain_400() {
    let app = TestApp::spawn().await;
    let response = app
        .call("/api/auth/sign_up", &[("name", "Ana")], None)
        .await;
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("panicked") && !body.contains("src/"),
        "{body}"
    );
}

#[tokio::test]
async fn sign_in_with_the_right_password_changes_the_session_id() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;

    let response = app.sign_in(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[LOCATION], "/app");
    let cookie = session_cookie(response.headers()).expect("a session cookie");

    let again = app.sign_in(&email, PASSWORD).await;
    let second = session_cookie(again.headers()).unwrap();
    assert_ne!(cookie, second, "every sign-in gets a fresh session id");
}

#[tokio::test]
async fn a_fixated_session_id_is_replaced_at_sign_in() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let first = app.sign_up(&email).await;
    let response = app
        .call(
            "/api/auth/sign_in",
            &[("email", &email), ("password", PASSWORD)],
            Some(&first),
        )
        .await;
    let renewed = session_cookie(response.headers()).unwrap();
    assert_ne!(renewed, first);
    let old = app.call("/api/auth/me", &[], Some(&first)).await;
    assert_eq!(old.text().await.unwrap(), "null", "the old id is dead");
}

#[tokio::test]
async fn wrong_email_and_wrong_password_look_identical() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let wrong_password = app.sign_in(&email, "not the right password").await;
    let unknown_email = app.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_email.status(), 401);
    assert!(session_cookie(wrong_password.headers()).is_none());
    assert_eq!(
        wrong_password.text().await.unwrap(),
        unknown_email.text().await.unwrap()
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() {
    let app = TestApp::spawn().await;
    let response = app
        .call(
            "/api/auth/sign_up",
            &[
                ("name", "Ana"),
                ("email", &unique_email()),
                ("password", PASSWORD),
                ("organization", "Acme"),
            ],
            None,
        )
        .await;
    let line = session_set_cookie(response.headers()).unwrap();
    assert!(line.starts_with("ledgerlock_session="), "{line}");
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Strict"), "{line}");
    assert!(line.contains("Path=/"), "{line}");
    assert!(!line.contains("Domain"), "{line}");
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_prefixed() {
    let app =
        TestApp::spawn_with(&[("LEDGERLOCK_PUBLIC_URL", "https://billing.example.com")]).await;
    let response = app
        .call(
            "/api/auth/sign_up",
            &[
                ("name", "Ana"),
                ("email", &unique_email()),
                ("password", PASSWORD),
                ("organization", "Acme"),
            ],
            None,
        )
        .await;
    let line = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-ledgerlock_session="))
        .map(str::to_owned)
        .expect("a __Host- cookie");
    assert!(line.contains("Secure"), "{line}");
    assert!(line.contains("Path=/"), "{line}");
}

#[tokio::test]
async fn sign_out_kills_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up(&unique_email()).await;
    let out = app.call("/api/auth/sign_out", &[], Some(&cookie)).await;
    assert_eq!(out.status(), 200);
    // Replaying the old cookie, as a thief would, finds nothing.
    let page = app.get("/app", Some(&cookie)).await;
    assert_eq!(page.status(), 303);
    let me = app.call("/api/auth/me", &[], Some(&cookie)).await;
    assert_eq!(me.text().await.unwrap(), "null");
    let summary = app.call("/api/dashboard/summary", &[], Some(&cookie)).await;
    assert_eq!(summary.status(), 401);
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let response = app.get("/app?tab=recent", None).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()[LOCATION],
        "/sign-in?next=/app%3Ftab%3Drecent"
    );
    let summary = app.call("/api/dashboard/summary", &[], None).await;
    assert_eq!(summary.status(), 401);
}

#[tokio::test]
async fn a_forged_cookie_is_just_a_signed_out_visitor() {
    let app = TestApp::spawn().await;
    let response = app
        .get("/app", Some("ledgerlock_session=AAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn sign_in_returns_only_to_local_paths() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    for (next, expected) in [
        ("/app?tab=1", "/app?tab=1"),
        ("https://evil.example/", "/app"),
        ("//evil.example/", "/app"),
    ] {
        let response = app
            .call(
                "/api/auth/sign_in",
                &[("email", &email), ("password", PASSWORD), ("next", next)],
                None,
            )
            .await;
        assert_eq!(response.headers()[LOCATION], expected, "{next}");
    }
}

#[tokio::test]
async fn forms_work_without_javascript() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let response = app
        .client
        .post(app.url("/api/auth/sign_up"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(REFERER, app.url("/sign-up"))
        .body(crate::helpers::encode_form(&[
            ("name", "Ana"),
            ("email", &email),
            ("password", PASSWORD),
            ("organization", "Acme"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()[LOCATION], "/app");
    let cookie = session_cookie(response.headers()).unwrap();
    assert_eq!(app.get("/app", Some(&cookie)).await.status(), 200);
}

#[tokio::test]
async fn without_javascript_a_refused_form_comes_back_with_its_message() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let response = app
        .client
        .post(app.url("/api/auth/sign_in"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header(REFERER, app.url("/sign-in"))
        .body(crate::helpers::encode_form(&[
            ("email", &email),
            ("password", "not the password at all"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert!(session_cookie(response.headers()).is_none());
    let back = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let back = back.strip_prefix(&app.base).unwrap_or(&back).to_owned();
    assert!(back.starts_with("/sign-in?"), "{back}");
    let page = app.get(&back, None).await.text().await.unwrap();
    assert!(
        page.contains("The email or password is incorrect."),
        "{page}"
    );
}

#[tokio::test]
async fn sign_ins_beside_other_writes_never_find_the_database_locked() {
    // helper-14 saw a sign-in answered 500 "database is locked (code 517)"
    // beside two other requests: on SQLite a transaction that read, then
    // wrote after another connection committed, could not wait its turn.
    // Writing transactions now take the write lock when they begin.
    let app = std::sync::Arc::new(
        TestApp::spawn_with(&[("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "1000")]).await,
    );
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (app, email, cookie) = (app.clone(), email.clone(), cookie.clone());
        calls.spawn(async move {
            let response = if n % 2 == 0 {
                app.sign_in(&email, PASSWORD).await
            } else {
                app.call("/api/auth/me", &[], Some(&cookie)).await
            };
            (n, response.status().as_u16())
        });
    }
    while let Some(answer) = calls.join_next().await {
        let (n, status) = answer.unwrap();
        assert_eq!(status, 200, "call {n}");
    }
}
