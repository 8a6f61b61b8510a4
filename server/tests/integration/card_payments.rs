//! Issue 15: customers pay by card through Stripe. The Stripe API is the
//! `localstripe` emulator (PyPI), started by `.ci/localstripe.sh` on
//! loopback; `LEDGERLOCK_TEST_STRIPE_URL` says where (the tests fail, never
//! skip, when it is not there). The browser's part (Stripe.js confirming
//! the card with the emulator) is done here with the same calls.
//!
//! localstripe sends `payment_intent.*` webhooks itself; it never sends
//! `charge.refunded`, so the refund test delivers that event, built from
//! the emulator's own charge and signed as Stripe signs.

use crate::helpers::{TestApp, captured_logs, unique_email};
use crate::invoicing::{Books, get, json_of, open_books};
use crate::portal::sent_to;
use ledgerlock_app::ssr::stripe::sign;
use serde_json::{Value, json};
use uuid::Uuid;

fn stripe_url() -> String {
    std::env::var("LEDGERLOCK_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into())
}

async fn spawn() -> TestApp {
    let url = stripe_url();
    let reachable = reqwest::get(format!("{url}/js.stripe.com/v3/")).await;
    assert!(
        reachable.is_ok_and(|answer| answer.status().is_success()),
        "localstripe is not running at {url}: start it with `bash .ci/localstripe.sh` (make test does)"
    );
    TestApp::spawn_with(&[
        ("LEDGERLOCK_STRIPE_API_URL", url.as_str()),
        (
            "LEDGERLOCK_STRIPE_JS_URL",
            &format!("{url}/js.stripe.com/v3/"),
        ),
    ])
    .await
}

/// An organization with Stripe connected, an invoice sent to a customer
/// contact, and that contact's link.
pub(crate) struct Shop {
    pub(crate) app: TestApp,
    pub(crate) books: Books,
    pub(crate) owner: String,
    pub(crate) invoice: String,
    pub(crate) number: String,
    pub(crate) token: String,
    pub(crate) secret_key: String,
    pub(crate) webhook_secret: String,
}

const CONTACT: &str = "ap@omega.example";

pub(crate) async fn open_shop(partial: Option<&str>, register_webhook: bool) -> Shop {
    let app = spawn().await;
    let owner = unique_email();
    let cookie = app.sign_up(&owner).await;
    let books = crate::invoicing::books_for(&app, cookie).await;
    let secret_key = format!("sk_test_{}", Uuid::new_v4().simple());
    let webhook_secret = format!("whsec_{}", Uuid::new_v4().simple());
    let saved = app
        .call(
            "/api/organization/save_payments",
            &[
                ("publishable_key", "pk_test_ledgerlock"),
                ("secret_key", &secret_key),
                ("webhook_secret", &webhook_secret),
                (
                    "partial_payments",
                    if partial.is_some() { "true" } else { "false" },
                ),
                ("partial_minimum", partial.unwrap_or("0")),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    if register_webhook {
        let registered = reqwest::Client::new()
            .post(format!(
                "{}/_config/webhooks/{}",
                stripe_url(),
                Uuid::new_v4().simple()
            ))
            .form(&[
                ("url", app.url("/webhooks/stripe")),
                ("secret", webhook_secret.clone()),
            ])
            .send()
            .await
            .unwrap();
        assert!(registered.status().is_success());
    }
    let (invoice, number, token) = sent_to(&app, &books, CONTACT).await;
    Shop {
        app,
        books,
        owner,
        invoice,
        number,
        token,
        secret_key,
        webhook_secret,
    }
}

impl Shop {
    pub(crate) async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(&format!("/portal/d/{}/pay{path}", self.token)))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// Starts an attempt and confirms `card` with the emulator as Stripe.js
    /// would; answers the attempt's id.
    pub(crate) async fn card_entered(&self, card: &str) -> String {
        let started = self.post("/start", &json!({})).await;
        assert_eq!(started.status(), 200, "{}", started.text().await.unwrap());
        let started: Value = json_of(started).await;
        let client_secret = started["client_secret"].as_str().unwrap();
        let setup = client_secret.split("_secret_").next().unwrap();
        let confirmed = reqwest::Client::new()
            .post(format!("{}/v1/setup_intents/{setup}/confirm", stripe_url()))
            .header("content-type", "application/json")
            .body(json!({
                "key": "pk_test_ledgerlock",
                "use_stripe_sdk": true,
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": card, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                },
            }).to_string())
            .send()
            .await
            .unwrap();
        assert!(
            confirmed.status().is_success(),
            "{}",
            confirmed.text().await.unwrap()
        );
        started["attempt"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn confirm(&self, attempt: &str, amount: &str) -> reqwest::Response {
        self.post("/confirm", &json!({"attempt": attempt, "amount": amount}))
            .await
    }

    pub(crate) async fn status(&self, attempt: &str) -> Value {
        json_of(
            self.app
                .get(
                    &format!("/portal/d/{}/pay/status?attempt={attempt}", self.token),
                    None,
                )
                .await,
        )
        .await
    }

    pub(crate) async fn wait_for(&self, attempt: &str, wanted: &str) -> Value {
        for _ in 0..100 {
            let now = self.status(attempt).await;
            if now["status"] == wanted {
                return now;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "attempt {attempt} never reached {wanted}: {}",
            self.status(attempt).await
        );
    }

    pub(crate) async fn invoice(&self) -> Value {
        get(&self.app, &self.books.cookie, &self.invoice).await
    }

    /// The emulator's PaymentIntent of a confirmed attempt.
    pub(crate) async fn intent(&self, attempt: &str) -> Value {
        let db = self.app.db().await;
        use ledgerlock_app::ssr::entities::card_payment;
        use sea_orm::EntityTrait;
        let row = card_payment::Entity::find_by_id(attempt.parse::<Uuid>().unwrap())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let id = row.payment_intent_id.unwrap();
        json_of(
            reqwest::Client::new()
                .get(format!("{}/v1/payment_intents/{id}", stripe_url()))
                .bearer_auth(&self.secret_key)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Delivers `event` to the webhook, signed with `secret` at `at`.
    pub(crate) async fn deliver(&self, event: &Value, secret: &str, at: i64) -> reqwest::Response {
        let payload = event.to_string();
        self.app
            .client
            .post(self.app.url("/webhooks/stripe"))
            .header("stripe-signature", sign(payload.as_bytes(), secret, at))
            .header("content-type", "application/json")
            .body(payload)
            .send()
            .await
            .unwrap()
    }
}

pub(crate) fn event(id: &str, kind: &str, object: &Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "data": {"object": object}})
}

pub(crate) fn paid_of(invoice: &Value) -> f64 {
    invoice["paid"].as_str().unwrap().parse().unwrap()
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn a_customer_pays_by_card_and_the_webhook_records_it_once_with_a_receipt() {
    let shop = open_shop(None, true).await;
    let page = shop
        .app
        .get(&format!("/portal/d/{}", shop.token), None)
        .await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("/portal/d/{}/pay", shop.token)),
        "the document offers card payment"
    );

    let pay_page = shop
        .app
        .get(&format!("/portal/d/{}/pay", shop.token), None)
        .await;
    let policy = pay_page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains(&format!("script-src 'self' {}", stripe_url())),
        "{policy}"
    );
    assert!(!policy.contains("unsafe-inline"));
    let html = pay_page.text().await.unwrap();
    assert!(html.contains("data-key=\"pk_test_ledgerlock\""));
    assert!(!html.contains(&shop.secret_key) && !html.contains(&shop.webhook_secret));
    // The document page itself keeps the strict policy without Stripe.
    let document = shop
        .app
        .get(&format!("/portal/d/{}", shop.token), None)
        .await;
    assert!(
        !document.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&stripe_url())
    );

    let attempt = shop.card_entered("4242424242424242").await;
    let confirmed = shop.confirm(&attempt, "").await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    // The emulator charged what the server computed: the whole balance.
    let balance = shop.invoice().await["balance"].as_str().unwrap().to_owned();
    let intent = shop.intent(&attempt).await;
    assert_eq!(
        intent["amount"],
        json!((balance.parse::<f64>().unwrap() * 100.0).round() as i64)
    );
    assert_eq!(intent["metadata"]["ledgerlock_invoice"], shop.invoice);
    // A second confirmation of the same attempt charges nothing more.
    assert_eq!(shop.confirm(&attempt, "").await.status(), 200);

    shop.wait_for(&attempt, "succeeded").await;
    let invoice = shop.invoice().await;
    assert_eq!(invoice["status"], "Paid");
    assert_eq!(
        invoice["payments"].as_array().unwrap().len(),
        1,
        "recorded once"
    );
    let receipt = shop.app.wait_for_mail(CONTACT, "Receipt").await;
    assert!(receipt.contains(&shop.number));
    shop.app
        .wait_for_mail_where(&shop.owner, |mail| mail.contains("paid by card"))
        .await;
    let audit = json_of(
        shop.app
            .call("/api/audit/list", &[], Some(&shop.books.cookie))
            .await,
    )
    .await;
    assert!(audit.to_string().contains("system: Stripe"), "{audit}");
    // Nothing more to pay: the card form says so.
    let again = shop.post("/start", &json!({})).await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn a_webhook_delivered_at_once_three_times_records_one_payment_and_forgeries_nothing() {
    // No webhook registered with the emulator: this test delivers.
    let shop = open_shop(None, false).await;
    let attempt = shop.card_entered("4242424242424242").await;
    assert_eq!(shop.confirm(&attempt, "").await.status(), 200);
    let intent = shop.intent(&attempt).await;
    let succeeded = event("evt_same", "payment_intent.succeeded", &intent);

    // Forged (another secret), stale (6 minutes old) and tampered deliveries.
    assert_eq!(
        shop.deliver(&succeeded, "whsec_forged", now())
            .await
            .status(),
        400
    );
    assert_eq!(
        shop.deliver(&succeeded, &shop.webhook_secret, now() - 360)
            .await
            .status(),
        400
    );
    let payload = succeeded.to_string();
    let tampered = shop
        .app
        .client
        .post(shop.app.url("/webhooks/stripe"))
        .header(
            "stripe-signature",
            sign(payload.as_bytes(), &shop.webhook_secret, now()),
        )
        .body(payload.replace("evt_same", "evt_other"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 400);
    let unsigned = shop
        .app
        .client
        .post(shop.app.url("/webhooks/stripe"))
        .body(succeeded.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(shop.status(&attempt).await["status"], "processing");
    assert!(
        shop.invoice().await["payments"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing recorded"
    );

    // Three at once, and once more under another event id.
    let (a, b, c) = tokio::join!(
        shop.deliver(&succeeded, &shop.webhook_secret, now()),
        shop.deliver(&succeeded, &shop.webhook_secret, now()),
        shop.deliver(&succeeded, &shop.webhook_secret, now()),
    );
    for answer in [a, b, c] {
        assert_eq!(answer.status(), 200);
    }
    let other = event("evt_again", "payment_intent.succeeded", &intent);
    assert_eq!(
        shop.deliver(&other, &shop.webhook_secret, now())
            .await
            .status(),
        200
    );
    let invoice = shop.invoice().await;
    assert_eq!(
        invoice["payments"].as_array().unwrap().len(),
        1,
        "{invoice}"
    );
    assert_eq!(invoice["status"], "Paid");
    // A failure arriving after the success changes nothing.
    let failed = event("evt_late_failure", "payment_intent.payment_failed", &intent);
    assert_eq!(
        shop.deliver(&failed, &shop.webhook_secret, now())
            .await
            .status(),
        200
    );
    assert_eq!(shop.status(&attempt).await["status"], "succeeded");
}

#[tokio::test]
async fn a_refund_in_stripe_reverses_the_payment_and_a_wrong_amount_is_flagged() {
    let shop = open_shop(None, false).await;
    let attempt = shop.card_entered("4242424242424242").await;
    assert_eq!(shop.confirm(&attempt, "").await.status(), 200);
    let intent = shop.intent(&attempt).await;
    // A refund before the payment is recorded: "later", nothing stored.
    let charge_id = intent["latest_charge"]["id"]
        .as_str()
        .or(intent["latest_charge"].as_str())
        .unwrap()
        .to_owned();
    let refund = reqwest::Client::new()
        .post(format!("{}/v1/refunds", stripe_url()))
        .bearer_auth(&shop.secret_key)
        .form(&[("payment_intent", intent["id"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert!(refund.status().is_success());
    let charge: Value = json_of(
        reqwest::Client::new()
            .get(format!("{}/v1/charges/{charge_id}", stripe_url()))
            .bearer_auth(&shop.secret_key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let refunded = event("evt_refund", "charge.refunded", &charge);
    assert_eq!(
        shop.deliver(&refunded, &shop.webhook_secret, now())
            .await
            .status(),
        409
    );

    let succeeded = event("evt_paid", "payment_intent.succeeded", &intent);
    assert_eq!(
        shop.deliver(&succeeded, &shop.webhook_secret, now())
            .await
            .status(),
        200
    );
    assert_eq!(shop.invoice().await["status"], "Paid");
    // Stripe delivers the refund again: now it reverses, once.
    for _ in 0..2 {
        assert_eq!(
            shop.deliver(&refunded, &shop.webhook_secret, now())
                .await
                .status(),
            200
        );
    }
    let invoice = shop.invoice().await;
    // The test invoice's due date has passed: a balance again, overdue.
    assert_eq!(invoice["status"], "Overdue", "{invoice}");
    assert_eq!(paid_of(&invoice), 0.0);

    // Another attempt whose reported amount differs: flagged, not recorded.
    let shop2 = shop_with_second_attempt(&shop).await;
    let mut wrong = shop.intent(&shop2).await;
    wrong["amount"] = json!(1);
    wrong["amount_received"] = json!(1);
    let flagged = event("evt_wrong", "payment_intent.succeeded", &wrong);
    assert_eq!(
        shop.deliver(&flagged, &shop.webhook_secret, now())
            .await
            .status(),
        200
    );
    assert_eq!(shop.status(&shop2).await["status"], "flagged");
    assert_eq!(paid_of(&shop.invoice().await), 0.0);
    shop.app
        .wait_for_mail_where(&shop.owner, |mail| mail.contains("needs a look"))
        .await;
}

async fn shop_with_second_attempt(shop: &Shop) -> String {
    let attempt = shop.card_entered("4242424242424242").await;
    assert_eq!(shop.confirm(&attempt, "").await.status(), 200);
    attempt
}

#[tokio::test]
async fn part_payments_stay_within_limits_and_the_amount_is_the_servers() {
    let shop = open_shop(Some("5"), true).await;
    let balance: f64 = shop.invoice().await["balance"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let attempt = shop.card_entered("4242424242424242").await;
    for (typed, field) in [
        ("4.99", "amount"),
        (&*format!("{:.2}", balance + 0.01), "amount"),
        ("abc", "amount"),
    ] {
        let refused = shop.confirm(&attempt, typed).await;
        assert_eq!(refused.status(), 422, "{typed}");
        assert_eq!(json_of(refused).await["field"], field);
    }
    // The refusals left the attempt usable; a part within limits is charged.
    let paid = shop.confirm(&attempt, "5.00").await;
    assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
    assert_eq!(shop.intent(&attempt).await["amount"], 500);
    shop.wait_for(&attempt, "succeeded").await;
    let invoice = shop.invoice().await;
    assert_eq!(paid_of(&invoice), 5.0, "{invoice}");

    // Another link's browser cannot see or confirm this attempt.
    let (_, _, other_token) = sent_to(&shop.app, &shop.books, "other@omega.example").await;
    let foreign = shop
        .app
        .client
        .post(
            shop.app
                .url(&format!("/portal/d/{other_token}/pay/confirm")),
        )
        .header("content-type", "application/json")
        .body(json!({"attempt": attempt, "amount": ""}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    // Without partial payments, only the balance.
    let whole = open_shop(None, false).await;
    let attempt = whole.card_entered("4242424242424242").await;
    let refused = whole.confirm(&attempt, "1.00").await;
    assert_eq!(refused.status(), 422);
    // A card that sets up but is declined when charged (the emulator's
    // 4000 0000 0000 0341) says why, and nothing is recorded.
    let declined = whole.card_entered("4000000000000341").await;
    let answer = json_of(whole.confirm(&declined, "").await).await;
    assert_eq!(answer["status"], "failed", "{answer}");
    assert!(
        whole.invoice().await["payments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn stripe_secrets_need_an_owner_and_a_step_up_and_never_come_back() {
    let shop = open_shop(None, false).await;
    let shown = json_of(
        shop.app
            .call("/api/organization/payments", &[], Some(&shop.books.cookie))
            .await,
    )
    .await;
    assert_eq!(shown["publishable_key"], "pk_test_ledgerlock");
    let masked = shown["secret_key"].as_str().unwrap();
    assert!(
        masked.starts_with("sk_test_…") && masked.len() < 16,
        "{masked}"
    );
    let everything = shown.to_string();
    assert!(!everything.contains(&shop.secret_key) && !everything.contains(&shop.webhook_secret));
    shop.app
        .wait_for_mail_where(&shop.owner, |mail| mail.contains("Card payments of"))
        .await;

    // An admin cannot change them; a stale session must confirm first.
    let (_, admin) = crate::helpers::add_member_as(&shop.app, &shop.owner, "admin").await;
    let by_admin = shop
        .app
        .call(
            "/api/organization/save_payments",
            &[("secret_key", "sk_test_admin123456")],
            Some(&admin),
        )
        .await;
    assert_eq!(by_admin.status(), 403);
    crate::helpers::edit_sessions(&shop.app, |auth| auth.confirmed_at = 0).await;
    let stale = shop
        .app
        .call(
            "/api/organization/save_payments",
            &[("secret_key", "sk_test_stale123456")],
            Some(&shop.books.cookie),
        )
        .await;
    assert_eq!(stale.status(), 403);
    assert_eq!(json_of(stale).await, json!("ConfirmationRequired"));
    let wrong = open_books(&shop.app).await;
    let bad = shop
        .app
        .call(
            "/api/organization/save_payments",
            &[("secret_key", "pk_test_notsecret1")],
            Some(&wrong.cookie),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json_of(bad).await["Invalid"]["field"], "secret_key");

    // Not in any log line, export or mail.
    let logs = captured_logs();
    assert!(!logs.contains(&shop.secret_key) && !logs.contains(&shop.webhook_secret));
    for file in ["invoices", "payments", "customers"] {
        let csv = shop
            .app
            .get(&format!("/app/export/{file}.csv"), Some(&shop.books.cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(!csv.contains(&shop.secret_key));
    }
    for mail in shop.app.mail_to(&shop.owner) {
        assert!(!mail.contains(&shop.secret_key) && !mail.contains(&shop.webhook_secret));
    }
}

#[tokio::test]
async fn key_rotation_re_encrypts_every_secret_and_old_ones_decrypt_until_then() {
    use ledgerlock_app::ssr::crypto::SecretBox;
    use ledgerlock_app::ssr::services::secret_keys;
    let shop = open_shop(None, true).await;
    let key_file = shop.app.outbox.parent().unwrap().join("secret.key");
    let db = shop.app.db().await;
    let before = secret_keys::status(&db).await.unwrap();
    assert!(before["k1"] >= 2, "{before:?}");

    assert_eq!(SecretBox::add_key(&key_file).unwrap(), "k2");
    // Until re-encrypted, the old ciphertexts still work (a payment goes through).
    let attempt = shop.card_entered("4242424242424242").await;
    assert_eq!(shop.confirm(&attempt, "").await.status(), 200);
    let keys = SecretBox::load_or_create(&key_file).unwrap();
    let rewritten = secret_keys::reencrypt(&db, &keys, |_, _| {}).await.unwrap();
    assert!(rewritten >= 2);
    let after = secret_keys::status(&db).await.unwrap();
    assert_eq!(after.keys().collect::<Vec<_>>(), ["k2"], "{after:?}");
    // Resumed, it finds nothing left to do.
    assert_eq!(
        secret_keys::reencrypt(&db, &keys, |_, _| {}).await.unwrap(),
        0
    );
    // The running server reads the new key by itself: the webhook verifies.
    shop.wait_for(&attempt, "succeeded").await;
}
