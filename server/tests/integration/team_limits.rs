//! Issue 6, customer limits: a member limited to some customers against
//! every read and write path, and the access report of who can see a
//! customer and who did (split from `team.rs`).

use crate::helpers::{TestApp, add_member_as, unique_email};
use crate::invoicing::{Books, add_customer, draft, form, get, issue, json_of, two_lines};
use crate::team::{limit_to, membership_of, open_books_as, security_kinds};
use serde_json::{Value, json};

/// An owner's books with two customers, each with an issued invoice, and an
/// accountant limited to the first customer.
pub(crate) struct Limited {
    pub(crate) books: Books,
    pub(crate) listed_invoice: String,
    pub(crate) unlisted_customer: String,
    pub(crate) unlisted_invoice: String,
    pub(crate) member: String,
    pub(crate) membership_id: String,
}

pub(crate) async fn limited_member(app: &TestApp, role: &str) -> Limited {
    let owner_email = unique_email();
    let books = open_books_as(app, &owner_email).await;
    let listed_invoice = draft(app, &books).await;
    assert_eq!(
        issue(app, &books.cookie, &listed_invoice).await.status(),
        200
    );
    let unlisted_customer = add_customer(app, &books.cookie, "Zebra Secret Ltd", "EUR").await;
    let other = Books {
        cookie: books.cookie.clone(),
        customer: unlisted_customer.clone(),
        vat: books.vat.clone(),
    };
    let unlisted_invoice = draft(app, &other).await;
    assert_eq!(
        issue(app, &books.cookie, &unlisted_invoice).await.status(),
        200
    );
    let (email, member) = add_member_as(app, &owner_email, role).await;
    let membership_id = membership_of(app, &books.cookie, &email).await;
    let limited = limit_to(app, &books.cookie, &membership_id, &[&books.customer]).await;
    assert_eq!(limited.status(), 200);
    Limited {
        books,
        listed_invoice,
        unlisted_customer,
        unlisted_invoice,
        member,
        membership_id,
    }
}

