//! Issue 4 (passkeys): registration and sign-in round trips with a software
//! authenticator, and the answers that must be refused.
//!
//! The soft authenticator plays the browser. It cannot store discoverable
//! credentials, so where a real browser would find the passkey by itself the
//! test names it in the options, and supplies the user handle a real
//! authenticator returns (it is not covered by the signature either way).

use crate::helpers::{PASSWORD, TestApp, add_member, edit_sessions, session_cookie, unique_email};
use ledgerlock_app::ssr::entities::{passkey, security_event};
use reqwest::header::LOCATION;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse,
};

/// A user's device holding passkeys, answering as the browser would.
pub(crate) struct Device {
    authenticator: SoftPasskey,
    origin: Url,
    credential_ids: Vec<Vec<u8>>,
    user_handle: Vec<u8>,
}

impl Device {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self {
            // "Falsify UV": it claims the user verification passkeys require.
            authenticator: SoftPasskey::new(true),
            origin: app.origin(),
            credential_ids: Vec::new(),
            user_handle: Vec::new(),
        }
    }

    /// Creates a passkey for the options, as `navigator.credentials.create`.
    pub(crate) fn create(&mut self, mut options: CreationChallengeResponse) -> Value {
        let selection = options.public_key.authenticator_selection.as_mut().unwrap();
        assert!(
            selection.require_resident_key,
            "passkeys are discoverable, to sign in without a password"
        );
        selection.require_resident_key = false;
        selection.resident_key = None;
        self.user_handle = options.public_key.user.id.to_vec();
        let credential = self
            .authenticator
            .do_registration(self.origin.clone(), options)
            .unwrap();
        self.credential_ids.push(credential.raw_id.to_vec());
        serde_json::to_value(credential).unwrap()
    }

    /// Answers a passkey check, as `navigator.credentials.get`.
    pub(crate) fn get(&mut self, options: RequestChallengeResponse) -> PublicKeyCredential {
        self.get_from(self.origin.clone(), options)
    }

    fn get_from(
        &mut self,
        origin: Url,
        mut options: RequestChallengeResponse,
    ) -> PublicKeyCredential {
        assert!(
            options.mediation.is_none(),
            "a button asks with the browser's own prompt"
        );
        if options.public_key.allow_credentials.is_empty() {
            options.public_key.allow_credentials = self
                .credential_ids
                .iter()
                .map(|id| AllowCredentials {
                    type_: "public-key".into(),
                    id: id.clone(),
                    transports: None,
                })
                .collect();
        }
        let mut credential = self
            .authenticator
            .do_authentication(origin, options)
            .unwrap();
        credential.response.user_handle = Some(self.user_handle.clone());
        credential
    }
}

pub(crate) async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

/// Registers a passkey from `device` on the signed-in session `cookie`.
pub(crate) async fn register(
    app: &TestApp,
    cookie: &str,
    device: &mut Device,
    name: &str,
) -> reqwest::Response {
    let started = app
        .call_json("/api/passkeys/register/start", &json!({}), Some(cookie))
        .await;
    assert_eq!(started.status(), 200);
    let options: CreationChallengeResponse =
        serde_json::from_value(json_of(started).await).unwrap();
    let credential = device.create(options);
    app.call_json(
        "/api/passkeys/register/finish",
        &json!({ "name": name, "credential": credential }),
        Some(cookie),
    )
    .await
}

/// Starts a passkey check; answers the options and the session cookie the
/// ceremony is kept in.
pub(crate) async fn start_check(
    app: &TestApp,
    purpose: &str,
    cookie: Option<&str>,
) -> (RequestChallengeResponse, String) {
    let started = app
        .call_json(
            "/api/auth/passkey/start",
            &json!({ "purpose": purpose }),
            cookie,
        )
        .await;
    assert_eq!(started.status(), 200, "{purpose}");
    let cookie = session_cookie(started.headers())
        .or_else(|| cookie.map(str::to_owned))
        .expect("a session holds the ceremony");
    let options = serde_json::from_value(json_of(started).await).unwrap();
    (options, cookie)
}

pub(crate) async fn finish_check(
    app: &TestApp,
    cookie: &str,
    credential: &PublicKeyCredential,
) -> reqwest::Response {
    app.call_json(
        "/api/auth/passkey/finish",
        &json!({ "credential": credential }),
        Some(cookie),
    )
    .await
}

