//! Issue 4 (first part): an authenticator app as second factor, recovery
//! codes, and a sign-in that cannot skip its second step.

use crate::helpers::{
    PASSWORD, TestApp, add_member, edit_sessions, reset_token, session_cookie, unique_email,
};
use ledgerlock_app::ssr::entities::{security_event, totp_factor};
use reqwest::header::LOCATION;
use sea_orm::EntityTrait;
use serde_json::Value;
use time::OffsetDateTime;

/// What an authenticator app would show at `offset_seconds` from now.
pub(crate) fn code_at(secret: &str, offset_seconds: i64) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_skew(0)
        .build()
        .unwrap();
    let when = OffsetDateTime::now_utc().unix_timestamp() + offset_seconds;
    totp.generate(u64::try_from(when).unwrap()).to_string()
}

pub(crate) struct Enrolled {
    pub(crate) email: String,
    pub(crate) cookie: String,
    pub(crate) secret: String,
    pub(crate) recovery_codes: Vec<String>,
}

pub(crate) async fn enrol(app: &TestApp) -> Enrolled {
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let started = app
        .call("/api/second_factor/totp/start", &[], Some(&cookie))
        .await;
    assert_eq!(started.status(), 200);
    let enrolment: Value = serde_json::from_str(&started.text().await.unwrap()).unwrap();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32, "at least 160 bits: {secret}");
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(
        enrolment["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );

    let confirmed = app
        .call(
            "/api/second_factor/totp/confirm",
            &[("code", &code_at(&secret, 0))],
            Some(&cookie),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let recovery_codes: Vec<String> =
        serde_json::from_str(&confirmed.text().await.unwrap()).unwrap();
    Enrolled {
        email,
        cookie,
        secret,
        recovery_codes,
    }
}

/// Signs in with the password; returns the (not yet signed-in) session cookie.
pub(crate) async fn password_step(app: &TestApp, email: &str, password: &str) -> String {
    let response = app.sign_in(email, password).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[LOCATION], "/sign-in/verify?next=/app");
    session_cookie(response.headers()).unwrap()
}

pub(crate) async fn verify(app: &TestApp, cookie: &str, code: &str) -> reqwest::Response {
    app.call(
        "/api/auth/verify_second_factor",
        &[("code", code)],
        Some(cookie),
    )
    .await
}

#[tokio::test]
async fn after_enrolment_sign_in_needs_a_code_and_cannot_skip_it() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    assert_eq!(enrolled.recovery_codes.len(), 10);
    let status = app
        .call("/api/second_factor/status", &[], Some(&enrolled.cookie))
        .await;
    assert!(
        status
            .text()
            .await
            .unwrap()
            .contains("\"recovery_codes_left\":10")
    );
    app.wait_for_mail(&enrolled.email, "turned on").await;

    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    // Skipping the second step by calling later endpoints directly.
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&pending))
            .await
            .status(),
        401
    );
    assert_eq!(
        app.call("/api/sessions/list", &[], Some(&pending))
            .await
            .status(),
        401
    );
    assert_eq!(app.get("/app", Some(&pending)).await.status(), 303);
    assert_eq!(
        app.call("/api/auth/me", &[], Some(&pending))
            .await
            .text()
            .await
            .unwrap(),
        "null"
    );

    // The enrolment used the current step; the next one is still in the window.
    let verified = verify(&app, &pending, &code_at(&enrolled.secret, 30)).await;
    assert_eq!(verified.status(), 200);
    assert_eq!(verified.headers()[LOCATION], "/app");
    let signed_in = session_cookie(verified.headers()).expect("a new session id");
    assert_ne!(signed_in, pending);
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&signed_in))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_used_code_cannot_be_replayed_and_old_codes_are_refused() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    let code = code_at(&enrolled.secret, 30);
    let first = password_step(&app, &enrolled.email, PASSWORD).await;
    assert_eq!(verify(&app, &first, &code).await.status(), 200);

    let second = password_step(&app, &enrolled.email, PASSWORD).await;
    let replayed = verify(&app, &second, &code).await;
    assert_eq!(replayed.status(), 422, "a code works once");
    let two_steps_old = verify(&app, &second, &code_at(&enrolled.secret, -60)).await;
    assert_eq!(two_steps_old.status(), 422);
    assert_eq!(verify(&app, &second, "12345").await.status(), 422);
}

