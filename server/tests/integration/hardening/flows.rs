//! Part 1: every multi-step flow is bound to the user that started it.

use super::*;

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
