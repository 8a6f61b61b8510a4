//! The organization's delivery settings (issue 14): mail templates, link
//! lifetimes, and whether every link asks for an emailed code. A change is
//! an audit event; links already sent keep their expiry.

use crate::error::AppError;
use crate::ssr::entities::billing_settings;
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set, TransactionTrait};
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
/// Internal only.
pub async fn save(
    db: &DatabaseConnection,
    scope: &Scope,
    new: &NewDelivery<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = db.begin().await.map_err(internal)?;
    let settings = audit::lock(&txn, scope.organization_id).await?;
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
            summary,
            customer_id: None,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}
