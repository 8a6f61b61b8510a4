//! Each organization's time zone: "today", issue and due dates, overdue and
//! the yearly number reset follow it, and issue dates keep numbers in order.

use super::{books_in_zone, detail, draft_dated, issued_number};
use crate::helpers::{TestApp, add_member_as, unique_email};
use crate::invoicing::{issue, json_of};
use time::macros::datetime;

#[tokio::test]
async fn the_yearly_reset_follows_the_organizations_new_year() {
    // 2027-01-01 09:00 in Auckland is still 2026-12-31 in UTC.
    let app = TestApp::spawn_at(datetime!(2026-12-31 20:00 UTC)).await;
    let books = books_in_zone(&app, "Pacific/Auckland").await;
    let id = draft_dated(&app, &books, "", "").await;
    assert_eq!(issued_number(&app, &books, &id).await, "INV-2027-0001");
    let shown = detail(&app, &books, &id).await;
    assert_eq!(shown["issue_date"], "2027-01-01");
    // Net 14 from the organization's day.
    assert_eq!(shown["due_date"], "2027-01-15");

    // 2026-12-31 17:00 in Los Angeles is already 2027 in UTC.
    let app = TestApp::spawn_at(datetime!(2027-01-01 01:00 UTC)).await;
    let books = books_in_zone(&app, "America/Los_Angeles").await;
    let id = draft_dated(&app, &books, "", "").await;
    assert_eq!(issued_number(&app, &books, &id).await, "INV-2026-0001");
    assert_eq!(detail(&app, &books, &id).await["issue_date"], "2026-12-31");
}

