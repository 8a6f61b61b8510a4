//! Issue 12: multi-step flows bound to the user that started them, ended
//! sessions that stay ended with requests in flight, and guess limits that
//! hold when the same request is sent twenty times at once. One module per
//! part of the issue; the helpers here serve them all.

mod accounts;
mod flows;
mod guesses;
mod limits;
mod sessions;

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

/// Invites `email` as `role` with every customer, as the team page does.
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
