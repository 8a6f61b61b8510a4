//! Card payments through Stripe (issue 15): the organization's Stripe keys
//! and part-payment rule. Members with `settings.manage` see them (secrets
//! masked); only owners change them, after a step-up.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The settings as the organization page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOptions {
    /// `pk_test_…`/`pk_live_…`, whole: it is public.
    pub publishable_key: String,
    /// `sk_test_…4242`: never more of a secret.
    pub secret_key: String,
    pub webhook_secret: String,
    pub partial_payments: bool,
    /// The smallest part payment, in the invoice's currency.
    pub partial_minimum: String,
    /// Where Stripe sends events: `<public URL>/webhooks/stripe`.
    pub webhook_url: String,
    /// Whether customers can pay by card now (all three keys set).
    pub connected: bool,
    /// Only owners change them.
    pub may_change: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/payments")]
pub async fn payment_settings() -> Result<PaymentOptions, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::payment_provider};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let shown =
            payment_provider::shown(&request.state.db, member.caller.organization_id).await?;
        Ok(PaymentOptions {
            connected: !shown.publishable_key.is_empty()
                && !shown.secret_key.is_empty()
                && !shown.webhook_secret.is_empty(),
            publishable_key: shown.publishable_key,
            secret_key: shown.secret_key,
            webhook_secret: shown.webhook_secret,
            partial_payments: shown.partial_payments,
            partial_minimum: shown.partial_minimum,
            webhook_url: format!("{}/webhooks/stripe", request.state.settings.public_url),
            may_change: member.is_owner(),
        })
    }
    .await;
    request.respond(result)
}

/// Saves the Stripe keys (an empty secret keeps the stored one) and the
/// part-payment rule; `disconnect=true` removes the keys. Owners only,
/// after a step-up; a key change is emailed to every owner.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/save_payments")]
pub async fn save_payment_settings(
    #[server(default)] publishable_key: String,
    #[server(default)] secret_key: String,
    #[server(default)] webhook_secret: String,
    #[server(default)] partial_payments: bool,
    #[server(default)] partial_minimum: String,
    #[server(default)] disconnect: bool,
) -> Result<bool, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::payment_provider};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let minimum = if partial_minimum.trim().is_empty() {
            "0"
        } else {
            partial_minimum.as_str()
        };
        let new = payment_provider::NewProvider {
            publishable_key: &publishable_key,
            secret_key: &secret_key,
            webhook_secret: &webhook_secret,
            partial_payments,
            partial_minimum: minimum,
            disconnect,
        };
        payment_provider::save(
            &request.state,
            &member,
            &request.audit_scope(&member),
            &new,
            request.now(),
        )
        .await
    }
    .await;
    request.respond(result)
}
