//! Issue 6: invitations, instant revocation, owners, custom roles and
//! customer limits, through HTTP against a real database.

use crate::helpers::{
    PASSWORD, TestApp, add_member_as, edit_sessions, reset_token, session_cookie, unique_email,
};
use crate::invoicing::{Books, draft, issue, json_of};
use ledgerlock_app::ssr::entities::{invitation, security_event, session};
use reqwest::header::LOCATION;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

pub(crate) async fn invite(
    app: &TestApp,
    cookie: &str,
    email: &str,
    role: &str,
    customers: &[&str],
) -> reqwest::Response {
    app.call_json(
        "/api/team/invite",
        &json!({
            "email": email,
            "role": role,
            "limit": { "limited": !customers.is_empty(), "customer_ids": customers },
        }),
        Some(cookie),
    )
    .await
}

/// The token of the newest invitation mailed to `email`.
async fn invitation_token(app: &TestApp, email: &str) -> String {
    reset_token(&app.wait_for_mail(email, "invited to join").await)
}

pub(crate) async fn team(app: &TestApp, cookie: &str) -> Value {
    json_of(app.call("/api/team/overview", &[], Some(cookie)).await).await
}

pub(crate) async fn membership_of(app: &TestApp, owner: &str, email: &str) -> String {
    team(app, owner).await["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|member| member["email"] == email)
        .unwrap_or_else(|| panic!("{email} is no member"))["membership_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn limit_to(
    app: &TestApp,
    owner: &str,
    membership_id: &str,
    customers: &[&str],
) -> reqwest::Response {
    app.call_json(
        "/api/team/set_customers",
        &json!({
            "membership_id": membership_id,
            "limit": { "limited": true, "customer_ids": customers },
        }),
        Some(owner),
    )
    .await
}

async fn me(app: &TestApp, cookie: &str) -> Value {
    json_of(app.call("/api/auth/me", &[], Some(cookie)).await).await
}

pub(crate) async fn security_kinds(app: &TestApp) -> Vec<String> {
    security_event::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

async fn audit_actions(app: &TestApp, cookie: &str) -> Vec<String> {
    json_of(app.call("/api/audit/list", &[], Some(cookie)).await).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_invitee_creates_their_account_and_the_link_works_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up(&unique_email()).await;
    let email = unique_email();
    let sent = invite(&app, &owner, &email, "sales", &[]).await;
    assert_eq!(sent.status(), 200);
    let token = invitation_token(&app, &email).await;
    let stored = invitation::Entity::find()
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.token_hash, token, "only the token's hash is stored");
    assert!(!stored.token_hash.contains(&token));

    let preview = app
        .call("/api/invitations/preview", &[("token", &token)], None)
        .await;
    let preview = json_of(preview).await;
    assert_eq!(preview["email"], email);
    assert_eq!(preview["role_label"], "Sales");
    assert_eq!(preview["account_exists"], false);

    let weak = app
        .call(
            "/api/invitations/accept_new",
            &[
                ("token", &token),
                ("name", "Bo Berg"),
                ("password", "password"),
            ],
            None,
        )
        .await;
    assert_eq!(weak.status(), 422, "the password policy applies");
    let joined = app
        .call(
            "/api/invitations/accept_new",
            &[
                ("token", &token),
                ("name", "Bo Berg"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(joined.status(), 200);
    let member = session_cookie(joined.headers()).unwrap();
    let viewer = me(&app, &member).await;
    assert_eq!(viewer["role"], "Sales");
    assert_eq!(viewer["organization_name"], "Acme Trading");
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&member))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call("/api/audit/list", &[], Some(&member))
            .await
            .status(),
        403,
        "sales does not read the audit log"
    );

    let again = app
        .call(
            "/api/invitations/accept_new",
            &[("token", &token), ("name", "Eve"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(again.status(), 410, "the link is single-use");
    let kinds = security_kinds(&app).await;
    assert!(kinds.contains(&"member_invited".to_owned()));
    assert!(kinds.contains(&"invitation_accepted".to_owned()));
    let actions = audit_actions(&app, &owner).await;
    assert!(
        actions.contains(&"member.invited".to_owned()),
        "{actions:?}"
    );
    assert!(actions.contains(&"member.joined".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn an_existing_account_joins_and_switches_between_organizations() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up(&unique_email()).await;
    let email = unique_email();
    let other = app.sign_up(&email).await;
    let stranger = app.sign_up(&unique_email()).await;
    invite(&app, &owner, &email, "viewer", &[]).await;
    let token = invitation_token(&app, &email).await;
    let preview = json_of(
        app.call("/api/invitations/preview", &[("token", &token)], None)
            .await,
    )
    .await;
    assert_eq!(preview["account_exists"], true);

    let wrong = app
        .call(
            "/api/invitations/accept",
            &[("token", &token)],
            Some(&stranger),
        )
        .await;
    assert_eq!(wrong.status(), 409, "the invitation is for another address");
    let taken = app
        .call(
            "/api/invitations/accept_new",
            &[("token", &token), ("name", "Bo"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(taken.status(), 409, "an existing account signs in instead");

    let joined = app
        .call(
            "/api/invitations/accept",
            &[("token", &token)],
            Some(&other),
        )
        .await;
    assert_eq!(joined.status(), 200);
    let cookie = session_cookie(joined.headers()).unwrap_or(other);
    assert_eq!(me(&app, &cookie).await["role"], "Viewer");
    let mine = json_of(
        app.call("/api/organizations/mine", &[], Some(&cookie))
            .await,
    )
    .await;
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 2);
    let own = mine
        .iter()
        .find(|choice| choice["current"] == false)
        .unwrap();
    let switched = app
        .call(
            "/api/organizations/switch",
            &[("id", own["id"].as_str().unwrap())],
            Some(&cookie),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let cookie = session_cookie(switched.headers()).unwrap();
    assert_eq!(me(&app, &cookie).await["role"], "Owner");

    let foreign = json_of(
        app.call("/api/organizations/mine", &[], Some(&stranger))
            .await,
    )
    .await;
    let foreign = foreign[0]["id"].as_str().unwrap().to_owned();
    let refused = app
        .call(
            "/api/organizations/switch",
            &[("id", &foreign)],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        refused.status(),
        404,
        "no switching into a stranger's organization"
    );
}

#[tokio::test]
async fn expired_revoked_and_replaced_invitations_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up(&unique_email()).await;
    let other_owner = app.sign_up(&unique_email()).await;
    let email = unique_email();
    let first = json_of(invite(&app, &owner, &email, "viewer", &[]).await).await;
    let first_token = invitation_token(&app, &email).await;
    // Inviting again replaces the pending invitation: only the new link works.
    invite(&app, &owner, &email, "sales", &[]).await;
    let preview = |token: String| {
        let app = &app;
        async move {
            app.call("/api/invitations/preview", &[("token", &token)], None)
                .await
                .status()
        }
    };
    assert_eq!(preview(first_token.clone()).await, 410);
    // The other link: mail is written in the background, and two mails
    // written within the file system's timestamp granularity cannot be told
    // apart by time.
    let token = reset_token(
        &app.wait_for_mail_where(&email, |message| reset_token(message) != first_token)
            .await,
    );
    assert_eq!(preview(token.clone()).await, 200);
    let pending = &team(&app, &owner).await["invitations"];
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_ne!(pending[0]["id"], first["id"]);
    let id = pending[0]["id"].as_str().unwrap().to_owned();

    let foreign = app
        .call(
            "/api/team/revoke_invitation",
            &[("id", &id)],
            Some(&other_owner),
        )
        .await;
    assert_eq!(foreign.status(), 404, "another organization's invitation");
    let revoked = app
        .call("/api/team/revoke_invitation", &[("id", &id)], Some(&owner))
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(preview(token.clone()).await, 410);

    let later = unique_email();
    invite(&app, &owner, &later, "viewer", &[]).await;
    let later_token = invitation_token(&app, &later).await;
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::ExpiresAt,
            Expr::value(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)),
        )
        .exec(&app.db().await)
        .await
        .unwrap();
    assert_eq!(
        preview(later_token.clone()).await,
        410,
        "expired after 7 days"
    );
    let expired = app
        .call(
            "/api/invitations/accept_new",
            &[
                ("token", &later_token),
                ("name", "Bo"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(expired.status(), 410);

    let malformed = invite(&app, &owner, "not an address", "viewer", &[]).await;
    assert_eq!(malformed.status(), 422);
    assert_eq!(json_of(malformed).await["Invalid"]["field"], "email");
    let unknown_role = invite(&app, &owner, &unique_email(), "superuser", &[]).await;
    assert_eq!(json_of(unknown_role).await["Invalid"]["field"], "role");
}

#[tokio::test]
async fn a_removed_member_is_signed_out_on_their_next_request() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let (email, member) = add_member_as(&app, &owner_email, "sales").await;
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&member))
            .await
            .status(),
        200
    );
    let id = membership_of(&app, &owner, &email).await;
    let removed = app
        .call("/api/team/remove", &[("membership_id", &id)], Some(&owner))
        .await;
    assert_eq!(removed.status(), 200);
    let organization = organization_of(&app, &owner_email).await;
    let left = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id(&app, &email).await))
        .filter(session::Column::OrganizationId.eq(organization))
        .count(&app.db().await)
        .await
        .unwrap();
    assert_eq!(left, 0, "their sessions in the organization are gone");
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&member))
            .await
            .status(),
        401
    );
    let page = app.get("/app/customers", Some(&member)).await;
    assert_eq!(page.status(), 303);
    assert!(
        page.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
    assert!(
        security_kinds(&app)
            .await
            .contains(&"member_removed".to_owned())
    );
}

pub(crate) async fn user_id(app: &TestApp, email: &str) -> uuid::Uuid {
    use ledgerlock_app::ssr::entities::user;
    user::Entity::find()
        .filter(user::Column::EmailLookup.eq(email.to_lowercase()))
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The organization `email` founded.
pub(crate) async fn organization_of(app: &TestApp, email: &str) -> uuid::Uuid {
    use ledgerlock_app::ssr::entities::membership;
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id(app, email).await))
        .filter(membership::Column::Role.eq("owner"))
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap()
        .organization_id
}

#[tokio::test]
async fn a_role_change_applies_to_the_next_request() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let (email, member) = add_member_as(&app, &owner_email, "viewer").await;
    let create = |cookie: String| {
        let app = &app;
        async move {
            app.call(
                "/api/customers/save",
                &[("name", "Nordwind AG"), ("currency", "EUR")],
                Some(&cookie),
            )
            .await
            .status()
        }
    };
    assert_eq!(create(member.clone()).await, 403);
    let id = membership_of(&app, &owner, &email).await;
    let changed = app
        .call(
            "/api/team/change_role",
            &[("membership_id", &id), ("role", "sales")],
            Some(&owner),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(create(member.clone()).await, 200, "same session, new role");
    assert!(
        audit_actions(&app, &owner)
            .await
            .contains(&"member.role_changed".to_owned())
    );
}

#[tokio::test]
async fn there_is_always_an_owner_and_owner_changes_need_confirmation() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let own_id = membership_of(&app, &owner, &owner_email).await;
    let myself = app
        .call(
            "/api/team/remove",
            &[("membership_id", &own_id)],
            Some(&owner),
        )
        .await;
    assert_eq!(
        myself.status(),
        409,
        "the last owner cannot remove themselves"
    );
    let demote = app
        .call(
            "/api/team/change_role",
            &[("membership_id", &own_id), ("role", "admin")],
            Some(&owner),
        )
        .await;
    assert_eq!(demote.status(), 409);

    let (admin_email, admin) = add_member_as(&app, &owner_email, "admin").await;
    let admin_id = membership_of(&app, &owner, &admin_email).await;
    let by_admin = app
        .call(
            "/api/team/remove",
            &[("membership_id", &own_id)],
            Some(&admin),
        )
        .await;
    assert_eq!(by_admin.status(), 403, "admins do not touch owners");
    let grant = app
        .call(
            "/api/team/change_role",
            &[("membership_id", &admin_id), ("role", "owner")],
            Some(&admin),
        )
        .await;
    assert_eq!(grant.status(), 409, "nobody changes their own role");

    edit_sessions(&app, |auth| auth.confirmed_at = 0).await;
    let unconfirmed = app
        .call(
            "/api/team/transfer_ownership",
            &[("membership_id", &admin_id)],
            Some(&owner),
        )
        .await;
    assert_eq!(unconfirmed.status(), 403);
    assert_eq!(json_of(unconfirmed).await, json!("ConfirmationRequired"));
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&owner),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let owner = session_cookie(confirmed.headers()).unwrap_or(owner);
    let transferred = app
        .call(
            "/api/team/transfer_ownership",
            &[("membership_id", &admin_id)],
            Some(&owner),
        )
        .await;
    assert_eq!(transferred.status(), 200);
    assert_eq!(me(&app, &owner).await["role"], "Admin");
    assert_eq!(me(&app, &admin).await["role"], "Owner");
    let now_admin = app
        .call(
            "/api/team/remove",
            &[("membership_id", &admin_id)],
            Some(&owner),
        )
        .await;
    assert_eq!(now_admin.status(), 403, "the former owner is an admin now");
    assert!(
        security_kinds(&app)
            .await
            .contains(&"ownership_transferred".to_owned())
    );
}

