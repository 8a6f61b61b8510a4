//! The organization's payout details (rules: `domain::payout`). A change
//! needs a recent step-up and an owner, is an audit event with the old and
//! new account, and is mailed to every owner at once, so a taken-over
//! account or a careless admin cannot quietly redirect customers' money.

use crate::domain::payout::PayoutDetails;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::Member;
use crate::ssr::entities::billing_settings;
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::reports::{OwnerNotice, mail_owners};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use time::OffsetDateTime;
use uuid::Uuid;

fn of(settings: &billing_settings::Model) -> PayoutDetails {
    PayoutDetails {
        holder: settings.bank_holder.clone(),
        iban: settings.bank_iban.clone(),
        bic: settings.bank_bic.clone(),
        text: settings.bank_text.clone(),
    }
}

/// The organization's payout details and when they last changed.
///
/// # Errors
/// Internal only.
pub async fn current(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<(PayoutDetails, Option<OffsetDateTime>), AppError> {
    let settings = audit::settings(db, organization_id).await?;
    Ok((of(&settings), settings.bank_changed_at))
}

/// How an account reads in the audit log and the owners' mail: the IBAN's
/// country and last four characters, never the whole number.
fn summary_of(details: &PayoutDetails) -> String {
    if details.iban.is_empty() {
        if details.text.is_empty() {
            "none".to_owned()
        } else {
            "free-text details".to_owned()
        }
    } else {
        let country = details.iban.get(..2).unwrap_or_default();
        let last = details
            .iban
            .get(details.iban.len().saturating_sub(4)..)
            .unwrap_or_default();
        format!("{country} IBAN ending {last} ({})", details.holder)
    }
}

/// Replaces the payout details. Needs an owner with a recent step-up;
/// an unchanged submission changes nothing. Answers whether they changed.
///
/// # Errors
/// `Forbidden` for a member who is not an owner; `ConfirmationRequired`
/// without a recent step-up.
pub async fn save(
    state: &AppState,
    member: &Member,
    scope: &Scope,
    details: &PayoutDetails,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    if !member.is_owner() {
        return Err(AppError::Forbidden);
    }
    member.caller.require_recent_confirmation(now)?;
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let settings = audit::lock(&txn, scope.organization_id).await?;
    let before = of(&settings);
    if before == *details {
        txn.rollback().await.map_err(internal)?;
        return Ok(false);
    }
    let summary = format!("from {} to {}", summary_of(&before), summary_of(details));
    let organization = crate::ssr::services::portal::zone_and_name(&txn, scope.organization_id)
        .await?
        .1;
    let mut active: billing_settings::ActiveModel = settings.into();
    active.bank_holder = Set(details.holder.clone());
    active.bank_iban = Set(details.iban.clone());
    active.bank_bic = Set(details.bic.clone());
    active.bank_text = Set(details.text.clone());
    active.bank_changed_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "settings.payout_changed",
            object_type: "organization",
            object_id: scope.organization_id,
            summary: summary.clone(),
            customer_id: None,
        },
        now,
    )
    .await?;
    let body = format!(
        "Hello,\n\nthe bank details that customers of {organization} are asked to pay\n\
         into were changed on {date} (UTC), {summary}.\n\n\
         For the next 14 days every document and mail says that they changed.\n\n\
         If nobody in your organization meant to change them, sign in at once,\n\
         put them back, and check the team and the sessions on your account:\n\
         {url}/app/organization\n",
        date = now.date(),
        url = state.settings.public_url,
    );
    let subject = format!("Bank details of {organization} changed");
    let notice = OwnerNotice {
        subject: &subject,
        body,
        kind: "payout_changed",
    };
    mail_owners(&txn, state, scope.organization_id, notice, now).await?;
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_never_show_the_whole_account() {
        let details = PayoutDetails {
            holder: "ACME".into(),
            iban: "DE44500105175407324931".into(),
            bic: String::new(),
            text: String::new(),
        };
        let summary = summary_of(&details);
        assert_eq!(summary, "DE IBAN ending 4931 (ACME)");
        assert!(!summary.contains("5001"));
        assert_eq!(summary_of(&PayoutDetails::default()), "none");
    }
}