#[tokio::test]
async fn overdue_starts_at_the_organizations_midnight() {
    // 2026-04-03 20:00 in Chicago (CDT, UTC-5).
    let app = TestApp::spawn_at(datetime!(2026-04-04 01:00 UTC)).await;
    let books = books_in_zone(&app, "America/Chicago").await;
    let id = draft_dated(&app, &books, "2026-04-01", "2026-04-03").await;
    issued_number(&app, &books, &id).await;
    assert_eq!(detail(&app, &books, &id).await["status"], "Unpaid");
    // 2026-04-04 00:01 in Chicago.
    app.clock.set(datetime!(2026-04-04 05:01 UTC));
    assert_eq!(detail(&app, &books, &id).await["status"], "Overdue");
    let totals = json_of(
        app.call_json(
            "/api/invoices/status_totals",
            &serde_json::json!({ "filter": {} }),
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    let overdue = totals
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["status"] == "Overdue")
        .expect("an overdue row");
    assert_eq!(overdue["count"], 1);
}

#[tokio::test]
async fn net_14_counts_days_where_the_organization_is() {
    // 2026-10-20 00:30 in Berlin (CEST) is still the 19th in UTC.
    let app = TestApp::spawn_at(datetime!(2026-10-19 22:30 UTC)).await;
    let books = books_in_zone(&app, "Europe/Berlin").await;
    let id = draft_dated(&app, &books, "", "").await;
    issued_number(&app, &books, &id).await;
    let shown = detail(&app, &books, &id).await;
    assert_eq!(shown["issue_date"], "2026-10-20");
    assert_eq!(shown["due_date"], "2026-11-03");
}

#[tokio::test]
async fn a_draft_left_to_the_day_of_issue_takes_that_day_not_the_day_it_was_written() {
    let app = TestApp::spawn_at(datetime!(2026-10-20 08:00 UTC)).await;
    let books = books_in_zone(&app, "Europe/Berlin").await;
    let id = draft_dated(&app, &books, "", "").await;
    let draft = detail(&app, &books, &id).await;
    assert_eq!(draft["issue_date_chosen"], false);
    assert_eq!(draft["due_date_chosen"], false);
    app.clock.set(datetime!(2026-10-27 08:00 UTC));
    issued_number(&app, &books, &id).await;
    let shown = detail(&app, &books, &id).await;
    assert_eq!(shown["issue_date"], "2026-10-27");
    assert_eq!(shown["due_date"], "2026-11-10", "still net 14");
    assert_eq!(shown["seal_intact"], true);
}

#[tokio::test]
async fn chosen_issue_dates_keep_numbers_in_date_order() {
    let app = TestApp::spawn_at(datetime!(2026-10-20 08:00 UTC)).await;
    let books = books_in_zone(&app, "Europe/Berlin").await;
    let first = draft_dated(&app, &books, "2026-10-15", "").await;
    assert_eq!(issued_number(&app, &books, &first).await, "INV-2026-0001");

    let earlier = draft_dated(&app, &books, "2026-10-10", "").await;
    let refused = issue(&app, &books.cookie, &earlier).await;
    assert_eq!(refused.status(), 422);
    let body = json_of(refused).await.to_string();
    assert!(
        body.contains("issue_date") && body.contains("2026-10-15"),
        "{body}"
    );

    let future = draft_dated(&app, &books, "2026-10-21", "").await;
    let refused = issue(&app, &books.cookie, &future).await;
    assert_eq!(refused.status(), 422);
    assert!(
        json_of(refused)
            .await
            .to_string()
            .contains("later than today")
    );

    // Nothing was numbered by the refusals: the next one is 0002.
    let same_day = draft_dated(&app, &books, "2026-10-15", "").await;
    assert_eq!(
        issued_number(&app, &books, &same_day).await,
        "INV-2026-0002"
    );
}

#[tokio::test]
async fn the_zone_comes_from_the_browser_and_only_owners_change_it() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up_in_zone(&owner_email, "asia/tokyo").await;
    let billing = |cookie: String| {
        let app = &app;
        async move {
            json_of(
                app.call("/api/organization/billing", &[], Some(&cookie))
                    .await,
            )
            .await
        }
    };
    let current = billing(owner.clone()).await;
    assert_eq!(
        current["time_zone"], "Asia/Tokyo",
        "stored by its canonical name"
    );
    assert!(current["time_zones"].as_array().unwrap().len() > 300);

    // A zone the server does not know is UTC, not an error at sign-up.
    let elsewhere = app
        .sign_up_in_zone(&unique_email(), "Mars/Olympus_Mons")
        .await;
    assert_eq!(billing(elsewhere).await["time_zone"], "UTC");

    let save = |cookie: String, zone: &'static str| {
        let app = &app;
        async move {
            app.call(
                "/api/organization/time_zone",
                &[("time_zone", zone)],
                Some(&cookie),
            )
            .await
        }
    };
    let (_, admin) = add_member_as(&app, &owner_email, "admin").await;
    assert_eq!(
        save(admin, "Europe/Paris").await.status(),
        403,
        "owners only"
    );
    let unknown = save(owner.clone(), "Europe/Atlantis").await;
    assert_eq!(unknown.status(), 422);
    assert!(json_of(unknown).await.to_string().contains("time_zone"));
    assert_eq!(
        billing(owner.clone()).await["time_zone"],
        "Asia/Tokyo",
        "nothing written"
    );
    assert_eq!(save(owner.clone(), "Europe/Paris").await.status(), 200);
    assert_eq!(billing(owner).await["time_zone"], "Europe/Paris");
}

#[tokio::test]
async fn a_zone_where_the_last_issue_date_has_not_begun_is_refused() {
    // 2026-11-30 12:00 UTC is already 2026-12-01 on Kiritimati (UTC+14).
    let app = TestApp::spawn_at(datetime!(2026-11-30 12:00 UTC)).await;
    let books = books_in_zone(&app, "Pacific/Kiritimati").await;
    let id = draft_dated(&app, &books, "", "").await;
    issued_number(&app, &books, &id).await;
    assert_eq!(detail(&app, &books, &id).await["issue_date"], "2026-12-01");
    let set = |zone: &'static str| {
        let (app, books) = (&app, &books);
        async move {
            app.call(
                "/api/organization/time_zone",
                &[("time_zone", zone)],
                Some(&books.cookie),
            )
            .await
        }
    };
    // In Pago Pago (UTC-11) it is still 2026-11-30: every issue would be
    // refused until the 1st.
    let refused = set("Pacific/Pago_Pago").await;
    assert_eq!(refused.status(), 422);
    assert!(json_of(refused).await.to_string().contains("2026-12-01"));
    for name in ["localtime", "Factory", "posixrules"] {
        assert_eq!(set(name).await.status(), 422, "{name} is not a place");
    }
    // Tokyo (UTC+9) is still on the 30th too; Tonga (UTC+13) is on the 1st.
    assert_eq!(set("Asia/Tokyo").await.status(), 422);
    assert_eq!(set("Pacific/Tongatapu").await.status(), 200);
}
