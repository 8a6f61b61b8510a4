//! The organization's Stripe account (issue 15): its publishable key, and
//! its secret key and webhook signing secret sealed with the secrets key
//! (AES-256-GCM, the key id on each ciphertext, the organization's id and
//! the field as associated data). Secrets never leave the server: the
//! settings page sees `sk_test_…4242`. Only an owner with a recent step-up
//! replaces them; each change is an audit event mailed to every owner.

use crate::domain::FieldError;
use crate::domain::card_payment::StripeKey;
use crate::domain::money::parse_decimal;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::Member;
use crate::ssr::crypto::SecretBox;
use crate::ssr::entities::payment_provider;
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::reports::{OwnerNotice, mail_owners};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use time::OffsetDateTime;
use uuid::Uuid;

/// Associated data of a sealed Stripe secret: the field and its row.
pub(crate) fn associated_data(field: &str, organization_id: Uuid) -> String {
    format!("stripe:{field}:{organization_id}")
}

/// What the settings page shows: the publishable key whole, secrets masked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderShown {
    pub publishable_key: String,
    pub secret_key: String,
    pub webhook_secret: String,
    pub partial_payments: bool,
    pub partial_minimum: String,
}

/// The settings as typed; an empty secret keeps the stored one.
pub struct NewProvider<'a> {
    pub publishable_key: &'a str,
    pub secret_key: &'a str,
    pub webhook_secret: &'a str,
    pub partial_payments: bool,
    pub partial_minimum: &'a str,
    /// Removes the Stripe account: card payment is no longer offered.
    pub disconnect: bool,
}

/// A connected account, secrets opened: what paying and webhooks need.
pub(crate) struct Connected {
    pub publishable_key: String,
    pub secret_key: String,
    pub webhook_secret: String,
    pub partial_payments: bool,
    pub partial_minimum: Decimal,
}

