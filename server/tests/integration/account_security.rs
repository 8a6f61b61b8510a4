//! Issue 3: password policy, reset by email, guessing defence, sessions,
//! security log. Time-dependent rules are driven by editing stored times,
//! never by sleeping.

use crate::helpers::{
    PASSWORD, TestApp, captured_logs, edit_sessions, reset_token, session_cookie, unique_email,
};
use ledgerlock_app::ssr::entities::{password_reset, security_event, session, user};
use reqwest::header::LOCATION;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const NEW_PASSWORD: &str = "velvet thunder orchard 1987 kite";

async fn sign_up_with(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.call(
        "/api/auth/sign_up",
        &[
            ("name", "Ana López"),
            ("email", email),
            ("password", password),
            ("organization", "Acme Trading"),
        ],
        None,
    )
    .await
}

async fn events_of(app: &TestApp, email: &str) -> Vec<security_event::Model> {
    let db = app.db().await;
    let account = user::Entity::find()
        .filter(user::Column::EmailLookup.eq(email.to_lowercase()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    security_event::Entity::find()
        .filter(security_event::Column::UserId.eq(account.id))
        .all(&db)
        .await
        .unwrap()
}

pub(crate) async fn user_by_email(app: &TestApp, email: &str) -> user::Model {
    user::Entity::find()
        .filter(user::Column::EmailLookup.eq(email.to_lowercase()))
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn common_weak_and_personal_passwords_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    for (password, reason) in [
        ("password1234", "common"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
        ("acme trading rocks 2026", "organization"),
    ] {
        let response = sign_up_with(&app, &unique_email(), password).await;
        assert_eq!(response.status(), 422, "{password}");
        let body = response.text().await.unwrap();
        assert!(body.contains("\"field\":\"password\""), "{body}");
        assert!(body.contains(reason), "{password}: {body}");
    }
}

#[tokio::test]
async fn a_password_is_normalised_so_either_unicode_form_signs_in() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let composed = "caf\u{e9} au lait tous les matins";
    let decomposed = "cafe\u{301} au lait tous les matins";
    assert_eq!(sign_up_with(&app, &email, decomposed).await.status(), 200);
    assert_eq!(app.sign_in(&email, composed).await.status(), 200);
}

#[tokio::test]
async fn the_reset_link_works_once_ends_every_session_and_does_not_sign_in() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let old_session = app.sign_up(&email).await;

    let asked = app
        .call(
            "/api/auth/request_password_reset",
            &[("email", &email)],
            None,
        )
        .await;
    assert_eq!(asked.status(), 200);
    let message = app.wait_for_mail(&email, "reset your password").await;
    let token = reset_token(&message);
    assert!(token.len() >= 43, "at least 256 bits, URL-safe: {token}");

    // Only the hash is stored.
    let stored = password_reset::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token);

    let reset = app
        .call(
            "/api/auth/reset_password",
            &[("token", &token), ("password", NEW_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(reset.headers()[LOCATION], "/sign-in?reset=1");
    assert!(
        session_cookie(reset.headers()).is_none(),
        "a reset never signs in"
    );

    assert_eq!(
        app.get("/app", Some(&old_session)).await.status(),
        303,
        "old sessions end"
    );
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 401);
    assert_eq!(app.sign_in(&email, NEW_PASSWORD).await.status(), 200);

    let reused = app
        .call(
            "/api/auth/reset_password",
            &[
                ("token", &token),
                ("password", "another fresh passphrase 77"),
            ],
            None,
        )
        .await;
    assert_eq!(reused.status(), 410, "a link works once");
    app.wait_for_mail(&email, "password was changed").await;

    let kinds: Vec<String> = events_of(&app, &email)
        .await
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(
        kinds.contains(&"password_reset_requested".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"password_reset_completed".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn an_expired_or_unknown_reset_link_is_refused() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    app.call(
        "/api/auth/request_password_reset",
        &[("email", &email)],
        None,
    )
    .await;
    let token = reset_token(&app.wait_for_mail(&email, "reset your password").await);

    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::ExpiresAt,
            Expr::value(OffsetDateTime::now_utc() - Duration::minutes(1)),
        )
        .exec(&app.db().await)
        .await
        .unwrap();
    for token in [token.as_str(), "made-up-token"] {
        let response = app
            .call(
                "/api/auth/reset_password",
                &[("token", token), ("password", NEW_PASSWORD)],
                None,
            )
            .await;
        assert_eq!(response.status(), 410);
    }
    assert_eq!(
        app.sign_in(&email, PASSWORD).await.status(),
        200,
        "the password is unchanged"
    );
}

#[tokio::test]
async fn asking_for_a_reset_reveals_nothing_about_the_address() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let known = app
        .call(
            "/api/auth/request_password_reset",
            &[("email", &email)],
            None,
        )
        .await;
    let unknown = app
        .call(
            "/api/auth/request_password_reset",
            &[("email", "nobody@example.com")],
            None,
        )
        .await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.headers()[LOCATION], unknown.headers()[LOCATION]);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    app.wait_for_mail(&email, "reset your password").await;
    assert!(app.mail_to("nobody@example.com").is_empty());
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_against_the_right_one() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let mut refusals = Vec::new();
    for _ in 0..5 {
        let response = app.sign_in(&email, "wrong guess number one").await;
        assert_eq!(response.status(), 401);
        refusals.push(response.text().await.unwrap());
    }
    // The sixth attempt, with the right password, is refused the same way.
    let locked = app.sign_in(&email, PASSWORD).await;
    assert_eq!(locked.status(), 401);
    assert!(session_cookie(locked.headers()).is_none());
    assert_eq!(locked.text().await.unwrap(), refusals[0]);

    let account = user_by_email(&app, &email).await;
    let until = account.locked_until.expect("a lock");
    let length = until - OffsetDateTime::now_utc();
    assert!(
        length > Duration::minutes(14) && length <= Duration::minutes(15),
        "{length}"
    );
    app.wait_for_mail(&email, "locked").await;
    let kinds: Vec<String> = events_of(&app, &email)
        .await
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(kinds.contains(&"account_locked".to_owned()), "{kinds:?}");

    // Once the lock has passed, the right password works and resets the count.
    let mut active = account.into_active_model();
    active.locked_until = Set(Some(OffsetDateTime::now_utc() - Duration::seconds(1)));
    active.update(&app.db().await).await.unwrap();
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 200);
    let account = user_by_email(&app, &email).await;
    assert_eq!((account.failed_sign_ins, account.lock_count), (0, 0));
}

