//! The permission matrix: every server function over an organization's data
//! (and the two downloads) × every built-in role × three targets, compared
//! with the expected table kept in `server/tests/permission-matrix.md` (the
//! README shows the same table; this test checks that too).
//!
//! Targets: the caller's own organization; another organization's object;
//! and, called by a member of that role limited to one customer, an object
//! of another customer (for data tied to no customer: the organization's
//! own). Each call gets fresh objects, made by the owner beforehand, so one
//! call's effect never decides another's outcome.
//!
//! Outcomes: `ok` (done; for reads, the target is in the answer), `hidden`
//! (done, and the target is not in the answer), an HTTP status (`403`,
//! `404`, `409`, `422`), `—` (the function takes no id that could point
//! elsewhere), `n/a` (owners cannot be limited). `LEAK` or `missing` would
//! be a defect.

use crate::helpers::{TestApp, add_member_as, unique_email};
use crate::invoicing::{Books, books_for, form, json_of, two_lines};
use crate::team::{invite, limit_to, membership_of};
use serde_json::{Value, json};
use std::fmt::Write as _;

const ROLES: [&str; 5] = ["owner", "admin", "accountant", "sales", "viewer"];

const CASES: &[&str] = &[
    "customers/list",
    "customers/get",
    "customers/save (new)",
    "customers/save (change)",
    "customers/archive",
    "tax_rates/list",
    "tax_rates/create",
    "products/list",
    "products/create",
    "products/archive",
    "invoices/list",
    "invoices/status_totals",
    "invoices/get",
    "invoices/save_draft (new)",
    "invoices/save_draft (change)",
    "invoices/delete_draft",
    "invoices/issue",
    "invoices/record_payment",
    "invoices/mark_paid",
    "invoices/mark_unpaid",
    "invoices/void",
    "invoices/credit_note",
    "invoices/send",
    "invoices/issue_and_send",
    "invoices/deliveries",
    "invoices/revoke_links",
    "GET invoice PDF",
    "exports/check",
    "GET export invoices.csv",
    "GET export payments.csv",
    "GET export customers.csv",
    "dashboard/summary",
    "audit/list",
    "audit/verify",
    "security/activity (organization)",
    "organization/settings",
    "organization/second_factor_policy",
    "organization/billing",
    "organization/save_billing",
    "organization/delivery",
    "organization/save_delivery",
    "organization/save_payout",
    "organization/payments",
    "organization/save_payments",
    "reports/list",
    "team/overview",
    "team/invite",
    "team/revoke_invitation",
    "team/change_role",
    "team/set_customers",
    "team/remove",
    "team/transfer_ownership",
    "team/access_report",
    "roles/save (new)",
    "roles/delete",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    OtherOrganization,
    /// Called by the limited member: another customer's object.
    Unlisted,
}

struct Org {
    owner_email: String,
    /// The owner's books: their cookie, a customer and a tax rate.
    books: Books,
}

struct Fixture<'a> {
    app: &'a TestApp,
    own: Org,
    /// The own organization's second customer, outside the limited lists.
    unlisted: Books,
    other: Org,
}

struct Caller {
    email: String,
    cookie: String,
}

fn status(response: &reqwest::Response) -> String {
    if response.status().is_success() {
        "ok".into()
    } else {
        response.status().as_u16().to_string()
    }
}

/// Data tied to no customer (products, tax rates, the team): a limited
/// member sees their organization's like anyone.
fn org_wide(target: Target) -> Target {
    match target {
        Target::Unlisted => Target::Own,
        other => other,
    }
}

/// `ok`/`missing` for the own target, `hidden`/`LEAK` for the others.
fn seen(target: Target, visible: bool) -> String {
    match (target == Target::Own, visible) {
        (true, true) => "ok",
        (true, false) => "missing",
        (false, false) => "hidden",
        (false, true) => "LEAK",
    }
    .into()
}

async fn text_of(response: reqwest::Response) -> Result<String, String> {
    if response.status().is_success() {
        Ok(response.text().await.unwrap())
    } else {
        Err(response.status().as_u16().to_string())
    }
}

