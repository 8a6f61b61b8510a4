//! Part 5: confirmed addresses, re-entry, events where they belong, step-up grants.

use super::*;

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