/// The organization's settings as shown.
///
/// # Errors
/// Internal only.
pub async fn shown(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<ProviderShown, AppError> {
    Ok(payment_provider::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .map(|row| ProviderShown {
            publishable_key: row.stripe_publishable_key,
            secret_key: row.stripe_secret_key_shown,
            webhook_secret: row.stripe_webhook_secret_shown,
            partial_payments: row.partial_payments,
            partial_minimum: row.partial_minimum,
        })
        .unwrap_or_else(|| ProviderShown {
            partial_minimum: "0".into(),
            ..ProviderShown::default()
        }))
}

/// Whether `organization_id` has connected Stripe (all three keys set).
///
/// # Errors
/// Internal only.
pub async fn takes_cards(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<bool, AppError> {
    Ok(payment_provider::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .is_some_and(|row| {
            !row.stripe_publishable_key.is_empty()
                && !row.stripe_secret_key.is_empty()
                && !row.stripe_webhook_secret.is_empty()
        }))
}

/// The connected account of `organization_id`, if all three keys are set.
///
/// # Errors
/// Internal, also when a stored secret does not decrypt (a wrong key file).
pub(crate) async fn connected(
    db: &impl ConnectionTrait,
    secrets: &SecretBox,
    organization_id: Uuid,
) -> Result<Option<Connected>, AppError> {
    let Some(row) = payment_provider::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    if row.stripe_publishable_key.is_empty()
        || row.stripe_secret_key.is_empty()
        || row.stripe_webhook_secret.is_empty()
    {
        return Ok(None);
    }
    let open = |sealed: &str, field: &str| -> Result<String, AppError> {
        let bytes = secrets
            .open(sealed, &associated_data(field, organization_id))
            .map_err(internal)?;
        String::from_utf8(bytes).map_err(internal)
    };
    Ok(Some(Connected {
        secret_key: open(&row.stripe_secret_key, "secret_key")?,
        webhook_secret: open(&row.stripe_webhook_secret, "webhook_secret")?,
        publishable_key: row.stripe_publishable_key,
        partial_payments: row.partial_payments,
        partial_minimum: row.partial_minimum.parse().unwrap_or(Decimal::ZERO),
    }))
}

/// Saves the settings. Owners only, after a recent step-up; a change of any
/// key (or disconnecting) is mailed to every owner. Answers whether
/// anything changed.
///
/// # Errors
/// `Forbidden`, `ConfirmationRequired`, or `Invalid` naming the field.
pub async fn save(
    state: &AppState,
    member: &Member,
    scope: &Scope,
    new: &NewProvider<'_>,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    if !member.is_owner() {
        return Err(AppError::Forbidden);
    }
    member.caller.require_recent_confirmation(now)?;
    let organization_id = scope.organization_id;
    let minimum = parse_decimal(new.partial_minimum, "partial_minimum", 3)?;
    if minimum < Decimal::ZERO {
        return Err(FieldError::new("partial_minimum", "Enter zero or more.").into());
    }
    let parse_optional = |kind: StripeKey, text: &str| {
        let text = text.trim();
        (!text.is_empty()).then(|| kind.parse(text)).transpose()
    };
    let publishable = parse_optional(StripeKey::Publishable, new.publishable_key)?;
    let secret = parse_optional(StripeKey::Secret, new.secret_key)?;
    let webhook = parse_optional(StripeKey::WebhookSecret, new.webhook_secret)?;

    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let existing = payment_provider::Entity::find_by_id(organization_id)
        .one(&txn)
        .await
        .map_err(internal)?;
    let before = existing.clone().map(|row| {
        (
            row.stripe_publishable_key,
            row.stripe_secret_key_shown,
            row.stripe_webhook_secret_shown,
            row.partial_payments,
            row.partial_minimum,
        )
    });
    let mut active: payment_provider::ActiveModel = match existing {
        Some(row) => row.into(),
        None => payment_provider::ActiveModel {
            organization_id: Set(organization_id),
            stripe_publishable_key: Set(String::new()),
            stripe_secret_key: Set(String::new()),
            stripe_secret_key_shown: Set(String::new()),
            stripe_webhook_secret: Set(String::new()),
            stripe_webhook_secret_shown: Set(String::new()),
            partial_payments: Set(false),
            partial_minimum: Set("0".into()),
            updated_at: Set(now),
        },
    };
    let mut keys_changed = Vec::new();
    if new.disconnect {
        for (column, shown) in [
            (
                &mut active.stripe_secret_key,
                &mut active.stripe_secret_key_shown,
            ),
            (
                &mut active.stripe_webhook_secret,
                &mut active.stripe_webhook_secret_shown,
            ),
        ] {
            *column = Set(String::new());
            *shown = Set(String::new());
        }
        active.stripe_publishable_key = Set(String::new());
        keys_changed.push("disconnected");
    } else {
        if let Some(key) = publishable {
            active.stripe_publishable_key = Set(key);
        }
        let seal = |text: &str, field: &str| {
            state
                .secrets
                .seal(text.as_bytes(), &associated_data(field, organization_id))
                .map_err(internal)
        };
        if let Some(key) = secret {
            active.stripe_secret_key = Set(seal(&key, "secret_key")?);
            active.stripe_secret_key_shown = Set(StripeKey::masked(&key));
            keys_changed.push("secret key replaced");
        }
        if let Some(key) = webhook {
            active.stripe_webhook_secret = Set(seal(&key, "webhook_secret")?);
            active.stripe_webhook_secret_shown = Set(StripeKey::masked(&key));
            keys_changed.push("webhook signing secret replaced");
        }
    }
    active.partial_payments = Set(new.partial_payments);
    active.partial_minimum = Set(minimum.normalize().to_string());
    active.updated_at = Set(now);
    // Every column is set above; an unset one reads as empty.
    let text =
        |value: &sea_orm::ActiveValue<String>| value.try_as_ref().cloned().unwrap_or_default();
    let after = (
        text(&active.stripe_publishable_key),
        text(&active.stripe_secret_key_shown),
        text(&active.stripe_webhook_secret_shown),
        active
            .partial_payments
            .try_as_ref()
            .copied()
            .unwrap_or(false),
        text(&active.partial_minimum),
    );
    if before.as_ref() == Some(&after) && keys_changed.is_empty() {
        txn.rollback().await.map_err(internal)?;
        return Ok(false);
    }
    let publishable_changed = before.as_ref().map(|b| &b.0) != Some(&after.0);
    if publishable_changed && !new.disconnect {
        keys_changed.push("publishable key set");
    }
    let summary = format!(
        "Stripe: {}; part payments {}{}",
        if keys_changed.is_empty() {
            "keys unchanged".to_owned()
        } else {
            keys_changed.join(", ")
        },
        if after.3 {
            "allowed from "
        } else {
            "not allowed"
        },
        if after.3 { after.4.as_str() } else { "" },
    );
    if before.is_some() {
        active.update(&txn).await.map_err(internal)?;
    } else {
        active.insert(&txn).await.map_err(internal)?;
    }
    audit::record(
        &txn,
        scope,
        Change {
            action: "settings.payments_changed",
            object_type: "organization",
            object_id: organization_id,
            summary: summary.clone(),
            customer_id: None,
        },
        now,
    )
    .await?;
    if !keys_changed.is_empty() {
        let organization = crate::ssr::services::portal::zone_and_name(&txn, organization_id)
            .await?
            .1;
        let body = format!(
            "Hello,\n\nthe Stripe account that takes card payments for {organization}\n\
             was changed on {date} (UTC): {summary}.\n\n\
             If nobody in your organization meant to change it, sign in at once,\n\
             put it back, and check the team and the sessions on your account:\n\
             {url}/app/organization\n",
            date = now.date(),
            url = state.settings.public_url,
        );
        let subject = format!("Card payments of {organization} changed");
        let notice = OwnerNotice {
            subject: &subject,
            body,
            kind: "payments_changed",
        };
        mail_owners(&txn, state, organization_id, notice, now).await?;
    }
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(true)
}