/// A new owner with one passkey; returns their email, session and device.
pub(crate) async fn owner_with_passkey(app: &TestApp) -> (String, String, Device) {
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let mut device = Device::new(app);
    let registered = register(app, &cookie, &mut device, "Work laptop").await;
    assert_eq!(registered.status(), 200);
    (email, cookie, device)
}

async fn sign_in_with_passkey(app: &TestApp, device: &mut Device) -> reqwest::Response {
    let (options, cookie) = start_check(app, "SignIn", None).await;
    let credential = device.get(options);
    finish_check(app, &cookie, &credential).await
}

async fn event_kinds(app: &TestApp) -> Vec<String> {
    security_event::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

#[tokio::test]
async fn a_passkey_signs_in_without_a_password_and_is_updated() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let mut device = Device::new(&app);
    let registered = register(&app, &cookie, &mut device, "Work laptop").await;
    assert_eq!(registered.status(), 200);
    let codes: Vec<String> = serde_json::from_value(json_of(registered).await).unwrap();
    assert_eq!(codes.len(), 10, "a first factor comes with recovery codes");
    app.wait_for_mail(&email, "a passkey was added").await;

    let signed_in = sign_in_with_passkey(&app, &mut device).await;
    assert_eq!(signed_in.status(), 200, "{:?}", signed_in.text().await);
    assert_eq!(signed_in.headers()[LOCATION], "/app");
    let session = session_cookie(signed_in.headers()).unwrap();
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&session))
            .await
            .status(),
        200
    );

    let listed = json_of(app.call("/api/passkeys/list", &[], Some(&session)).await).await;
    assert_eq!(listed[0]["name"], "Work laptop");
    assert!(listed[0]["last_used_at"].is_i64(), "{listed}");
    let row = passkey::Entity::find()
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap();
    let stored: Value = serde_json::from_str(&row.credential).unwrap();
    assert_eq!(stored["cred"]["counter"], 1, "the counter is kept");
    assert!(
        event_kinds(&app)
            .await
            .contains(&"second_factor_added".to_owned())
    );
}