#[tokio::test]
async fn a_limited_member_cannot_reach_an_unlisted_customer() {
    let app = TestApp::spawn().await;
    let setup = limited_member(&app, "accountant").await;
    let member = &setup.member;
    let owner = &setup.books.cookie;

    let listed = json_of(app.call("/api/customers/list", &[], Some(member)).await).await;
    let names: Vec<&str> = listed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ωmega Trading GmbH"]);
    let searched = json_of(
        app.call("/api/customers/list", &[("query", "zeb")], Some(member))
            .await,
    )
    .await;
    assert!(searched["rows"].as_array().unwrap().is_empty(), "search");
    let by_id = app
        .call(
            "/api/customers/get",
            &[("id", &setup.unlisted_customer)],
            Some(member),
        )
        .await;
    assert_eq!(by_id.status(), 404, "by id: as if it did not exist");

    let invoices = app
        .call_json("/api/invoices/list", &json!({ "filter": {} }), Some(member))
        .await;
    let invoices = json_of(invoices).await;
    let ids: Vec<&str> = invoices["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [setup.listed_invoice.as_str()]);
    let by_name = app
        .call_json(
            "/api/invoices/list",
            &json!({ "filter": { "query": "Zebra" } }),
            Some(member),
        )
        .await;
    assert!(
        json_of(by_name).await["rows"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let invoice = app
        .call(
            "/api/invoices/get",
            &[("id", &setup.unlisted_invoice)],
            Some(member),
        )
        .await;
    assert_eq!(invoice.status(), 404);
    let pay = app
        .call(
            "/api/invoices/mark_paid",
            &[("id", &setup.unlisted_invoice)],
            Some(member),
        )
        .await;
    assert_eq!(pay.status(), 404, "writes too");
    let pdf = app
        .get(
            &format!("/app/invoices/{}/pdf", setup.unlisted_invoice),
            Some(member),
        )
        .await;
    assert_eq!(pdf.status(), 404, "PDF");
    let listed_pdf = app
        .get(
            &format!("/app/invoices/{}/pdf", setup.listed_invoice),
            Some(member),
        )
        .await;
    assert_eq!(listed_pdf.status(), 200);
    let new_draft = app
        .call_json(
            "/api/invoices/save_draft",
            &json!({ "id": null, "form": form(&Books {
                cookie: String::new(),
                customer: setup.unlisted_customer.clone(),
                vat: setup.books.vat.clone(),
            }, two_lines(&setup.books)) }),
            Some(member),
        )
        .await;
    assert_eq!(
        new_draft.status(),
        422,
        "no drafts for an unlisted customer"
    );

    let owner_view = get(&app, owner, &setup.unlisted_invoice).await;
    let secret_number = owner_view["number"].as_str().unwrap().to_owned();
    let listed_number = get(&app, owner, &setup.listed_invoice).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    for file in ["invoices", "payments", "customers"] {
        let export = app
            .get(&format!("/app/export/{file}.csv"), Some(member))
            .await;
        assert_eq!(export.status(), 200, "{file}");
        let text = export.text().await.unwrap();
        assert!(!text.contains("Zebra"), "{file}: {text}");
        assert!(!text.contains(&secret_number), "{file}: {text}");
        if file == "invoices" {
            assert!(text.contains(&listed_number), "{text}");
        }
    }

    let dashboard = json_of(app.call("/api/dashboard/summary", &[], Some(member)).await).await;
    let owner_dashboard = json_of(app.call("/api/dashboard/summary", &[], Some(owner)).await).await;
    let outstanding = |figures: &Value| {
        figures["money"][0]["outstanding"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(outstanding(&dashboard), outstanding(&owner_dashboard));
    assert_eq!(
        outstanding(&dashboard),
        owner_view["total"].as_str().unwrap(),
        "each customer owes one invoice of the same total: the member sees one"
    );
    let totals = app
        .call_json(
            "/api/invoices/status_totals",
            &json!({ "filter": {} }),
            Some(member),
        )
        .await;
    let totals = json_of(totals).await;
    let counted: u64 = totals
        .as_array()
        .unwrap()
        .iter()
        .map(|total| total["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 1);

    let audit = json_of(app.call("/api/audit/list", &[], Some(member)).await).await;
    for event in audit["events"].as_array().unwrap() {
        assert!(
            !event["summary"].as_str().unwrap().contains("Zebra")
                && event["object_id"] != setup.unlisted_invoice.as_str()
                && event["object_id"] != setup.unlisted_customer.as_str(),
            "{event}"
        );
    }
    assert!(!audit["events"].as_array().unwrap().is_empty());
    let verify = app.call("/api/audit/verify", &[], Some(member)).await;
    assert_eq!(
        verify.status(),
        403,
        "the whole chain is not theirs to walk"
    );
    assert_eq!(
        app.call("/api/team/overview", &[], Some(member))
            .await
            .status(),
        403
    );

    // A customer the member creates stays within their reach.
    let created = app
        .call(
            "/api/customers/save",
            &[("name", "Fresh Start Oy"), ("currency", "EUR")],
            Some(member),
        )
        .await;
    let created = json_of(created).await.as_str().unwrap().to_owned();
    assert_eq!(
        app.call("/api/customers/get", &[("id", &created)], Some(member))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_access_report_names_who_can_see_a_customer_and_who_did() {
    let app = TestApp::spawn().await;
    let setup = limited_member(&app, "sales").await;
    let owner = &setup.books.cookie;
    let report = |customer: String| {
        let app = &app;
        async move {
            json_of(
                app.call(
                    "/api/team/access_report",
                    &[("customer_id", &customer)],
                    Some(owner),
                )
                .await,
            )
            .await
        }
    };
    let pdf = app
        .get(
            &format!("/app/invoices/{}/pdf", setup.listed_invoice),
            Some(&setup.member),
        )
        .await;
    assert_eq!(pdf.status(), 200);
    let listed = report(setup.books.customer.clone()).await;
    let unlisted = report(setup.unlisted_customer.clone()).await;
    // The member's copy of the document is on record for its customer.
    assert_eq!(
        listed["activity"][0]["action"], "document.downloaded",
        "{listed}"
    );
    let reaches = |report: &Value| {
        let mut reaches = report["can_see"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["reach"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        reaches.sort();
        reaches
    };
    assert_eq!(reaches(&listed), ["every customer", "listed"]);
    assert_eq!(reaches(&unlisted), ["every customer"]);
    let did: Vec<&str> = unlisted["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["action"].as_str().unwrap())
        .collect();
    assert!(did.contains(&"invoice.issued"), "{did:?}");
    assert!(did.contains(&"customer.created"), "{did:?}");
    assert_eq!(unlisted["activity"][0]["who"], "Ana López");

    let lifted = app
        .call_json(
            "/api/team/set_customers",
            &json!({ "membership_id": setup.membership_id, "limit": { "limited": false, "customer_ids": [] } }),
            Some(owner),
        )
        .await;
    assert_eq!(lifted.status(), 200);
    assert_eq!(
        app.call(
            "/api/invoices/get",
            &[("id", &setup.unlisted_invoice)],
            Some(&setup.member)
        )
        .await
        .status(),
        200,
        "lifting the limit applies at once too"
    );
    assert!(
        security_kinds(&app)
            .await
            .contains(&"member_customers_changed".to_owned())
    );
}
