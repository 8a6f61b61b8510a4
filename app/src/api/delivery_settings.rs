//! How documents reach customers (issue 14): the mail templates, link
//! lifetimes and the "code even for single links" rule (owners and admins
//! with `settings.manage`); the payout details (owners, after a step-up);
//! and the reports of suspicious documents (owners).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The organization's delivery settings as the settings page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryOptions {
    /// Empty: the built-in template, [`Self::default_subject`].
    pub mail_subject: String,
    pub mail_message: String,
    pub default_subject: String,
    pub default_message: String,
    pub link_days_after_due: u16,
    pub link_max_days: u16,
    pub require_code: bool,
    pub bank_holder: String,
    /// In paper format (groups of four).
    pub bank_iban: String,
    pub bank_bic: String,
    pub bank_text: String,
    pub bank_changed_at: Option<OffsetDateTime>,
    /// Only owners change the payout details.
    pub may_change_bank: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/delivery")]
pub async fn delivery_settings() -> Result<DeliveryOptions, AppError> {
    use crate::domain::Permission;
    use crate::domain::delivery::{DEFAULT_MESSAGE, DEFAULT_SUBJECT};
    use crate::ssr::{request::RequestContext, services::audit};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let settings = audit::settings(&request.state.db, member.caller.organization_id).await?;
        let payout = crate::domain::payout::PayoutDetails {
            holder: settings.bank_holder.clone(),
            iban: settings.bank_iban.clone(),
            bic: settings.bank_bic.clone(),
            text: settings.bank_text.clone(),
        };
        Ok(DeliveryOptions {
            mail_subject: settings.mail_subject,
            mail_message: settings.mail_message,
            default_subject: DEFAULT_SUBJECT.to_owned(),
            default_message: DEFAULT_MESSAGE.to_owned(),
            link_days_after_due: u16::try_from(settings.link_days_after_due).unwrap_or(30),
            link_max_days: u16::try_from(settings.link_max_days).unwrap_or(120),
            require_code: settings.portal_require_code,
            bank_iban: payout.iban_paper(),
            bank_holder: payout.holder,
            bank_bic: payout.bic,
            bank_text: payout.text,
            bank_changed_at: settings.bank_changed_at,
            may_change_bank: member.is_owner(),
        })
    }
    .await;
    request.respond(result)
}

/// Saves the mail templates (empty: the built-in ones), the link lifetimes
/// (days after the due date, 1–365; at most days after sending, 1–730) and
/// whether every link asks for an emailed code (`require_code=true`).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/save_delivery")]
pub async fn save_delivery_settings(
    #[server(default)] mail_subject: String,
    #[server(default)] mail_message: String,
    link_days_after_due: String,
    link_max_days: String,
    #[server(default)] require_code: bool,
) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::domain::delivery::{check_link_days, check_template};
    use crate::ssr::{request::RequestContext, services::delivery_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let subject = check_template("mail_subject", &mail_subject, 200, true)?;
        let message = check_template("mail_message", &mail_message, 4000, false)?;
        let (days_after_due, max_days) = check_link_days(&link_days_after_due, &link_max_days)?;
        let new = delivery_settings::NewDelivery {
            subject: &subject,
            message: &message,
            days_after_due,
            max_days,
            require_code,
        };
        delivery_settings::save(
            &request.state,
            &request.audit_scope(&member),
            &new,
            request.now(),
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Replaces the payout details customers are asked to pay into: account
/// holder, IBAN and BIC, or free text where IBAN is not used (all empty
/// removes them). Owners only, after a step-up; every owner is mailed and
/// documents say "bank details changed on <date>" for 14 days.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/save_payout")]
pub async fn save_payout_details(
    #[server(default)] bank_holder: String,
    #[server(default)] bank_iban: String,
    #[server(default)] bank_bic: String,
    #[server(default)] bank_text: String,
) -> Result<bool, AppError> {
    use crate::domain::Permission;
    use crate::domain::payout::PayoutDetails;
    use crate::ssr::{request::RequestContext, services::payout};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let details = PayoutDetails::parse(&bank_holder, &bank_iban, &bank_bic, &bank_text)?;
        payout::save(
            &request.state,
            &member,
            &request.audit_scope(&member),
            &details,
            request.now(),
        )
        .await
    }
    .await;
    request.respond(result)
}

/// A report of a suspicious document, as owners see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub id: Uuid,
    pub invoice_id: Option<Uuid>,
    pub reference: String,
    /// The reason's label ("I don't know this sender", …).
    pub reason: String,
    pub details: String,
    pub reporter: Option<String>,
    pub created_at: OffsetDateTime,
}

/// Reports about the organization's documents, newest first (owners).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "reports/list")]
pub async fn suspicious_reports() -> Result<Vec<ReportRow>, AppError> {
    use crate::domain::Permission;
    use crate::domain::delivery::ReportReason;
    use crate::ssr::{request::RequestContext, services::reports};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        if !member.is_owner() {
            return Err(AppError::Forbidden);
        }
        Ok(
            reports::for_organization(&request.state.db, member.caller.organization_id)
                .await?
                .into_iter()
                .map(|report| ReportRow {
                    id: report.id,
                    invoice_id: report.invoice_id,
                    reference: report.reference,
                    reason: ReportReason::parse(&report.reason).map_or_else(
                        |_| report.reason.clone(),
                        |reason| reason.label().to_owned(),
                    ),
                    details: report.details,
                    reporter: report.reporter,
                    created_at: report.created_at,
                })
                .collect(),
        )
    }
    .await;
    request.respond(result)
}
