//! Part 4: limits keyed the way attackers vary, and mail budgets.

use super::*;

// ---- 4. Limits keyed the way attackers vary -------------------------------

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