#[tokio::test]
async fn the_rate_limit_holds_against_spoofed_forwarded_for_headers() {
    let app = TestApp::spawn_with(&[("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "3")]).await;
    let mut statuses = Vec::new();
    for attempt in 0..5 {
        let response = app
            .client
            .post(app.url("/api/auth/sign_in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("x-forwarded-for", format!("198.51.100.{attempt}"))
            .body("email=nobody%40example.com&password=whatever-it-is")
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = TestApp::spawn_with(&[
        ("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "1"),
        ("LEDGERLOCK_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let response = app
            .client
            .post(app.url("/api/auth/sign_in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("x-forwarded-for", client)
            .body("email=nobody%40example.com&password=whatever-it-is")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{client}");
    }
}

/// Moves every session's sign-in and last request into the past.
async fn age_sessions(app: &TestApp, signed_in_ago: Duration, seen_ago: Duration) {
    let now = OffsetDateTime::now_utc();
    edit_sessions(app, |auth| {
        auth.signed_in_at = (now - signed_in_ago).unix_timestamp();
        auth.last_seen_at = (now - seen_ago).unix_timestamp();
    })
    .await;
}

#[tokio::test]
async fn an_idle_session_is_refused() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up(&unique_email()).await;
    age_sessions(&app, Duration::minutes(40), Duration::minutes(31)).await;
    assert_eq!(app.get("/app", Some(&cookie)).await.status(), 303);
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&cookie))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn an_expired_session_row_is_refused() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up(&unique_email()).await;
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(OffsetDateTime::now_utc().unix_timestamp() - 1),
        )
        .exec(&app.db().await)
        .await
        .unwrap();
    assert_eq!(app.get("/app", Some(&cookie)).await.status(), 303);
}

#[tokio::test]
async fn an_over_age_session_is_refused_however_active() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up(&unique_email()).await;
    age_sessions(
        &app,
        Duration::hours(12) + Duration::minutes(1),
        Duration::seconds(5),
    )
    .await;
    assert_eq!(app.get("/app", Some(&cookie)).await.status(), 303);
    // Activity just under the limit is fine.
    let fresh = app.sign_up(&unique_email()).await;
    age_sessions(&app, Duration::hours(11), Duration::minutes(29)).await;
    assert_eq!(app.get("/app", Some(&fresh)).await.status(), 200);
}

pub(crate) async fn list_sessions(app: &TestApp, cookie: &str) -> Vec<Value> {
    let response = app.call("/api/sessions/list", &[], Some(cookie)).await;
    assert_eq!(response.status(), 200);
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_session_ended_from_another_device_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let laptop = app.sign_up(&email).await;
    let phone = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();

    let sessions = list_sessions(&app, &laptop).await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        sessions.iter().filter(|s| s["is_current"] == true).count(),
        1
    );
    let other = sessions.iter().find(|s| s["is_current"] == false).unwrap();
    assert!(
        !laptop.contains(other["id"].as_str().unwrap()),
        "the handle is not the cookie"
    );

    let ended = app
        .call(
            "/api/sessions/end",
            &[("id", other["id"].as_str().unwrap())],
            Some(&laptop),
        )
        .await;
    assert_eq!(ended.status(), 200);
    assert_eq!(app.get("/app", Some(&phone)).await.status(), 303);
    assert_eq!(app.get("/app", Some(&laptop)).await.status(), 200);
    let kinds: Vec<String> = events_of(&app, &email)
        .await
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert!(kinds.contains(&"session_revoked".to_owned()));
}

#[tokio::test]
async fn another_users_session_cannot_be_ended() {
    let app = TestApp::spawn().await;
    let alice = app.sign_up(&unique_email()).await;
    let bob = app.sign_up(&unique_email()).await;
    let bobs = list_sessions(&app, &bob).await;
    let bobs_id = bobs[0]["id"].as_str().unwrap();
    for id in [bobs_id, "0000"] {
        let response = app
            .call("/api/sessions/end", &[("id", id)], Some(&alice))
            .await;
        assert_eq!(response.status(), 404, "looks exactly like an unknown id");
    }
    assert_eq!(app.get("/app", Some(&bob)).await.status(), 200);
}

#[tokio::test]
async fn ending_all_other_sessions_keeps_this_one() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let here = app.sign_up(&email).await;
    let elsewhere = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    let third = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    let response = app.call("/api/sessions/end_others", &[], Some(&here)).await;
    // This session carries on, under a new id (the old one is gone too).
    let renewed = session_cookie(response.headers()).expect("a new session id");
    assert_eq!(response.text().await.unwrap(), "2");
    assert_eq!(app.get("/app", Some(&elsewhere)).await.status(), 303);
    assert_eq!(app.get("/app", Some(&third)).await.status(), 303);
    assert_eq!(app.get("/app", Some(&here)).await.status(), 303);
    assert_eq!(app.get("/app", Some(&renewed)).await.status(), 200);
}

async fn change_password(
    app: &TestApp,
    cookie: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.call(
        "/api/auth/change_password",
        &[("current_password", current), ("new_password", new)],
        Some(cookie),
    )
    .await
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let here = app.sign_up(&email).await;
    let elsewhere = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();

    let wrong = change_password(&app, &here, "not my password at all", NEW_PASSWORD).await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("current_password"));

    let weak = change_password(&app, &here, PASSWORD, "password1234").await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("new_password"));

    let changed = change_password(&app, &here, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status(), 200);
    let renewed = session_cookie(changed.headers()).expect("a new session id after the change");
    assert_ne!(renewed, here);
    assert_eq!(app.get("/app", Some(&renewed)).await.status(), 200);
    assert_eq!(app.get("/app", Some(&elsewhere)).await.status(), 303);
    assert_eq!(app.sign_in(&email, NEW_PASSWORD).await.status(), 200);
    app.wait_for_mail(&email, "password was changed").await;
}

#[tokio::test]
async fn weaker_hashes_are_upgraded_at_the_next_sign_in() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    // The same password, hashed with yesterday's weaker parameters.
    let weak = weak_hash_of(PASSWORD);
    app.db()
        .await
        .execute_unprepared(&format!(
            "UPDATE users SET password_hash = '{weak}' WHERE email_lookup = '{email}'"
        ))
        .await
        .unwrap();
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 200);
    let stored: String = app
        .db()
        .await
        .query_one_raw(sea_orm::Statement::from_string(
            app.db().await.get_database_backend(),
            format!("SELECT password_hash FROM users WHERE email_lookup = '{email}'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 200);
}

fn weak_hash_of(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(4096, 1, 1, None).unwrap();
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
    argon2
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_security_log_shows_events_without_internal_reasons() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    app.sign_in(&email, "a wrong password here").await;
    let mine = app.call("/api/security/activity", &[], Some(&cookie)).await;
    assert_eq!(mine.status(), 200);
    let body = mine.text().await.unwrap();
    assert!(body.contains("Account created"), "{body}");
    assert!(body.contains("Failed sign-in"), "{body}");
    assert!(
        !body.contains("wrong password"),
        "the reason stays internal: {body}"
    );
    let organization = app
        .call(
            "/api/security/activity",
            &[("organization", "true")],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        organization.status(),
        200,
        "owners see the organization's log"
    );
    let stored = events_of(&app, &email).await;
    assert!(
        stored
            .iter()
            .any(|event| event.detail.as_deref() == Some("wrong password"))
    );
    assert!(
        stored
            .iter()
            .all(|event| event.ip.as_deref() == Some("127.0.0.1"))
    );
}

#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    app.sign_in(&email, "a wrong password here").await;
    app.call(
        "/api/auth/request_password_reset",
        &[("email", &email)],
        None,
    )
    .await;
    let token = reset_token(&app.wait_for_mail(&email, "reset your password").await);
    app.call(
        "/api/auth/reset_password",
        &[("token", &token), ("password", NEW_PASSWORD)],
        None,
    )
    .await;
    let logs = captured_logs();
    assert!(
        logs.contains("signed in") || logs.contains("account created"),
        "logs are captured"
    );
    let session_value = cookie.split('=').nth(1).unwrap();
    for secret in [
        PASSWORD,
        NEW_PASSWORD,
        "a wrong password here",
        token.as_str(),
        session_value,
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

#[tokio::test]
async fn the_purge_removes_expired_session_rows_only() {
    let app = TestApp::spawn().await;
    app.sign_up(&unique_email()).await;
    app.sign_up(&unique_email()).await;
    let db = app.db().await;
    let rows = session::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), 2);
    let mut expired = rows[0].clone().into_active_model();
    expired.expires_at = Set(OffsetDateTime::now_utc().unix_timestamp() - 60);
    expired.update(&db).await.unwrap();

    let store = ledgerlock_app::ssr::session_store::DbSessionStore::new(db.clone());
    let purged = store
        .purge_expired(OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left = session::Entity::find().all(&db).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, rows[1].id);
}

#[tokio::test]
async fn password_guesses_through_a_signed_in_session_are_rate_limited_too() {
    let app = TestApp::spawn_with(&[("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "3")]).await;
    // The sign-up itself spends one of the three.
    let cookie = app.sign_up(&unique_email()).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app
            .call(
                "/api/auth/confirm_identity",
                &[("password", "guess number one")],
                Some(&cookie),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 429]);
    let change = change_password(&app, &cookie, "guess number two", NEW_PASSWORD).await;
    assert_eq!(change.status(), 429);
}