#[tokio::test]
async fn five_wrong_codes_end_the_sign_in_attempt() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    let mut last = String::new();
    for _ in 0..5 {
        let response = verify(&app, &pending, "000000").await;
        assert_eq!(response.status(), 422);
        last = response.text().await.unwrap();
    }
    assert!(last.contains("Too many failed attempts"), "{last}");
    let told = app
        .wait_for_mail(&enrolled.email, "failed at the second step")
        .await;
    assert!(told.contains("change your password"));
    assert_eq!(
        app.mail_to(&enrolled.email)
            .iter()
            .filter(|message| message.contains("failed at the second step"))
            .count(),
        1,
        "one message per sign-in attempt, not per code"
    );
    // Even the right code is refused now: the attempt is over.
    let right = verify(&app, &pending, &code_at(&enrolled.secret, 30)).await;
    assert_eq!(right.status(), 422);
    assert!(right.text().await.unwrap().contains("Sign in again"));
    let failures = security_event::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == "second_factor_failed")
        .count();
    assert!(failures >= 5);
}

#[tokio::test]
async fn a_recovery_code_works_once_and_the_user_is_told() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    let code = enrolled.recovery_codes[3].to_lowercase();
    let first = password_step(&app, &enrolled.email, PASSWORD).await;
    assert_eq!(verify(&app, &first, &code).await.status(), 200);
    app.wait_for_mail(&enrolled.email, "recovery code was used")
        .await;

    let second = password_step(&app, &enrolled.email, PASSWORD).await;
    assert_eq!(
        verify(&app, &second, &code).await.status(),
        422,
        "used codes are spent"
    );
    assert_eq!(
        verify(&app, &second, "AAAA-AAAA-AAAA-AAAA").await.status(),
        422
    );
    assert_eq!(
        verify(&app, &second, &enrolled.recovery_codes[4])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_seed_is_encrypted_at_rest() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    let rows = totp_factor::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].secret_sealed.starts_with("v1:k1:"),
        "{}",
        rows[0].secret_sealed
    );
    assert!(!rows[0].secret_sealed.contains(&enrolled.secret));
}

#[tokio::test]
async fn a_password_reset_never_bypasses_the_second_factor() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    app.call(
        "/api/auth/request_password_reset",
        &[("email", &enrolled.email)],
        None,
    )
    .await;
    let token = reset_token(
        &app.wait_for_mail(&enrolled.email, "reset your password")
            .await,
    );
    let new_password = "velvet thunder orchard 1987 kite";
    let reset = app
        .call(
            "/api/auth/reset_password",
            &[("token", &token), ("password", new_password)],
            None,
        )
        .await;
    assert_eq!(reset.status(), 200);
    let pending = password_step(&app, &enrolled.email, new_password).await;
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&pending))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn sensitive_changes_need_a_confirmation_from_the_last_ten_minutes() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    // Eleven minutes after the last proof of identity...
    let long_ago = OffsetDateTime::now_utc().unix_timestamp() - 11 * 60;
    edit_sessions(&app, |auth| auth.confirmed_at = long_ago).await;
    for endpoint in [
        "/api/second_factor/totp/remove",
        "/api/second_factor/recovery_codes/regenerate",
        "/api/second_factor/totp/start",
    ] {
        let refused = app.call(endpoint, &[], Some(&enrolled.cookie)).await;
        assert_eq!(refused.status(), 403, "{endpoint}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("ConfirmationRequired")
        );
    }
    let wrong = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", "not my password at all")],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("code", &code_at(&enrolled.secret, 30))],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let cookie = session_cookie(confirmed.headers()).expect("a new session id after step-up");
    let regenerated = app
        .call(
            "/api/second_factor/recovery_codes/regenerate",
            &[],
            Some(&cookie),
        )
        .await;
    assert_eq!(regenerated.status(), 200);
}