impl Fixture<'_> {
    /// Whose objects the target is.
    fn books(&self, target: Target) -> &Books {
        match target {
            Target::Own => &self.own.books,
            Target::Unlisted => &self.unlisted,
            Target::OtherOrganization => &self.other.books,
        }
    }

    /// For data tied to no customer, the limited member's target is their
    /// own organization's.
    fn org(&self, target: Target) -> &Org {
        match target {
            Target::OtherOrganization => &self.other,
            Target::Own | Target::Unlisted => &self.own,
        }
    }

    async fn id_of(&self, response: reqwest::Response) -> String {
        let status = response.status();
        let value = json_of(response).await;
        value
            .as_str()
            .map(str::to_owned)
            .or_else(|| value["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("{status}: {value}"))
    }

    async fn customer(&self, books: &Books) -> String {
        self.named_customer(books).await.0
    }

    /// A fresh customer with a name no other organization uses: (id, name).
    async fn named_customer(&self, books: &Books) -> (String, String) {
        let name = format!("Customer {}", uuid::Uuid::new_v4().simple());
        let made = self
            .app
            .call(
                "/api/customers/save",
                &[("name", &name), ("currency", "EUR")],
                Some(&books.cookie),
            )
            .await;
        (self.id_of(made).await, name)
    }

    async fn draft(&self, books: &Books) -> String {
        let saved = self
            .app
            .call_json(
                "/api/invoices/save_draft",
                &json!({ "id": null, "form": form(books, two_lines(books)) }),
                Some(&books.cookie),
            )
            .await;
        self.id_of(saved).await
    }

    async fn issued(&self, books: &Books) -> String {
        let id = self.draft(books).await;
        let issued = self
            .app
            .call("/api/invoices/issue", &[("id", &id)], Some(&books.cookie))
            .await;
        assert!(issued.status().is_success());
        id
    }

    async fn paid(&self, books: &Books) -> String {
        let id = self.issued(books).await;
        let paid = self
            .app
            .call(
                "/api/invoices/mark_paid",
                &[("id", &id)],
                Some(&books.cookie),
            )
            .await;
        assert!(paid.status().is_success());
        id
    }

    /// The id of the payment on invoice `id`.
    async fn payment_of(&self, id: &str) -> String {
        use ledgerlock_app::ssr::entities::payment;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        payment::Entity::find()
            .filter(payment::Column::InvoiceId.eq(id.parse::<uuid::Uuid>().unwrap()))
            .one(&self.app.db().await)
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string()
    }

    async fn product(&self, books: &Books) -> String {
        let made = self
            .app
            .call(
                "/api/products/create",
                &[
                    ("name", "Audit day"),
                    ("unit_price", "800"),
                    ("currency", "EUR"),
                ],
                Some(&books.cookie),
            )
            .await;
        self.id_of(made).await
    }

    async fn tax_rate(&self, books: &Books) -> String {
        let made = self
            .app
            .call(
                "/api/tax_rates/create",
                &[("name", "Reduced"), ("percent", "7")],
                Some(&books.cookie),
            )
            .await;
        self.id_of(made).await
    }

    /// A fresh viewer in the organization: (membership id, email, cookie).
    async fn member(&self, org: &Org) -> (String, String, String) {
        let (email, cookie) = add_member_as(self.app, &org.owner_email, "viewer").await;
        let id = membership_of(self.app, &org.books.cookie, &email).await;
        (id, email, cookie)
    }

    async fn invitation(&self, org: &Org) -> String {
        let sent = invite(self.app, &org.books.cookie, &unique_email(), "viewer", &[]).await;
        self.id_of(sent).await
    }

    async fn role(&self, org: &Org) -> String {
        let made = self
            .app
            .call_json(
                "/api/roles/save",
                &json!({
                    "id": null,
                    "name": format!("Role {}", uuid::Uuid::new_v4().simple()),
                    "permissions": ["invoices.read"],
                }),
                Some(&org.books.cookie),
            )
            .await;
        self.id_of(made).await
    }

    async fn post(&self, caller: &Caller, endpoint: &str, form: &[(&str, &str)]) -> String {
        status(&self.app.call(endpoint, form, Some(&caller.cookie)).await)
    }

    async fn post_json(&self, caller: &Caller, endpoint: &str, body: Value) -> String {
        status(
            &self
                .app
                .call_json(endpoint, &body, Some(&caller.cookie))
                .await,
        )
    }

    /// A read whose answer should (own) or should not (others) mention `probe`.
    async fn read(&self, target: Target, answer: reqwest::Response, probe: &str) -> String {
        match text_of(answer).await {
            Ok(text) => seen(target, text.contains(probe)),
            Err(status) => status,
        }
    }

    /// One call of `case` by `caller` against `target`.
    async fn run(&self, case: &str, caller: &Caller, target: Target) -> String {
        let app = self.app;
        let books = self.books(target);
        let org = self.org(target);
        let cross = target == Target::OtherOrganization;
        match case {
            "customers/list" => {
                let id = self.customer(books).await;
                let answer = app
                    .call("/api/customers/list", &[], Some(&caller.cookie))
                    .await;
                self.read(target, answer, &id).await
            }
            "customers/get" => {
                let id = self.customer(books).await;
                self.post(caller, "/api/customers/get", &[("id", &id)])
                    .await
            }
            "customers/save (new)" if !cross => {
                let name = format!("New {}", uuid::Uuid::new_v4().simple());
                self.post(
                    caller,
                    "/api/customers/save",
                    &[("name", &name), ("currency", "EUR")],
                )
                .await
            }
            "customers/save (change)" => {
                let id = self.customer(books).await;
                self.post(
                    caller,
                    "/api/customers/save",
                    &[("id", &id), ("name", "Renamed"), ("currency", "EUR")],
                )
                .await
            }
            "customers/archive" => {
                let id = self.customer(books).await;
                self.post(
                    caller,
                    "/api/customers/archive",
                    &[("id", &id), ("archived", "true")],
                )
                .await
            }
            "tax_rates/list" => {
                let id = self.tax_rate(&org.books).await;
                let answer = app
                    .call("/api/tax_rates/list", &[], Some(&caller.cookie))
                    .await;
                self.read(org_wide(target), answer, &id).await
            }
            "tax_rates/create" if !cross => {
                self.post(
                    caller,
                    "/api/tax_rates/create",
                    &[("name", "Zero"), ("percent", "0")],
                )
                .await
            }
            "products/list" => {
                let id = self.product(&org.books).await;
                let answer = app
                    .call("/api/products/list", &[], Some(&caller.cookie))
                    .await;
                self.read(org_wide(target), answer, &id).await
            }
            "products/create" if !cross => {
                self.post(
                    caller,
                    "/api/products/create",
                    &[
                        ("name", "Workshop"),
                        ("unit_price", "90"),
                        ("currency", "EUR"),
                    ],
                )
                .await
            }
            "products/archive" => {
                let id = self.product(&org.books).await;
                self.post(
                    caller,
                    "/api/products/archive",
                    &[("id", &id), ("archived", "true")],
                )
                .await
            }
            "invoices/list" => {
                let id = self.issued(books).await;
                let answer = app
                    .call_json(
                        "/api/invoices/list",
                        &json!({ "filter": {} }),
                        Some(&caller.cookie),
                    )
                    .await;
                self.read(target, answer, &id).await
            }
            "invoices/status_totals" if !cross => {
                self.issued(books).await;
                let count = |answer: Value| -> u64 {
                    answer
                        .as_array()
                        .map(|totals| {
                            totals
                                .iter()
                                .map(|t| t["count"].as_u64().unwrap_or(0))
                                .sum()
                        })
                        .unwrap_or(0)
                };
                let body = json!({ "filter": {} });
                let answer = app
                    .call_json("/api/invoices/status_totals", &body, Some(&caller.cookie))
                    .await;
                if !answer.status().is_success() {
                    return status(&answer);
                }
                let theirs = count(json_of(answer).await);
                let owners = count(
                    json_of(
                        app.call_json(
                            "/api/invoices/status_totals",
                            &body,
                            Some(&self.own.books.cookie),
                        )
                        .await,
                    )
                    .await,
                );
                // The owner counts every invoice; a limited member fewer.
                seen(target, theirs == owners)
            }
            "invoices/get" => {
                let id = self.issued(books).await;
                self.post(caller, "/api/invoices/get", &[("id", &id)]).await
            }
            "invoices/save_draft (new)" => {
                // A draft for the target's customer.
                let body = json!({ "id": null, "form": form(books, two_lines(books)) });
                self.post_json(caller, "/api/invoices/save_draft", body)
                    .await
            }
            "invoices/save_draft (change)" => {
                let id = self.draft(books).await;
                let own = &self.own.books;
                let body = json!({ "id": id, "form": form(own, two_lines(own)) });
                self.post_json(caller, "/api/invoices/save_draft", body)
                    .await
            }
            "invoices/delete_draft" => {
                let id = self.draft(books).await;
                self.post(caller, "/api/invoices/delete_draft", &[("id", &id)])
                    .await
            }
            "invoices/issue" => {
                let id = self.draft(books).await;
                self.post(caller, "/api/invoices/issue", &[("id", &id)])
                    .await
            }
            "invoices/record_payment" => {
                let id = self.issued(books).await;
                self.post(
                    caller,
                    "/api/invoices/record_payment",
                    &[("id", &id), ("paid_on", "2026-11-20"), ("amount", "1.00")],
                )
                .await
            }
            "invoices/mark_paid" => {
                let id = self.issued(books).await;
                self.post(caller, "/api/invoices/mark_paid", &[("id", &id)])
                    .await
            }
            "invoices/mark_unpaid" => {
                let id = self.paid(books).await;
                self.post(caller, "/api/invoices/mark_unpaid", &[("id", &id)])
                    .await
            }
            "invoices/void" => {
                let id = self.issued(books).await;
                self.post(
                    caller,
                    "/api/invoices/void",
                    &[("id", &id), ("reason", "Duplicate")],
                )
                .await
            }
            "invoices/credit_note" => {
                let id = self.issued(books).await;
                self.post(caller, "/api/invoices/credit_note", &[("id", &id)])
                    .await
            }
            "invoices/send" => {
                let id = self.issued(books).await;
                self.post(
                    caller,
                    "/api/invoices/send",
                    &[("id", &id), ("recipients", "ap@omega.example")],
                )
                .await
            }
            "invoices/issue_and_send" => {
                let id = self.draft(books).await;
                self.post(
                    caller,
                    "/api/invoices/issue_and_send",
                    &[("id", &id), ("recipients", "ap@omega.example")],
                )
                .await
            }
            "invoices/deliveries" => {
                let id = self.issued(books).await;
                self.post(caller, "/api/invoices/deliveries", &[("id", &id)])
                    .await
            }
            "invoices/revoke_links" => {
                let id = self.issued(books).await;
                self.post(caller, "/api/invoices/revoke_links", &[("id", &id)])
                    .await
            }
            "GET invoice PDF" => {
                let id = self.issued(books).await;
                status(
                    &app.get(&format!("/app/invoices/{id}/pdf"), Some(&caller.cookie))
                        .await,
                )
            }
            "exports/check" if !cross => self.post(caller, "/api/exports/check", &[]).await,
            "GET export invoices.csv" => {
                // Invoice numbers repeat across organizations: a customer's
                // name made for this call does not.
                let (customer, name) = self.named_customer(books).await;
                let for_customer = Books {
                    cookie: books.cookie.clone(),
                    customer,
                    vat: books.vat.clone(),
                };
                self.issued(&for_customer).await;
                let answer = app
                    .get("/app/export/invoices.csv", Some(&caller.cookie))
                    .await;
                self.read(target, answer, &name).await
            }
            "GET export payments.csv" => {
                let id = self.paid(books).await;
                let payment = self.payment_of(&id).await;
                let answer = app
                    .get("/app/export/payments.csv", Some(&caller.cookie))
                    .await;
                self.read(target, answer, &payment).await
            }
            "GET export customers.csv" => {
                let id = self.customer(books).await;
                let answer = app
                    .get("/app/export/customers.csv", Some(&caller.cookie))
                    .await;
                self.read(target, answer, &id).await
            }
            "dashboard/summary" if !cross => {
                self.issued(books).await;
                let outstanding = |answer: Value| -> String {
                    answer["money"][0]["outstanding"]
                        .as_str()
                        .unwrap_or("0")
                        .to_owned()
                };
                let answer = app
                    .call("/api/dashboard/summary", &[], Some(&caller.cookie))
                    .await;
                if !answer.status().is_success() {
                    return status(&answer);
                }
                let theirs = outstanding(json_of(answer).await);
                let owners = outstanding(
                    json_of(
                        app.call("/api/dashboard/summary", &[], Some(&self.own.books.cookie))
                            .await,
                    )
                    .await,
                );
                seen(target, theirs == owners)
            }
            "audit/list" => {
                let id = self.customer(books).await;
                let answer = app.call("/api/audit/list", &[], Some(&caller.cookie)).await;
                self.read(target, answer, &id).await
            }
            "audit/verify" if !cross => self.post(caller, "/api/audit/verify", &[]).await,
            "security/activity (organization)" if !cross => {
                self.post(
                    caller,
                    "/api/security/activity",
                    &[("organization", "true")],
                )
                .await
            }
            "organization/settings" if !cross => {
                self.post(caller, "/api/organization/settings", &[]).await
            }
            "organization/second_factor_policy" if !cross => {
                self.post(
                    caller,
                    "/api/organization/second_factor_policy",
                    &[("required", "false")],
                )
                .await
            }
            "organization/billing" if !cross => {
                self.post(caller, "/api/organization/billing", &[]).await
            }
            "organization/save_billing" if !cross => {
                self.post(
                    caller,
                    "/api/organization/save_billing",
                    &[
                        ("invoice_number_format", "INV-{YYYY}-{0000}"),
                        ("credit_note_number_format", "CN-{YYYY}-{0000}"),
                    ],
                )
                .await
            }
            "organization/delivery" if !cross => {
                self.post(caller, "/api/organization/delivery", &[]).await
            }
            "organization/save_delivery" if !cross => {
                self.post(
                    caller,
                    "/api/organization/save_delivery",
                    &[("link_days_after_due", "30"), ("link_max_days", "120")],
                )
                .await
            }
            "organization/save_payout" if !cross => {
                self.post(
                    caller,
                    "/api/organization/save_payout",
                    &[
                        ("bank_holder", "Alpha Books"),
                        ("bank_iban", "DE44500105175407324931"),
                    ],
                )
                .await
            }
            "organization/payments" if !cross => {
                self.post(caller, "/api/organization/payments", &[]).await
            }
            "organization/save_payments" if !cross => {
                self.post(
                    caller,
                    "/api/organization/save_payments",
                    &[("partial_payments", "true"), ("partial_minimum", "5")],
                )
                .await
            }
            "reports/list" if !cross => self.post(caller, "/api/reports/list", &[]).await,
            "team/overview" => {
                let (_, email, _) = self.member(org).await;
                let answer = app
                    .call("/api/team/overview", &[], Some(&caller.cookie))
                    .await;
                self.read(org_wide(target), answer, &email).await
            }
            "team/invite" if !cross => {
                let sent = invite(app, &caller.cookie, &unique_email(), "viewer", &[]).await;
                status(&sent)
            }
            "team/revoke_invitation" => {
                let id = self.invitation(org).await;
                self.post(caller, "/api/team/revoke_invitation", &[("id", &id)])
                    .await
            }
            "team/change_role" => {
                let (id, _, _) = self.member(org).await;
                self.post(
                    caller,
                    "/api/team/change_role",
                    &[("membership_id", &id), ("role", "sales")],
                )
                .await
            }
            "team/set_customers" => {
                let (id, _, _) = self.member(org).await;
                let listed = org.books.customer.clone();
                status(&limit_to(app, &caller.cookie, &id, &[&listed]).await)
            }
            "team/remove" => {
                let (id, _, _) = self.member(org).await;
                self.post(caller, "/api/team/remove", &[("membership_id", &id)])
                    .await
            }
            "team/transfer_ownership" => {
                let (id, _, successor) = self.member(org).await;
                let outcome = self
                    .post(
                        caller,
                        "/api/team/transfer_ownership",
                        &[("membership_id", &id)],
                    )
                    .await;
                if outcome == "ok" {
                    // Hand it back, so the caller is an owner for the next case.
                    let back = membership_of(app, &successor, &caller.email).await;
                    let returned = app
                        .call(
                            "/api/team/transfer_ownership",
                            &[("membership_id", &back)],
                            Some(&successor),
                        )
                        .await;
                    assert!(returned.status().is_success());
                }
                outcome
            }
            "team/access_report" => {
                let id = self.customer(books).await;
                self.post(caller, "/api/team/access_report", &[("customer_id", &id)])
                    .await
            }
            "roles/save (new)" if !cross => {
                let body = json!({
                    "id": null,
                    "name": format!("Role {}", uuid::Uuid::new_v4().simple()),
                    "permissions": ["invoices.read"],
                });
                self.post_json(caller, "/api/roles/save", body).await
            }
            "roles/delete" => {
                let id = self.role(org).await;
                self.post(caller, "/api/roles/delete", &[("id", &id)]).await
            }
            _ => "—".into(),
        }
    }
}

async fn organization(app: &TestApp) -> Org {
    let owner_email = unique_email();
    let cookie = app.sign_up(&owner_email).await;
    Org {
        books: books_for(app, cookie).await,
        owner_email,
    }
}

/// The table as the expected file and the README hold it.
fn render(rows: &[(String, Vec<String>)]) -> String {
    let mut table =
        String::from("| server function | Owner | Admin | Accountant | Sales | Viewer |\n");
    table.push_str("|---|---|---|---|---|---|\n");
    for (case, cells) in rows {
        let _ = writeln!(table, "| `{case}` | {} |", cells.join(" | "));
    }
    table
}

#[tokio::test]
async fn every_function_for_every_role_matches_the_expected_table() {
    // Many sign-ups from one address: lift the per-address limit.
    let app = TestApp::spawn_with(&[
        ("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "100000"),
        ("LEDGERLOCK_INVITATIONS_PER_ORGANIZATION_PER_DAY", "100000"),
    ])
    .await;
    let own = organization(&app).await;
    let other = organization(&app).await;
    let unlisted_customer = {
        let made = app
            .call(
                "/api/customers/save",
                &[("name", "Unlisted Holdings"), ("currency", "EUR")],
                Some(&own.books.cookie),
            )
            .await;
        json_of(made).await.as_str().unwrap().to_owned()
    };
    let unlisted = Books {
        cookie: own.books.cookie.clone(),
        customer: unlisted_customer,
        vat: own.books.vat.clone(),
    };
    let fixture = Fixture {
        app: &app,
        own,
        unlisted,
        other,
    };
    let mut members = Vec::new();
    for role in ROLES {
        let (email, cookie) = add_member_as(&app, &fixture.own.owner_email, role).await;
        let full = Caller { email, cookie };
        let limited = if role == "owner" {
            None
        } else {
            let (email, cookie) = add_member_as(&app, &fixture.own.owner_email, role).await;
            let id = membership_of(&app, &fixture.own.books.cookie, &email).await;
            let listed = fixture.own.books.customer.clone();
            let limited = limit_to(&app, &fixture.own.books.cookie, &id, &[&listed]).await;
            assert!(limited.status().is_success());
            Some(Caller { email, cookie })
        };
        members.push((full, limited));
    }

    let mut rows = Vec::new();
    for case in CASES {
        let mut cells = Vec::new();
        for (full, limited) in &members {
            let own = fixture.run(case, full, Target::Own).await;
            let other = fixture.run(case, full, Target::OtherOrganization).await;
            let limited = match limited {
                Some(limited) => fixture.run(case, limited, Target::Unlisted).await,
                None => "n/a".into(),
            };
            cells.push(format!("{own} · {other} · {limited}"));
        }
        rows.push((case.to_string(), cells));
    }
    let actual = render(&rows);

    let expected_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/permission-matrix.md");
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    let actual_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/permission-matrix.actual.md"
    );
    std::fs::write(actual_path, &actual).unwrap();
    let differences: Vec<String> = expected
        .lines()
        .zip(actual.lines())
        .filter(|(expected, actual)| expected != actual)
        .map(|(expected, actual)| format!("expected {expected}\n     got {actual}"))
        .collect();
    assert!(
        differences.is_empty() && expected.lines().count() == actual.lines().count(),
        "unexpected outcomes (whole table in target/permission-matrix.actual.md):\n{}",
        differences.join("\n")
    );
    assert!(!actual.contains("LEAK") && !actual.contains("missing"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    assert!(
        readme.contains(&expected),
        "the README shows the expected table"
    );
}
