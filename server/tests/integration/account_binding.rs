//! One browser, two tabs, one session cookie: a tab acts only as the
//! account it shows (`ledgerlock_app::account_binding`). helper-13 saved a
//! customer from a tab still showing account A, after account B had signed
//! in in another tab, and it landed in B's books.

use crate::helpers::{TestApp, encode_form, unique_email};
use crate::invoicing::json_of;
use ledgerlock_app::account_binding::{CHANGED_HEADER, HEADER};
use reqwest::Response;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE};
use std::sync::Arc;
use tokio::task::JoinSet;

/// A server function call as a tab makes it: its cookie and the tag of the
/// account it shows.
async fn call_as_tab(
    app: &TestApp,
    endpoint: &str,
    form: &[(&str, &str)],
    cookie: &str,
    shown: &str,
) -> Response {
    app.client
        .post(app.url(endpoint))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(COOKIE, cookie)
        .header(HEADER, shown)
        .body(encode_form(form))
        .send()
        .await
        .unwrap()
}

/// The tag the page of `cookie`'s account is rendered with.
async fn shown_account(app: &TestApp, cookie: &str) -> String {
    let me = json_of(app.call("/api/auth/me", &[], Some(cookie)).await).await;
    let tag = me["account"].as_str().unwrap().to_owned();
    assert_eq!(tag.len(), 16, "{me}");
    tag
}

fn tag_of(response: &Response) -> Option<&str> {
    response
        .headers()
        .get(HEADER)
        .map(|value| value.to_str().unwrap())
}

const CUSTOMER: [(&str, &str); 4] = [
    ("name", "Left Open Tab Ltd"),
    ("emails", "ap@left-open.example"),
    ("currency", "EUR"),
    ("payment_terms_days", "14"),
];

#[tokio::test]
async fn a_tab_left_showing_another_account_writes_nothing_and_is_told_to_reload() {
    let app = TestApp::spawn().await;
    let first = app.sign_up(&unique_email()).await;
    let tab_a = shown_account(&app, &first).await;

    // The other tab: signs out, and someone else signs up in this browser.
    let out = call_as_tab(&app, "/api/auth/sign_out", &[], &first, &tab_a).await;
    assert_eq!(out.status(), 200);
    assert_eq!(tag_of(&out), Some(""), "signed out: the tab's tag is empty");
    let second = app.sign_up(&unique_email()).await;
    let tab_b = shown_account(&app, &second).await;
    assert_ne!(tab_a, tab_b);

    // Tab A, still showing the first account, saves with the browser's cookie.
    let stale = call_as_tab(&app, "/api/customers/save", &CUSTOMER, &second, &tab_a).await;
    assert_eq!(stale.status(), 409);
    assert!(stale.headers().contains_key(CHANGED_HEADER));
    assert_eq!(tag_of(&stale), None, "a refused tab learns no new account");
    let error = json_of(stale).await;
    assert!(error.to_string().contains("session changed"), "{error}");

    // Twenty at once: all refused, and nothing reached the second books.
    let app = Arc::new(app);
    let mut saves = JoinSet::new();
    for _ in 0..20 {
        let (app, second, tab_a) = (app.clone(), second.clone(), tab_a.clone());
        saves.spawn(async move {
            call_as_tab(&app, "/api/customers/save", &CUSTOMER, &second, &tab_a)
                .await
                .status()
                .as_u16()
        });
    }
    while let Some(status) = saves.join_next().await {
        assert_eq!(status.unwrap(), 409);
    }
    let list = app.call("/api/customers/list", &[], Some(&second)).await;
    assert_eq!(list.status(), 200);
    assert!(!list.text().await.unwrap().contains("Left Open Tab"));

    // The tab showing the second account works, and is told it still is.
    let fresh = call_as_tab(&app, "/api/customers/save", &CUSTOMER, &second, &tab_b).await;
    assert_eq!(fresh.status(), 200);
    assert_eq!(tag_of(&fresh), Some(tab_b.as_str()));
}

#[tokio::test]
async fn signing_in_in_the_tab_itself_moves_its_tag_along() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let shown = shown_account(&app, &cookie).await;
    let out = call_as_tab(&app, "/api/auth/sign_out", &[], &cookie, &shown).await;
    assert_eq!(tag_of(&out), Some(""));

    // Signed out, the tab sends the empty tag: signing in is its own call.
    let sign_in = call_as_tab(
        &app,
        "/api/auth/sign_in",
        &[("email", &email), ("password", crate::helpers::PASSWORD)],
        &cookie,
        "",
    )
    .await;
    assert_eq!(sign_in.status(), 200);
    let moved = tag_of(&sign_in).unwrap().to_owned();
    let cookie = crate::helpers::session_cookie(sign_in.headers()).unwrap();
    assert_eq!(moved, shown_account(&app, &cookie).await);
    assert_ne!(moved, shown, "a new sign-in is a new account view");

    // A call without the header (a script, a form posted before the page
    // hydrated) is not bound.
    let unbound = app
        .call("/api/customers/save", &CUSTOMER, Some(&cookie))
        .await;
    assert_eq!(unbound.status(), 200);
}
