//! Organization-wide settings: the two-step rule, the billing identity and
//! tax rounding, and the time zone that is the organization's calendar.

use crate::api::organization::{BillingSettings, OrganizationSecurity};
use crate::domain::FieldError;
use crate::domain::SecurityEventKind;
use crate::domain::invoice::TaxRounding;
use crate::domain::numbering::NumberFormat;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::Member;
use crate::ssr::calendar::{self, OrgTimeZone};
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{invoice, organization};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::invoices::tax_rounding_of;
use crate::ssr::services::second_factor;
use crate::ssr::services::security_log::{self, SecurityEvent};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use time::OffsetDateTime;

/// The member's organization. (The server functions have checked the
/// member may manage its settings.)
async fn organization_of(
    state: &AppState,
    member: &Member,
) -> Result<organization::Model, AppError> {
    organization::Entity::find_by_id(member.caller.organization_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

pub async fn settings(state: &AppState, member: &Member) -> Result<OrganizationSecurity, AppError> {
    let organization = organization_of(state, member).await?;
    Ok(OrganizationSecurity {
        name: organization.name,
        require_second_factor: organization.require_second_factor,
    })
}

/// Requires (or stops requiring) a second factor from every member. An owner
/// must use one before requiring it of others.
pub async fn set_second_factor_policy(
    state: &AppState,
    member: &Member,
    required: bool,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    member.caller.require_recent_confirmation(now)?;
    let organization = organization_of(state, member).await?;
    if required && !second_factor::is_required(&state.db, member.caller.user_id).await? {
        return Err(AppError::Conflict(
            "Set up two-step verification for yourself first, on your Account page.".into(),
        ));
    }
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let mut active: organization::ActiveModel = organization.into();
    active.require_second_factor = Set(required);
    active.update(&txn).await.map_err(internal)?;
    security_log::record(
        &txn,
        SecurityEvent {
            kind: SecurityEventKind::SecondFactorPolicyChanged,
            succeeded: true,
            user_id: Some(member.caller.user_id),
            organization_id: Some(member.caller.organization_id),
            client,
            detail: Some(if required { "required" } else { "optional" }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}

pub async fn billing(state: &AppState, member: &Member) -> Result<BillingSettings, AppError> {
    let organization = organization_of(state, member).await?;
    let settings = audit::settings(&state.db, member.caller.organization_id).await?;
    Ok(BillingSettings {
        tax_rounding: tax_rounding_of(&settings.tax_rounding)?,
        time_zone: organization.time_zone,
        time_zones: calendar::zone_names(),
        may_change_time_zone: member.is_owner(),
        address: settings.address,
        tax_id: settings.tax_id,
        invoice_number_format: settings.invoice_number_format,
        invoice_number_yearly: settings.invoice_number_yearly,
        credit_note_number_format: settings.credit_note_number_format,
        credit_note_number_yearly: settings.credit_note_number_yearly,
    })
}

pub struct NewBilling<'a> {
    pub address: &'a str,
    pub tax_id: &'a str,
    pub invoice: &'a NumberFormat,
    pub credit_note: &'a NumberFormat,
    /// `None` keeps the current method.
    pub tax_rounding: Option<TaxRounding>,
}

pub async fn save_billing(
    state: &AppState,
    member: &Member,
    scope: &Scope,
    new: &NewBilling<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    organization_of(state, member).await?;
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let settings = audit::lock(&txn, member.caller.organization_id).await?;
    // The seller's block of every document: no bank account but the payout
    // account, which only an owner changes after a step-up.
    crate::domain::payout::check_all_free_text(
        [("address", new.address), ("tax_id", new.tax_id)],
        &settings.bank_iban,
    )?;
    let tax_rounding = match new.tax_rounding {
        Some(method) => method,
        None => tax_rounding_of(&settings.tax_rounding)?,
    };
    let summary = format!(
        "invoices {} ({}), credit notes {} ({}), tax rounded {}",
        new.invoice.pattern(),
        if new.invoice.yearly_reset() {
            "yearly"
        } else {
            "continuous"
        },
        new.credit_note.pattern(),
        if new.credit_note.yearly_reset() {
            "yearly"
        } else {
            "continuous"
        },
        tax_rounding.as_str(),
    );
    let mut active: crate::ssr::entities::billing_settings::ActiveModel = settings.into();
    active.address = Set(new.address.to_owned());
    active.tax_id = Set(new.tax_id.to_owned());
    active.invoice_number_format = Set(new.invoice.pattern().to_owned());
    active.invoice_number_yearly = Set(new.invoice.yearly_reset());
    active.credit_note_number_format = Set(new.credit_note.pattern().to_owned());
    active.credit_note_number_yearly = Set(new.credit_note.yearly_reset());
    active.tax_rounding = Set(tax_rounding.as_str().to_owned());
    active.update(&txn).await.map_err(internal)?;
    let change = Change {
        action: "settings.billing_changed",
        object_type: "organization",
        object_id: member.caller.organization_id,
        summary,
        customer_id: None,
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)
}

/// Moves the organization to `zone` (owners only; an admin is `Forbidden`).
/// An audit event records the old and new zone.
pub async fn set_time_zone(
    state: &AppState,
    member: &Member,
    scope: &Scope,
    zone: &OrgTimeZone,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    if !member.is_owner() {
        return Err(AppError::Forbidden);
    }
    let organization = organization_of(state, member).await?;
    if organization.time_zone == zone.name() {
        return Ok(());
    }
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    audit::lock(&txn, member.caller.organization_id).await?;
    // A zone where the last issue date has not come yet would refuse every
    // new document (numbers follow dates) until it does.
    let last_issued = invoice::Entity::find()
        .filter(invoice::Column::OrganizationId.eq(member.caller.organization_id))
        .filter(invoice::Column::IssuedAt.is_not_null())
        .order_by_desc(invoice::Column::IssueDate)
        .one(&txn)
        .await
        .map_err(internal)?;
    if let Some(last) = last_issued
        && last.issue_date > zone.today(now)
    {
        return Err(FieldError::new(
            "time_zone",
            format!(
                "A document was issued on {}, a day that has not begun in {} yet. Change the zone from that day on.",
                last.issue_date,
                zone.name()
            ),
        )
        .into());
    }
    let summary = format!("from {} to {}", organization.time_zone, zone.name());
    let mut active: organization::ActiveModel = organization.into();
    active.time_zone = Set(zone.name().to_owned());
    active.update(&txn).await.map_err(internal)?;
    let change = Change {
        action: "settings.time_zone_changed",
        object_type: "organization",
        object_id: member.caller.organization_id,
        summary,
        customer_id: None,
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)
}
