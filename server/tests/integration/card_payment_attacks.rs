//! Issue 15: what an attack on the first version of card payments found
//! (session 8), kept fixed: a webhook that arrives before the intent's id
//! is stored, a second card form while one is processing, a manual reversal
//! followed by a Stripe refund, confirmation retries, and bad input to the
//! card page's calls. The shop and helpers are `card_payments.rs`'.

use crate::card_payments::{event, now, open_shop, paid_of};
use crate::invoicing::json_of;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn early_webhooks_open_attempts_manual_reversals_and_retries_are_handled() {
    let shop = open_shop(None, false).await;
    let attempt = shop.card_entered("4242424242424242").await;
    assert_eq!(shop.confirm(&attempt, "").await.status(), 200);
    // A second card form while this one is processing would charge twice.
    let second = shop.post("/start", &json!({})).await;
    assert_eq!(second.status(), 409);
    assert!(
        json_of(second).await["error"]
            .as_str()
            .unwrap()
            .contains("being processed")
    );

    // Stripe's event arrives before the intent's id was stored: the
    // intent's metadata still finds the attempt, and it is recorded.
    let intent = shop.intent(&attempt).await;
    {
        use ledgerlock_app::ssr::entities::card_payment;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        card_payment::Entity::update_many()
            .col_expr(
                card_payment::Column::PaymentIntentId,
                Expr::value(None::<String>),
            )
            .filter(card_payment::Column::Id.eq(attempt.parse::<Uuid>().unwrap()))
            .exec(&shop.app.db().await)
            .await
            .unwrap();
    }
    let succeeded = event("evt_early", "payment_intent.succeeded", &intent);
    assert_eq!(
        shop.deliver(&succeeded, &shop.webhook_secret, now())
            .await
            .status(),
        200
    );
    assert_eq!(shop.status(&attempt).await["status"], "succeeded");
    assert_eq!(shop.invoice().await["status"], "Paid");

    // Marked unpaid by hand, then refunded in Stripe: reversed once only.
    let unpaid = shop
        .app
        .call(
            "/api/invoices/mark_unpaid",
            &[("id", &shop.invoice)],
            Some(&shop.books.cookie),
        )
        .await;
    assert_eq!(unpaid.status(), 200);
    let mut charge = intent["latest_charge"].clone();
    if !charge.is_object() {
        charge = json!({"id": "ch_x", "payment_intent": intent["id"]});
    }
    charge["amount_refunded"] = intent["amount"].clone();
    charge["payment_intent"] = intent["id"].clone();
    let refunded = event("evt_refund_after_manual", "charge.refunded", &charge);
    assert_eq!(
        shop.deliver(&refunded, &shop.webhook_secret, now())
            .await
            .status(),
        200
    );
    assert_eq!(paid_of(&shop.invoice().await), 0.0, "never below zero");

    // Confirmations ask Stripe, so an attempt gets 10 of them.
    let started = json_of(shop.post("/start", &json!({})).await).await;
    let fresh = started["attempt"].as_str().unwrap();
    for _ in 0..10 {
        let unconfirmed = shop.confirm(fresh, "").await;
        assert_eq!(unconfirmed.status(), 409);
    }
    let limited = json_of(shop.confirm(fresh, "").await).await;
    assert!(
        limited["error"]
            .as_str()
            .unwrap()
            .contains("Too many tries"),
        "{limited}"
    );

    // Bad bodies and queries get the JSON answers the page's script reads.
    let bad = shop
        .app
        .client
        .post(
            shop.app
                .url(&format!("/portal/d/{}/pay/confirm", shop.token)),
        )
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 409);
    assert!(json_of(bad).await["error"].is_string());
    let no_attempt = shop
        .app
        .get(&format!("/portal/d/{}/pay/status", shop.token), None)
        .await;
    assert_eq!(no_attempt.status(), 404);
    assert!(json_of(no_attempt).await["error"].is_string());
}