#[tokio::test]
async fn with_a_passkey_a_password_sign_in_needs_the_passkey_too() {
    let app = TestApp::spawn().await;
    let (email, _, mut device) = owner_with_passkey(&app).await;
    let password_step = app.sign_in(&email, PASSWORD).await;
    assert_eq!(
        password_step.headers()[LOCATION],
        "/sign-in/verify?next=/app"
    );
    let pending = session_cookie(password_step.headers()).unwrap();
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&pending))
            .await
            .status(),
        401,
        "the second step cannot be skipped"
    );
    // A step-up check is not a way around it either.
    let confirm = app
        .call_json(
            "/api/auth/passkey/start",
            &json!({ "purpose": "Confirm" }),
            Some(&pending),
        )
        .await;
    assert_eq!(confirm.status(), 401);

    let (options, cookie) = start_check(&app, "SecondFactor", Some(&pending)).await;
    assert!(
        !options.public_key.allow_credentials.is_empty(),
        "only this user's passkeys are asked for"
    );
    let credential = device.get(options);
    let verified = finish_check(&app, &cookie, &credential).await;
    assert_eq!(verified.status(), 200);
    let session = session_cookie(verified.headers()).unwrap();
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&session))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn several_passkeys_can_be_named_renamed_and_removed() {
    let app = TestApp::spawn().await;
    let (email, cookie, _) = owner_with_passkey(&app).await;
    let mut phone = Device::new(&app);
    let second = register(&app, &cookie, &mut phone, "Phone").await;
    assert_eq!(second.status(), 200);
    assert_eq!(
        json_of(second).await,
        json!([]),
        "recovery codes are made once"
    );
    let bad_name = register(&app, &cookie, &mut Device::new(&app), "  ").await;
    assert_eq!(bad_name.status(), 422);
    assert!(bad_name.text().await.unwrap().contains("name"));

    let listed = json_of(app.call("/api/passkeys/list", &[], Some(&cookie)).await).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|passkey| passkey["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Work laptop", "Phone"]);
    let phone_id = listed[1]["id"].as_str().unwrap().to_owned();

    let renamed = app
        .call(
            "/api/passkeys/rename",
            &[("id", &phone_id), ("name", "Old phone")],
            Some(&cookie),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    // Another user cannot touch it: as if it did not exist.
    let stranger = app.sign_up(&unique_email()).await;
    for (endpoint, form) in [
        (
            "/api/passkeys/rename",
            vec![("id", phone_id.as_str()), ("name", "Mine")],
        ),
        ("/api/passkeys/remove", vec![("id", phone_id.as_str())]),
    ] {
        assert_eq!(
            app.call(endpoint, &form, Some(&stranger)).await.status(),
            404,
            "{endpoint}"
        );
    }

    let removed = app
        .call("/api/passkeys/remove", &[("id", &phone_id)], Some(&cookie))
        .await;
    assert_eq!(removed.status(), 200);
    app.wait_for_mail(&email, "a passkey was removed").await;
    let listed = json_of(app.call("/api/passkeys/list", &[], Some(&cookie)).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // The removed passkey no longer signs in.
    let refused = sign_in_with_passkey(&app, &mut phone).await;
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn adding_and_removing_passkeys_needs_a_recent_confirmation() {
    let app = TestApp::spawn().await;
    let (_, cookie, mut device) = owner_with_passkey(&app).await;
    let id = json_of(app.call("/api/passkeys/list", &[], Some(&cookie)).await).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let long_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 11 * 60;
    edit_sessions(&app, |auth| auth.confirmed_at = long_ago).await;
    let start = app
        .call_json("/api/passkeys/register/start", &json!({}), Some(&cookie))
        .await;
    assert_eq!(start.status(), 403);
    let remove = app
        .call("/api/passkeys/remove", &[("id", &id)], Some(&cookie))
        .await;
    assert_eq!(remove.status(), 403);
    assert!(
        remove
            .text()
            .await
            .unwrap()
            .contains("ConfirmationRequired")
    );

    // The passkey itself confirms.
    let (options, cookie) = start_check(&app, "Confirm", Some(&cookie)).await;
    let credential = device.get(options);
    let confirmed = finish_check(&app, &cookie, &credential).await;
    assert_eq!(confirmed.status(), 200);
    let cookie = session_cookie(confirmed.headers()).expect("a new session id after step-up");
    let remove = app
        .call("/api/passkeys/remove", &[("id", &id)], Some(&cookie))
        .await;
    assert_eq!(remove.status(), 200);
}

#[tokio::test]
async fn an_answer_to_another_sessions_challenge_is_refused() {
    let app = TestApp::spawn().await;
    let (_, _, mut device) = owner_with_passkey(&app).await;
    let (theirs, _) = start_check(&app, "SignIn", None).await;
    let (_, mine) = start_check(&app, "SignIn", None).await;
    let credential = device.get(theirs);
    let refused = finish_check(&app, &mine, &credential).await;
    assert_eq!(refused.status(), 422);
    assert!(
        event_kinds(&app)
            .await
            .contains(&"second_factor_failed".to_owned())
    );
}

#[tokio::test]
async fn a_ceremony_serves_once() {
    let app = TestApp::spawn().await;
    let (_, _, mut device) = owner_with_passkey(&app).await;
    let (options, cookie) = start_check(&app, "SignIn", None).await;
    let credential = device.get(options);
    let mut tampered = credential.clone();
    tampered.response.signature[8] ^= 0xff;
    assert_eq!(finish_check(&app, &cookie, &tampered).await.status(), 422);
    // The state went with the first answer: the genuine one comes too late.
    let again = finish_check(&app, &cookie, &credential).await;
    assert_eq!(again.status(), 422);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );

    // And a successful answer cannot be posted twice.
    let (options, cookie) = start_check(&app, "SignIn", None).await;
    let credential = device.get(options);
    assert_eq!(finish_check(&app, &cookie, &credential).await.status(), 200);
    assert_eq!(finish_check(&app, &cookie, &credential).await.status(), 422);
}

#[tokio::test]
async fn an_unknown_credential_and_a_wrong_origin_are_refused() {
    let app = TestApp::spawn().await;
    let (_, _, mut device) = owner_with_passkey(&app).await;

    // A passkey this server never registered (same user handle, new key).
    let mut stranger = Device::new(&app);
    stranger.user_handle = device.user_handle.clone();
    let other_app = TestApp::spawn().await;
    let other_cookie = other_app.sign_up(&unique_email()).await;
    let mut elsewhere = Device::new(&other_app);
    assert_eq!(
        register(&other_app, &other_cookie, &mut elsewhere, "Key")
            .await
            .status(),
        200
    );
    stranger.credential_ids = elsewhere.credential_ids.clone();
    stranger.authenticator = elsewhere.authenticator;
    stranger.origin = app.origin();
    let (options, cookie) = start_check(&app, "SignIn", None).await;
    let unknown = finish_check(&app, &cookie, &stranger.get(options)).await;
    assert_eq!(unknown.status(), 422);
    assert!(unknown.text().await.unwrap().contains("not registered"));

    // The right passkey, but the browser was on another origin.
    let mut wrong_origin = app.origin();
    wrong_origin.set_port(Some(1)).unwrap();
    let (options, cookie) = start_check(&app, "SignIn", None).await;
    let phished = device.get_from(wrong_origin, options);
    let refused = finish_check(&app, &cookie, &phished).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&cookie))
            .await
            .status(),
        401,
        "nothing signed in"
    );
}

