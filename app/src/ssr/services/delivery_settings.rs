//! The organization's delivery settings (issue 14): mail templates, link
//! lifetimes, and whether every link asks for an emailed code. A change is
//! an audit event; links already sent keep their expiry. What customers
//! read changes with the templates, so a new template (or dropping the
//! code rule) is mailed to every owner, and a template may name no bank
//! account but the payout account (`domain::payout::check_free_text`).

use crate::domain::payout::check_free_text;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::entities::billing_settings;
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::reports::{OwnerNotice, mail_owners};
use sea_orm::{ActiveModelTrait, Set};
use time::OffsetDateTime;

/// Checked settings (see `domain::delivery::check_template` and
/// `check_link_days`).
pub struct NewDelivery<'a> {
    pub subject: &'a str,
    pub message: &'a str,
    pub days_after_due: u16,
    pub max_days: u16,
    pub require_code: bool,
}

/// Saves `new` for the scope's organization.
///
/// # Errors
/// `mail_subject` or `mail_message` naming a bank account other than the
/// payout account.
pub async fn save(
    state: &AppState,
    scope: &Scope,
    new: &NewDelivery<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let settings = audit::lock(&txn, scope.organization_id).await?;
    check_free_text("mail_subject", new.subject, &settings.bank_iban)?;
    check_free_text("mail_message", new.message, &settings.bank_iban)?;
    let notify = settings.mail_subject != new.subject
        || settings.mail_message != new.message
        || (settings.portal_require_code && !new.require_code);
    let summary = format!(
        "links live {} days after the due date, at most {} days; code {}; {} subject, {} message",
        new.days_after_due,
        new.max_days,
        if new.require_code {
            "required for every link"
        } else {
            "for all documents only"
        },
        if new.subject.is_empty() {
            "built-in"
        } else {
            "own"
        },
        if new.message.is_empty() {
            "built-in"
        } else {
            "own"
        },
    );
    let mut active: billing_settings::ActiveModel = settings.into();
    active.mail_subject = Set(new.subject.to_owned());
    active.mail_message = Set(new.message.to_owned());
    active.link_days_after_due = Set(i32::from(new.days_after_due));
    active.link_max_days = Set(i32::from(new.max_days));
    active.portal_require_code = Set(new.require_code);
    active.update(&txn).await.map_err(internal)?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "settings.delivery_changed",
            object_type: "organization",
            object_id: scope.organization_id,
            summary: summary.clone(),
            customer_id: None,
        },
        now,
    )
    .await?;
    if notify {
        let body = format!(
            "Hello,\n\nwhat your customers receive with documents was changed on {date}\n\
             (UTC): {summary}.\n\nThe message now reads:\n\n{quoted}\n\
             If nobody in your organization meant to change it, sign in, put it\n\
             back on the Organization page, and check the audit log:\n\
             {url}/app/organization\n",
            date = now.date(),
            quoted = if new.message.is_empty() {
                "> (the built-in message)\n".to_owned()
            } else {
                new.message
                    .lines()
                    .map(|line| format!("> {line}\n"))
                    .collect()
            },
            url = state.settings.public_url,
        );
        let notice = OwnerNotice {
            subject: "Your customers' document mail was changed",
            body,
            kind: "delivery_changed",
        };
        mail_owners(&txn, state, scope.organization_id, notice, now).await?;
    }
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(())
}