#[tokio::test]
async fn removing_the_app_voids_the_recovery_codes() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    let removed = app
        .call(
            "/api/second_factor/totp/remove",
            &[],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(removed.status(), 200);
    app.wait_for_mail(&enrolled.email, "turned off").await;
    // Signing in needs the password only again.
    let response = app.sign_in(&enrolled.email, PASSWORD).await;
    assert_eq!(response.headers()[LOCATION], "/app");
    let status = app
        .call("/api/second_factor/status", &[], Some(&enrolled.cookie))
        .await;
    assert!(
        status
            .text()
            .await
            .unwrap()
            .contains("\"recovery_codes_left\":0")
    );
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_set() {
    let app = TestApp::spawn().await;
    let enrolled = enrol(&app).await;
    let fresh = app
        .call(
            "/api/second_factor/recovery_codes/regenerate",
            &[],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(fresh.status(), 200);
    let fresh: Vec<String> = serde_json::from_str(&fresh.text().await.unwrap()).unwrap();
    assert_eq!(fresh.len(), 10);
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    assert_eq!(
        verify(&app, &pending, &enrolled.recovery_codes[0])
            .await
            .status(),
        422
    );
    assert_eq!(verify(&app, &pending, &fresh[0]).await.status(), 200);
}

#[tokio::test]
async fn an_owner_can_require_a_second_factor_of_every_member() {
    let app = TestApp::spawn().await;
    let without = app.sign_up(&unique_email()).await;
    let refused = app
        .call(
            "/api/organization/second_factor_policy",
            &[("required", "true")],
            Some(&without),
        )
        .await;
    assert_eq!(
        refused.status(),
        409,
        "an owner must use one before requiring it"
    );

    let owner = enrol(&app).await;
    let required = app
        .call(
            "/api/organization/second_factor_policy",
            &[("required", "true")],
            Some(&owner.cookie),
        )
        .await;
    assert_eq!(required.status(), 200);
    let kept = app
        .call("/api/second_factor/totp/remove", &[], Some(&owner.cookie))
        .await;
    assert_eq!(
        kept.status(),
        409,
        "the owner's own factor cannot be removed under the rule"
    );

    let (_, member) = add_member(&app, &owner.email).await;
    let page = app.get("/app", Some(&member)).await;
    assert_eq!(
        page.status(),
        303,
        "a full page load is sent to set up a factor"
    );
    assert_eq!(page.headers()[LOCATION], "/app/account");
    assert_eq!(app.get("/app/account", Some(&member)).await.status(), 200);
    let me = app
        .call("/api/auth/me", &[], Some(&member))
        .await
        .text()
        .await
        .unwrap();
    assert!(me.contains("\"must_set_up_second_factor\":true"), "{me}");
    let blocked = app.call("/api/dashboard/summary", &[], Some(&member)).await;
    assert_eq!(blocked.status(), 403);
    assert!(
        blocked
            .text()
            .await
            .unwrap()
            .contains("SecondFactorRequired")
    );
    let not_owner = app
        .call(
            "/api/organization/second_factor_policy",
            &[("required", "false")],
            Some(&member),
        )
        .await;
    assert_eq!(not_owner.status(), 403);

    // Setting up the app is allowed, and then the data is reachable.
    let started = app
        .call("/api/second_factor/totp/start", &[], Some(&member))
        .await;
    assert_eq!(started.status(), 200);
    let secret = serde_json::from_str::<Value>(&started.text().await.unwrap()).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirmed = app
        .call(
            "/api/second_factor/totp/confirm",
            &[("code", &code_at(&secret, 0))],
            Some(&member),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&member))
            .await
            .status(),
        200
    );

    let changes = security_event::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == "second_factor_policy_changed")
        .count();
    assert_eq!(changes, 1);
}