#[tokio::test]
async fn a_counter_going_backwards_is_refused_and_logged() {
    let app = TestApp::spawn().await;
    let (email, _, mut device) = owner_with_passkey(&app).await;
    // The server has seen a higher count than this device will send: as if
    // a copy of the key had been used meanwhile.
    let db = app.db().await;
    let row = passkey::Entity::find().one(&db).await.unwrap().unwrap();
    let mut credential: Value = serde_json::from_str(&row.credential).unwrap();
    credential["cred"]["counter"] = json!(1000);
    let mut active = row.into_active_model();
    active.credential = Set(credential.to_string());
    active.update(&db).await.unwrap();

    let refused = sign_in_with_passkey(&app, &mut device).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("may have been copied")
    );
    assert!(
        event_kinds(&app)
            .await
            .contains(&"passkey_clone_suspected".to_owned())
    );
    app.wait_for_mail(&email, "a passkey was refused").await;
}

#[tokio::test]
async fn a_password_lockout_does_not_block_a_passkey() {
    let app = TestApp::spawn().await;
    let (email, _, mut device) = owner_with_passkey(&app).await;
    for _ in 0..6 {
        assert_eq!(
            app.sign_in(&email, "wrong password, again").await.status(),
            401
        );
    }
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 401, "locked");
    assert_eq!(sign_in_with_passkey(&app, &mut device).await.status(), 200);
}

#[tokio::test]
async fn a_passkey_meets_the_organizations_rule_and_the_last_factor_stays() {
    let app = TestApp::spawn().await;
    let (owner_email, owner, _) = owner_with_passkey(&app).await;
    let required = app
        .call(
            "/api/organization/second_factor_policy",
            &[("required", "true")],
            Some(&owner),
        )
        .await;
    assert_eq!(
        required.status(),
        200,
        "a passkey counts as a second factor"
    );
    let id = json_of(app.call("/api/passkeys/list", &[], Some(&owner)).await).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = app
        .call("/api/passkeys/remove", &[("id", &id)], Some(&owner))
        .await;
    assert_eq!(kept.status(), 409, "the last factor stays under the rule");

    let (_, member) = add_member(&app, &owner_email).await;
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&member))
            .await
            .status(),
        403
    );
    let mut device = Device::new(&app);
    assert_eq!(
        register(&app, &member, &mut device, "Phone").await.status(),
        200
    );
    assert_eq!(
        app.call("/api/dashboard/summary", &[], Some(&member))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn malformed_passkey_answers_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    let (_, _, _) = owner_with_passkey(&app).await;
    let (_, cookie) = start_check(&app, "SignIn", None).await;
    let garbage = app
        .call_json(
            "/api/auth/passkey/finish",
            &json!({ "credential": { "id": 5 } }),
            Some(&cookie),
        )
        .await;
    assert_eq!(garbage.status(), 400);
    let purpose = app
        .call_json(
            "/api/auth/passkey/start",
            &json!({ "purpose": "Everything" }),
            None,
        )
        .await;
    assert_eq!(purpose.status(), 400);
    let no_ceremony = app
        .call_json(
            "/api/auth/passkey/finish",
            &json!({ "credential": {
            "id": "AA", "rawId": "AA", "type": "public-key",
            "response": { "authenticatorData": "AA", "clientDataJSON": "AA", "signature": "AA" }
        } }),
            None,
        )
        .await;
    assert_eq!(no_ceremony.status(), 422);
}
