//! Issue 12: multi-step flows bound to the user that started them, ended
//! sessions that stay ended with requests in flight, and guess limits that
//! hold when the same request is sent twenty times at once.

use crate::account_security::{list_sessions, user_by_email};
use crate::helpers::{PASSWORD, TestApp, reset_token, session_cookie, unique_email};
use crate::passkeys::{Device, finish_check, json_of, owner_with_passkey, register, start_check};
use crate::second_factors::{code_at, enrol, password_step, verify};
use ledgerlock_app::ssr::entities::{passkey, totp_factor};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use time::OffsetDateTime;
use tokio::task::JoinSet;
use webauthn_rs_proto::CreationChallengeResponse;

const NEW_PASSWORD: &str = "velvet thunder orchard 1987 kite";

/// An app whose per-address limit does not get in the way of sending many
/// requests from one test (the per-account counters are what is tested).
async fn spawn() -> TestApp {
    TestApp::spawn_with(&[("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "100000")]).await
}

/// Posts the sign-in form from the browser holding `cookie`; answers the
/// session cookie the browser holds afterwards.
async fn sign_in_in_browser(app: &TestApp, cookie: &str, email: &str, password: &str) -> String {
    let response = app
        .call(
            "/api/auth/sign_in",
            &[("email", email), ("password", password)],
            Some(cookie),
        )
        .await;
    assert_eq!(response.status(), 200, "sign-in of {email}");
    session_cookie(response.headers()).unwrap_or_else(|| cookie.to_owned())
}

async fn me(app: &TestApp, cookie: &str) -> String {
    app.call("/api/auth/me", &[], Some(cookie))
        .await
        .text()
        .await
        .unwrap()
}

/// Resets `email`'s password to `password` through the emailed link.
async fn reset_by_mail(app: &TestApp, email: &str, password: &str) {
    let asked = app
        .call(
            "/api/auth/request_password_reset",
            &[("email", email)],
            None,
        )
        .await;
    assert_eq!(asked.status(), 200);
    let token = reset_token(&app.wait_for_mail(email, "reset your password").await);
    let reset = app
        .call(
            "/api/auth/reset_password",
            &[("token", &token), ("password", password)],
            None,
        )
        .await;
    assert_eq!(reset.status(), 200);
}

// ---- 1. Every multi-step flow is bound to its user -------------------------

#[tokio::test]
async fn a_passkey_challenge_of_one_account_cannot_finish_anothers_sign_in() {
    let app = spawn().await;
    // The attacker's own account, with a passkey on the attacker's device.
    let (attacker, _, mut attacker_device) = owner_with_passkey(&app).await;
    // The victim, whose password the attacker knows, has a passkey too.
    let (victim, _, _) = owner_with_passkey(&app).await;

    let pending = password_step_of(&app, &attacker).await;
    let (options, browser) = start_check(&app, "SecondFactor", Some(&pending)).await;
    let browser = sign_in_in_browser(&app, &browser, &victim, PASSWORD).await;
    let answered = finish_check(&app, &browser, &attacker_device.get(options)).await;
    assert_ne!(answered.status(), 200);
    assert_eq!(me(&app, &browser).await, "null");
    if let Some(cookie) = session_cookie(answered.headers()) {
        assert_eq!(me(&app, &cookie).await, "null");
    }
}

/// A password step for an account with a passkey: the pending cookie.
async fn password_step_of(app: &TestApp, email: &str) -> String {
    let response = app.sign_in(email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    session_cookie(response.headers()).unwrap()
}

#[tokio::test]
async fn a_code_for_one_pending_sign_in_never_completes_another() {
    let app = spawn().await;
    let first = enrol(&app).await;
    let second = enrol(&app).await;
    let browser = password_step(&app, &first.email, PASSWORD).await;
    let browser = sign_in_in_browser(&app, &browser, &second.email, PASSWORD).await;
    // The first account's right code answers the second account's step.
    let answered = verify(&app, &browser, &code_at(&first.secret, 30)).await;
    assert_eq!(answered.status(), 422);
    assert_eq!(me(&app, &browser).await, "null");
    // So does one of its recovery codes.
    let answered = verify(&app, &browser, &first.recovery_codes[0]).await;
    assert_eq!(answered.status(), 422);
    assert_eq!(me(&app, &browser).await, "null");
}

#[tokio::test]
async fn a_passkey_registration_started_by_one_account_cannot_finish_for_another() {
    let app = spawn().await;
    let first = unique_email();
    let browser = app.sign_up(&first).await;
    let second = unique_email();
    app.sign_up(&second).await;

    let started = app
        .call_json(
            "/api/passkeys/register/start",
            &serde_json::json!({}),
            Some(&browser),
        )
        .await;
    assert_eq!(started.status(), 200);
    let options: CreationChallengeResponse =
        serde_json::from_value(json_of(started).await).unwrap();
    let mut device = Device::new(&app);
    let credential = device.create(options);

    let browser = sign_in_in_browser(&app, &browser, &second, PASSWORD).await;
    let finished = app
        .call_json(
            "/api/passkeys/register/finish",
            &serde_json::json!({ "name": "Planted", "credential": credential }),
            Some(&browser),
        )
        .await;
    assert_eq!(finished.status(), 422);
    assert_eq!(
        passkey::Entity::find()
            .count(&app.db().await)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_authenticator_setup_started_by_one_account_cannot_be_confirmed_by_another() {
    let app = spawn().await;
    let first = unique_email();
    let browser = app.sign_up(&first).await;
    let second = unique_email();
    let second_cookie = app.sign_up(&second).await;

    let started = app
        .call("/api/second_factor/totp/start", &[], Some(&browser))
        .await;
    let shown: serde_json::Value = serde_json::from_str(&started.text().await.unwrap()).unwrap();
    let secret = shown["secret"].as_str().unwrap().to_owned();

    // The second account, in the same browser and in its own, confirms with
    // a code of the first account's setup.
    let browser = sign_in_in_browser(&app, &browser, &second, PASSWORD).await;
    for cookie in [&browser, &second_cookie] {
        let confirmed = app
            .call(
                "/api/second_factor/totp/confirm",
                &[("code", &code_at(&secret, 0))],
                Some(cookie),
            )
            .await;
        assert_eq!(confirmed.status(), 409);
    }
    let db = app.db().await;
    let confirmed = totp_factor::Entity::find()
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .count(&db)
        .await
        .unwrap();
    assert_eq!(confirmed, 0);

    // Signing in again ends the first account's own setup in that browser.
    let browser = sign_in_in_browser(&app, &browser, &first, PASSWORD).await;
    let confirmed = app
        .call(
            "/api/second_factor/totp/confirm",
            &[("code", &code_at(&secret, 0))],
            Some(&browser),
        )
        .await;
    assert_eq!(confirmed.status(), 409);
}

#[tokio::test]
async fn a_step_up_passkey_check_is_the_signed_in_users_own() {
    let app = spawn().await;
    let (first, browser, mut device) = owner_with_passkey(&app).await;
    let _ = first;
    let second = unique_email();
    app.sign_up(&second).await;
    let (options, browser) = start_check(&app, "Confirm", Some(&browser)).await;
    let browser = sign_in_in_browser(&app, &browser, &second, PASSWORD).await;
    let answered = finish_check(&app, &browser, &device.get(options)).await;
    assert_ne!(answered.status(), 200);
}

// ---- 2. An ended session never comes back ----------------------------------

#[tokio::test]
async fn ending_the_current_session_through_the_api_signs_it_out() {
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let sessions = list_sessions(&app, &cookie).await;
    let id = sessions[0]["id"].as_str().unwrap();
    let ended = app
        .call("/api/sessions/end", &[("id", id)], Some(&cookie))
        .await;
    assert_eq!(ended.status(), 200);
    assert_eq!(me(&app, &cookie).await, "null");
    assert_eq!(
        app.call("/api/sessions/list", &[], Some(&cookie))
            .await
            .status(),
        401
    );
}

/// Fires requests with `cookie` (and with any new cookie a response gives
/// it, as a browser would) until `stop`, including step-ups, which give the
/// session a new id. Answers every cookie it held and each request's status
/// with whether it started after `changed` was set.
async fn hammer(
    app: Arc<TestApp>,
    cookie: String,
    changed: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> (Vec<String>, Vec<(bool, u16)>) {
    let mut cookies = vec![cookie.clone()];
    let mut current = cookie;
    let mut seen = Vec::new();
    let mut round = 0_u32;
    while !stop.load(Ordering::SeqCst) {
        let after = changed.load(Ordering::SeqCst);
        let response = if round.is_multiple_of(3) {
            app.call(
                "/api/auth/confirm_identity",
                &[("password", PASSWORD)],
                Some(&current),
            )
            .await
        } else {
            app.call("/api/sessions/list", &[], Some(&current)).await
        };
        round += 1;
        seen.push((after, response.status().as_u16()));
        if let Some(next) = session_cookie(response.headers()) {
            cookies.push(next.clone());
            current = next;
        }
    }
    (cookies, seen)
}

/// Runs `change` while four loops hammer with `stolen`; then checks that no
/// request started after the change got anything but 401, and that none of
/// the cookies the loops held works or is listed.
async fn revocation_holds_under_fire<F, Fut>(app: TestApp, stolen: String, change: F)
where
    F: FnOnce(Arc<TestApp>) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let app = Arc::new(app);
    let changed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = JoinSet::new();
    for _ in 0..4 {
        loops.spawn(hammer(
            app.clone(),
            stolen.clone(),
            changed.clone(),
            stop.clone(),
        ));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let survivor = change(app.clone()).await;
    changed.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut held = Vec::new();
    while let Some(result) = loops.join_next().await {
        let (cookies, seen) = result.unwrap();
        let after: Vec<u16> = seen
            .iter()
            .filter(|(after, _)| *after)
            .map(|(_, status)| *status)
            .collect();
        assert!(!after.is_empty(), "the loop kept firing after the change");
        assert!(
            after.iter().all(|status| *status == 401),
            "after the change: {after:?}"
        );
        held.extend(cookies);
    }
    for cookie in &held {
        assert_eq!(me(&app, cookie).await, "null", "{cookie} still works");
    }
    let listed = list_sessions(&app, &survivor).await;
    assert_eq!(listed.len(), 1, "only the survivor is listed: {listed:?}");
    assert_eq!(listed[0]["is_current"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_ends_a_stolen_session_with_requests_in_flight() {
    let app = spawn().await;
    let email = unique_email();
    let owner = app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    revocation_holds_under_fire(app, stolen, |app| async move {
        let changed = app
            .call(
                "/api/auth/change_password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", NEW_PASSWORD),
                ],
                Some(&owner),
            )
            .await;
        assert_eq!(changed.status(), 200);
        session_cookie(changed.headers()).expect("the changer's session gets a new id")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_out_all_others_ends_a_stolen_session_with_requests_in_flight() {
    let app = spawn().await;
    let email = unique_email();
    let owner = app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    revocation_holds_under_fire(app, stolen, |app| async move {
        let ended = app
            .call("/api/sessions/end_others", &[], Some(&owner))
            .await;
        assert_eq!(ended.status(), 200);
        session_cookie(ended.headers()).expect("the caller's session gets a new id")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_reset_ends_a_stolen_session_with_requests_in_flight() {
    let app = spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    revocation_holds_under_fire(app, stolen, |app| async move {
        reset_by_mail(&app, &email, NEW_PASSWORD).await;
        session_cookie(app.sign_in(&email, NEW_PASSWORD).await.headers()).unwrap()
    })
    .await;
}

#[tokio::test]
async fn a_pending_sign_in_ends_when_the_password_changes_or_is_reset() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    // Someone who knows the password reaches the second step...
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    // ...and the owner changes the password.
    let changed = app
        .call(
            "/api/auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let answered = verify(&app, &pending, &code_at(&enrolled.secret, 30)).await;
    assert_eq!(answered.status(), 422);
    assert!(answered.text().await.unwrap().contains("Sign in again"));

    // The same for a reset.
    let pending = password_step(&app, &enrolled.email, NEW_PASSWORD).await;
    reset_by_mail(&app, &enrolled.email, PASSWORD).await;
    let answered = verify(&app, &pending, &code_at(&enrolled.secret, -30)).await;
    assert_eq!(answered.status(), 422);
    assert_eq!(me(&app, &pending).await, "null");
}

// ---- 3. Guess limits hold under concurrency --------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_wrong_passwords_are_twenty_failures_and_lock() {
    let app = Arc::new(spawn().await);
    let email = unique_email();
    app.sign_up(&email).await;
    let mut guesses = JoinSet::new();
    for n in 0..20 {
        let app = app.clone();
        let email = email.clone();
        guesses.spawn(async move {
            app.sign_in(&email, &format!("wrong guess number {n}"))
                .await
                .status()
        });
    }
    while let Some(status) = guesses.join_next().await {
        assert_eq!(status.unwrap(), 401);
    }
    let account = user_by_email(&app, &email).await;
    assert_eq!(account.failed_sign_ins, 20);
    assert!(account.locked_until.unwrap() > OffsetDateTime::now_utc());
    // The lock holds against the right password.
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 401);
    app.wait_for_mail(&email, "locked").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let lock_mails = app
        .mail_to(&email)
        .iter()
        .filter(|message| message.contains("is locked"))
        .count();
    assert_eq!(lock_mails, 1, "one notice per account and window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_wrong_codes_on_one_pending_sign_in_are_all_counted() {
    let app = Arc::new(spawn().await);
    let enrolled = enrol(&app).await;
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    let mut guesses = JoinSet::new();
    for n in 0..20 {
        let app = app.clone();
        let pending = pending.clone();
        guesses.spawn(async move {
            verify(&app, &pending, &format!("{:06}", 111_111 + n))
                .await
                .status()
        });
    }
    while let Some(status) = guesses.join_next().await {
        assert_eq!(status.unwrap(), 422);
    }
    let account = user_by_email(&app, &enrolled.email).await;
    assert_eq!(account.failed_second_steps, 20);
    assert!(account.locked_until.unwrap() > OffsetDateTime::now_utc());

    // The sixth and later are refused: the right code on that pending
    // sign-in, the right password, and so a right code after it.
    assert_eq!(
        verify(&app, &pending, &code_at(&enrolled.secret, 30))
            .await
            .status(),
        422
    );
    assert_eq!(app.sign_in(&enrolled.email, PASSWORD).await.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let warnings = app
        .mail_to(&enrolled.email)
        .iter()
        .filter(|message| message.contains("failed at the second step"))
        .count();
    assert_eq!(warnings, 1, "one warning per account and window");
}

#[tokio::test]
async fn a_right_password_does_not_clear_the_count_before_the_second_step() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    for _ in 0..4 {
        assert_eq!(
            app.sign_in(&enrolled.email, "wrong guess number x")
                .await
                .status(),
            401
        );
    }
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    assert_eq!(
        user_by_email(&app, &enrolled.email).await.failed_sign_ins,
        4
    );
    // The fifth wrong password locks, and the pending sign-in's right code
    // is refused.
    assert_eq!(
        app.sign_in(&enrolled.email, "wrong guess number y")
            .await
            .status(),
        401
    );
    let answered = verify(&app, &pending, &code_at(&enrolled.secret, 30)).await;
    assert_eq!(answered.status(), 422);
    assert_eq!(me(&app, &pending).await, "null");
}

#[tokio::test]
async fn step_up_guesses_are_counted_and_lock() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    for guess in ["000000", "wrong password 1", "111111", "wrong password 2"] {
        let field = if guess.len() == 6 { "code" } else { "password" };
        let response = app
            .call(
                "/api/auth/confirm_identity",
                &[(field, guess)],
                Some(&enrolled.cookie),
            )
            .await;
        assert_eq!(response.status(), 422);
    }
    assert_eq!(
        user_by_email(&app, &enrolled.email).await.failed_step_ups,
        4
    );
    // A success clears the step-up count...
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let cookie = session_cookie(confirmed.headers()).unwrap();
    assert_eq!(
        user_by_email(&app, &enrolled.email).await.failed_step_ups,
        0
    );
    // ...and five failures in a row lock even the right password out.
    for _ in 0..5 {
        app.call(
            "/api/auth/confirm_identity",
            &[("password", "wrong password 3")],
            Some(&cookie),
        )
        .await;
    }
    let refused = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&cookie),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
    assert_eq!(app.sign_in(&enrolled.email, PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn registering_a_passkey_still_works_for_its_own_account() {
    // The binding does not get in the way of the ordinary flow.
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let mut device = Device::new(&app);
    assert_eq!(
        register(&app, &cookie, &mut device, "Laptop")
            .await
            .status(),
        200
    );
}

// ---- 4. Limits keyed the way attackers vary -------------------------------

async fn invite_as(app: &TestApp, cookie: &str, email: &str, role: &str) -> reqwest::Response {
    app.call_json(
        "/api/team/invite",
        &serde_json::json!({
            "email": email,
            "role": role,
            "limit": { "limited": false, "customer_ids": [] },
        }),
        Some(cookie),
    )
    .await
}

async fn sign_in_from(app: &TestApp, client: &str) -> u16 {
    app.client
        .post(app.url("/api/auth/sign_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("x-forwarded-for", client)
        .body("email=nobody%40example.com&password=whatever-it-is")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn ipv6_clients_differing_only_in_the_last_64_bits_share_one_limit() {
    let app = TestApp::spawn_with(&[
        ("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "2"),
        ("LEDGERLOCK_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    assert_eq!(sign_in_from(&app, "2001:db8:1:2::1").await, 401);
    assert_eq!(sign_in_from(&app, "2001:db8:1:2::2").await, 401);
    assert_eq!(sign_in_from(&app, "2001:db8:1:2:ffff:1:2:3").await, 429);
    // The next /64 has its own allowance.
    assert_eq!(sign_in_from(&app, "2001:db8:1:3::1").await, 401);
}

#[tokio::test]
async fn the_eleventh_invitation_in_a_day_to_one_address_is_refused() {
    let app = spawn().await;
    let owner = app.sign_up(&unique_email()).await;
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&owner),
        )
        .await;
    let owner = session_cookie(confirmed.headers()).unwrap_or(owner);
    let invited = unique_email();
    for n in 1..=10 {
        assert_eq!(
            invite_as(&app, &owner, &invited, "viewer").await.status(),
            200,
            "invitation {n}"
        );
    }
    let refused = invite_as(&app, &owner, &invited, "viewer").await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("\"email\"") && body.contains("10 invitations today"),
        "{body}"
    );
    // Subjects never carry names chosen by whoever signed up.
    let mail = app.wait_for_mail(&invited, "invited").await;
    let subject = mail
        .lines()
        .find(|line| line.starts_with("Subject:"))
        .unwrap();
    assert!(!subject.contains("Acme"), "{subject}");
}

#[tokio::test]
async fn reset_mails_to_one_address_are_budgeted() {
    let app = TestApp::spawn_with(&[
        ("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "100000"),
        ("LEDGERLOCK_RESET_MAILS_PER_ADDRESS_PER_HOUR", "2"),
    ])
    .await;
    let email = unique_email();
    app.sign_up(&email).await;
    for _ in 0..4 {
        let asked = app
            .call(
                "/api/auth/request_password_reset",
                &[("email", &email)],
                None,
            )
            .await;
        assert_eq!(asked.status(), 200, "the answer never changes");
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent = app
        .mail_to(&email)
        .iter()
        .filter(|message| message.contains("reset your password"))
        .count();
    assert_eq!(sent, 2);
}

#[tokio::test]
async fn sign_ups_from_one_client_are_budgeted() {
    let app = TestApp::spawn_with(&[
        ("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "100000"),
        ("LEDGERLOCK_SIGN_UPS_PER_CLIENT_PER_HOUR", "2"),
    ])
    .await;
    app.sign_up(&unique_email()).await;
    app.sign_up(&unique_email()).await;
    let third = app
        .call(
            "/api/auth/sign_up",
            &[
                ("name", "Ana López"),
                ("email", &unique_email()),
                ("password", PASSWORD),
                ("organization", "Acme Trading"),
            ],
            None,
        )
        .await;
    assert_eq!(third.status(), 429);
}

// ---- 5. Verified addresses, re-entry, events where they belong -----------

#[tokio::test]
async fn an_unconfirmed_address_cannot_invite_until_the_emailed_link_is_used() {
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up_unconfirmed(&email).await;
    let viewer: serde_json::Value = serde_json::from_str(&me(&app, &cookie).await).unwrap();
    assert_eq!(viewer["email_confirmed"], false);
    let refused = invite_as(&app, &cookie, &unique_email(), "viewer").await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("Confirm your email"));

    let mail = app
        .wait_for_mail(&email, "confirm your email address")
        .await;
    assert!(mail.contains("/confirm-email?token="));
    let token = reset_token(&mail);
    // Opening the page changes nothing; the button's POST confirms.
    assert_eq!(
        app.get(&format!("/confirm-email?token={token}"), None)
            .await
            .status(),
        200
    );
    assert!(
        user_by_email(&app, &email)
            .await
            .email_verified_at
            .is_none()
    );
    let confirmed = app
        .call("/api/auth/confirm_email", &[("token", &token)], None)
        .await;
    assert_eq!(confirmed.status(), 200);
    assert!(
        user_by_email(&app, &email)
            .await
            .email_verified_at
            .is_some()
    );
    let again = app
        .call("/api/auth/confirm_email", &[("token", &token)], None)
        .await;
    assert_eq!(again.status(), 410, "single use");
    let viewer: serde_json::Value = serde_json::from_str(&me(&app, &cookie).await).unwrap();
    assert_eq!(viewer["email_confirmed"], true);
    assert_eq!(
        invite_as(&app, &cookie, &unique_email(), "viewer")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_member_removed_from_their_only_organization_signs_in_and_starts_again() {
    use crate::team::{membership_of, organization_of, user_id};
    use ledgerlock_app::ssr::entities::membership;
    let app = spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let (email, _) = crate::helpers::add_member_as(&app, &owner_email, "sales").await;
    // The member's own organization from signing up goes: the owner's is
    // their only one.
    let db = app.db().await;
    let theirs = organization_of(&app, &email).await;
    membership::Entity::delete_many()
        .filter(membership::Column::OrganizationId.eq(theirs))
        .filter(membership::Column::UserId.eq(user_id(&app, &email).await))
        .exec(&db)
        .await
        .unwrap();
    let id = membership_of(&app, &owner, &email).await;
    let removed = app
        .call("/api/team/remove", &[("membership_id", &id)], Some(&owner))
        .await;
    assert_eq!(removed.status(), 200);

    // The right password signs in (it used to be refused as incorrect)...
    let signed_in = app.sign_in(&email, PASSWORD).await;
    assert_eq!(signed_in.status(), 200);
    let cookie = session_cookie(signed_in.headers()).unwrap();
    let viewer: serde_json::Value = serde_json::from_str(&me(&app, &cookie).await).unwrap();
    assert_eq!(viewer["has_organization"], false);
    // ...to nothing of anyone's, but their own account pages.
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&cookie))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call("/api/sessions/list", &[], Some(&cookie))
            .await
            .status(),
        200
    );
    let page = app.get("/app", Some(&cookie)).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You are not in any organization")
    );
    // They start an organization of their own and work in it.
    let created = app
        .call(
            "/api/organizations/create",
            &[("organization", "Fresh Start Ltd")],
            Some(&cookie),
        )
        .await;
    assert_eq!(created.status(), 200);
    let cookie = session_cookie(created.headers()).unwrap_or(cookie);
    let viewer: serde_json::Value = serde_json::from_str(&me(&app, &cookie).await).unwrap();
    assert_eq!(viewer["organization_name"], "Fresh Start Ltd");
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&cookie))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn account_events_belong_to_the_user_not_to_an_organization() {
    let app = spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let (email, member) = crate::helpers::add_member_as(&app, &owner_email, "sales").await;
    // The member fails a sign-in and changes their password.
    assert_eq!(
        app.sign_in(&email, "wrong guess number z").await.status(),
        401
    );
    let changed = app
        .call(
            "/api/auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            Some(&member),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let member = session_cookie(changed.headers()).unwrap();
    let activity = |cookie: String, organization: bool| {
        let app = &app;
        async move {
            let form: &[(&str, &str)] = if organization {
                &[("organization", "true")]
            } else {
                &[]
            };
            let response = app
                .call("/api/security/activity", form, Some(&cookie))
                .await;
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let theirs = activity(member, false).await;
    assert!(theirs.contains("Failed sign-in") && theirs.contains("Password changed"));
    let organization = activity(owner, true).await;
    assert!(
        organization.contains("Signed in"),
        "the member's sign-in into this organization: {organization}"
    );
    assert!(
        !organization.contains("Failed sign-in") && !organization.contains("Password changed"),
        "account events stay the user's: {organization}"
    );
}

#[tokio::test]
async fn granting_export_team_or_settings_rights_needs_a_recent_confirmation() {
    use crate::helpers::edit_sessions;
    let app = spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let (member_email, _) = crate::helpers::add_member_as(&app, &owner_email, "viewer").await;
    let id = crate::team::membership_of(&app, &owner, &member_email).await;
    edit_sessions(&app, |auth| auth.confirmed_at = 0).await;
    // Admin (team, settings) and accountant (export) need it; sales does not.
    for (role, status) in [("admin", 403), ("accountant", 403), ("sales", 200)] {
        let sent = invite_as(&app, &owner, &unique_email(), role).await;
        assert_eq!(sent.status(), status, "{role}");
    }
    let change = app
        .call(
            "/api/team/change_role",
            &[("membership_id", &id), ("role", "admin")],
            Some(&owner),
        )
        .await;
    assert_eq!(change.status(), 403);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored_and_the_hint_is_logged() {
    let app = TestApp::spawn_with(&[("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "1")]).await;
    // The header does not buy a second allowance...
    assert_eq!(sign_in_from(&app, "198.51.100.1").await, 401);
    assert_eq!(sign_in_from(&app, "198.51.100.2").await, 429);
    // ...and the operator is told where to configure a real proxy (once per
    // process, so a client cannot fill the log).
    let logs = crate::helpers::captured_logs();
    assert!(logs.contains("LEDGERLOCK_TRUSTED_PROXIES"), "{logs}");
}

#[tokio::test]
async fn a_password_reset_does_not_lift_a_lock_earned_by_guessing_codes() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(verify(&app, &pending, "000000").await.status(), 422);
    }
    reset_by_mail(&app, &enrolled.email, NEW_PASSWORD).await;
    // Knowing the mailbox (and so a new password) buys no more code guesses.
    assert_eq!(
        app.sign_in(&enrolled.email, NEW_PASSWORD).await.status(),
        401
    );
    assert!(
        user_by_email(&app, &enrolled.email)
            .await
            .locked_until
            .unwrap()
            > OffsetDateTime::now_utc()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stolen_session_cannot_dodge_its_end_by_changing_its_id() {
    let app = spawn().await;
    let email = unique_email();
    let owner = app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    // The handle the owner sees stays the same when the thief's id changes.
    let listed = list_sessions(&app, &owner).await;
    let handle = listed
        .iter()
        .find(|session| session["is_current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&stolen),
        )
        .await;
    let rotated = session_cookie(rotated.headers()).unwrap();
    assert_ne!(rotated, stolen);
    assert!(
        list_sessions(&app, &owner)
            .await
            .iter()
            .any(|session| session["id"] == handle.as_str())
    );
    // And ending it holds while the thief keeps rotating.
    revocation_holds_under_fire(app, rotated, |app| async move {
        let ended = app
            .call("/api/sessions/end", &[("id", &handle)], Some(&owner))
            .await;
        assert_eq!(ended.status(), 200);
        owner
    })
    .await;
}

#[tokio::test]
async fn the_current_password_of_a_change_is_a_counted_guess() {
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    for _ in 0..5 {
        let refused = app
            .call(
                "/api/auth/change_password",
                &[
                    ("current_password", "wrong password guess"),
                    ("new_password", NEW_PASSWORD),
                ],
                Some(&cookie),
            )
            .await;
        assert_eq!(refused.status(), 422);
    }
    assert_eq!(user_by_email(&app, &email).await.failed_step_ups, 5);
    // Locked: the right current password cannot change it (nor lift the lock).
    let locked = app
        .call(
            "/api/auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(locked.status(), 422);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 401);
    assert_eq!(app.sign_in(&email, NEW_PASSWORD).await.status(), 401);
}