#[tokio::test]
async fn custom_roles_grant_what_they_list_and_nothing_beyond_their_author() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let books = open_books_as(&app, &owner_email).await;
    let owner = &books.cookie;
    let invoice = draft(&app, &books).await;
    issue(&app, owner, &invoice).await;
    let save_role = |name: &str, permissions: Value, cookie: &str| {
        let body = json!({ "id": null, "name": name, "permissions": permissions });
        let app = &app;
        let cookie = cookie.to_owned();
        async move { app.call_json("/api/roles/save", &body, Some(&cookie)).await }
    };
    let unknown = save_role("Odd", json!(["invoices.read", "root.all"]), owner).await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(json_of(unknown).await["Invalid"]["field"], "permissions");
    let built_in = save_role("Admin", json!(["invoices.read"]), owner).await;
    assert_eq!(json_of(built_in).await["Invalid"]["field"], "name");
    let collections = save_role(
        "Collections",
        json!(["invoices.read", "payments.record"]),
        owner,
    )
    .await;
    assert_eq!(collections.status(), 200);
    let role_id = json_of(collections).await.as_str().unwrap().to_owned();

    let (email, member) = add_member_as(&app, &owner_email, "viewer").await;
    let id = membership_of(&app, owner, &email).await;
    let assigned = app
        .call(
            "/api/team/change_role",
            &[("membership_id", &id), ("role", &role_id)],
            Some(owner),
        )
        .await;
    assert_eq!(assigned.status(), 200);
    assert_eq!(me(&app, &member).await["role"], "Collections");
    assert_eq!(
        app.call(
            "/api/invoices/mark_paid",
            &[("id", &invoice)],
            Some(&member)
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&member))
            .await
            .status(),
        403,
        "not listed, not granted"
    );
    let in_use = app
        .call("/api/roles/delete", &[("id", &role_id)], Some(owner))
        .await;
    assert_eq!(in_use.status(), 409);

    // A team manager whose own role lacks payments cannot hand them out.
    let managers = save_role("Team lead", json!(["team.manage", "invoices.read"]), owner).await;
    let managers = json_of(managers).await.as_str().unwrap().to_owned();
    let (lead_email, lead) = add_member_as(&app, &owner_email, "viewer").await;
    let lead_id = membership_of(&app, owner, &lead_email).await;
    app.call(
        "/api/team/change_role",
        &[("membership_id", &lead_id), ("role", &managers)],
        Some(owner),
    )
    .await;
    let escalate = app
        .call(
            "/api/team/change_role",
            &[("membership_id", &id), ("role", "accountant")],
            Some(&lead),
        )
        .await;
    assert_eq!(escalate.status(), 403);
    let wider = save_role("Everything", json!(["payments.record", "export"]), &lead).await;
    assert_eq!(wider.status(), 403, "nor define a role beyond their own");
    let kinds = security_kinds(&app).await;
    assert!(kinds.contains(&"role_created".to_owned()));
}

pub(crate) async fn open_books_as(app: &TestApp, email: &str) -> Books {
    let cookie = app.sign_up(email).await;
    crate::invoicing::books_for(app, cookie).await
}
