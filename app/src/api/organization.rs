//! The organization's settings (owners only).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSecurity {
    pub name: String,
    pub require_second_factor: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/settings")]
pub async fn organization_settings() -> Result<OrganizationSecurity, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        organization_settings::settings(&request.state, &member).await
    }
    .await;
    request.respond(result)
}

/// Requires (`required=true`) or stops requiring two-step verification from
/// every member (owners; a recent confirmation is needed).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/second_factor_policy")]
pub async fn set_second_factor_policy(#[server(default)] required: bool) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let now = time::OffsetDateTime::now_utc();
        organization_settings::set_second_factor_policy(
            &request.state,
            &member,
            required,
            &request.client,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Who the organization is on its documents, and how they are numbered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingSettings {
    pub address: String,
    pub tax_id: String,
    pub invoice_number_format: String,
    pub invoice_number_yearly: bool,
    pub credit_note_number_format: String,
    pub credit_note_number_yearly: bool,
    /// How tax is rounded on new documents.
    pub tax_rounding: crate::domain::invoice::TaxRounding,
    /// The organization's IANA time zone: its calendar.
    pub time_zone: String,
    /// Every zone the server knows, for the chooser.
    pub time_zones: Vec<String>,
    /// Only owners change the time zone.
    pub may_change_time_zone: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/billing")]
pub async fn billing_identity() -> Result<BillingSettings, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        organization_settings::billing(&request.state, &member).await
    }
    .await;
    request.respond(result)
}

/// Changes the address and tax id printed on new documents, the number
/// formats of the next ones and how their tax is rounded. Issued documents
/// keep what they sealed. An empty `tax_rounding` keeps the current one.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/save_billing")]
pub async fn save_billing_identity(
    #[server(default)] address: String,
    #[server(default)] tax_id: String,
    invoice_number_format: String,
    #[server(default)] invoice_number_yearly: bool,
    credit_note_number_format: String,
    #[server(default)] credit_note_number_yearly: bool,
    #[server(default)] tax_rounding: String,
) -> Result<(), AppError> {
    use crate::domain::FieldError;
    use crate::domain::Permission;
    use crate::domain::invoice::TaxRounding;
    use crate::domain::numbering::NumberFormat;
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let named =
            |field: &'static str| move |error: FieldError| FieldError::new(field, error.message);
        let invoice = NumberFormat::parse(&invoice_number_format, invoice_number_yearly)
            .map_err(named("invoice_number_format"))?;
        let credit_note =
            NumberFormat::parse(&credit_note_number_format, credit_note_number_yearly)
                .map_err(named("credit_note_number_format"))?;
        let address = address.trim();
        if address.chars().count() > 1000 {
            return Err(FieldError::new("address", "Use at most 1000 characters.").into());
        }
        let tax_id = tax_id.trim();
        if tax_id.chars().count() > 64 || tax_id.chars().any(char::is_control) {
            return Err(FieldError::new("tax_id", "Use at most 64 characters.").into());
        }
        let tax_rounding = match tax_rounding.trim() {
            "" => None,
            text => Some(
                TaxRounding::parse(text)
                    .ok_or_else(|| FieldError::new("tax_rounding", "Choose how tax is rounded."))?,
            ),
        };
        let now = request.now();
        let identity = organization_settings::NewBilling {
            address,
            tax_id,
            invoice: &invoice,
            credit_note: &credit_note,
            tax_rounding,
        };
        organization_settings::save_billing(
            &request.state,
            &member,
            &request.audit_scope(&member),
            &identity,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Moves the organization to another IANA time zone (owners only): its
/// "today", due dates, overdue and monthly figures follow it from then on.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organization/time_zone")]
pub async fn set_time_zone(time_zone: String) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::calendar::OrgTimeZone;
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::SettingsManage).await?;
        let zone = OrgTimeZone::parse(&time_zone)?;
        let scope = request.audit_scope(&member);
        organization_settings::set_time_zone(&request.state, &member, &scope, &zone, request.now())
            .await
    }
    .await;
    request.respond(result)
}

/// One of the organizations the signed-in user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: uuid::Uuid,
    pub name: String,
    pub role_label: String,
    pub current: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organizations/mine")]
pub async fn my_organizations() -> Result<Vec<OrganizationChoice>, AppError> {
    use crate::ssr::{request::RequestContext, services::organizations};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        organizations::of_user(&request.state.db, &caller).await
    }
    .await;
    request.respond(result)
}

/// Creates an organization owned by the signed-in user and works in it from
/// now on (this session).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organizations/create")]
pub async fn create_organization(
    organization: String,
    #[server(default)] time_zone: String,
) -> Result<(), AppError> {
    use crate::domain::OrganizationName;
    use crate::ssr::calendar::OrgTimeZone;
    use crate::ssr::{auth, request::RequestContext, services::organizations};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let name = OrganizationName::parse(&organization)?;
        let time_zone = OrgTimeZone::from_browser(&time_zone);
        let now = time::OffsetDateTime::now_utc();
        let id = organizations::create(
            &request.state.db,
            &caller,
            &name,
            &time_zone,
            &request.client,
            now,
        )
        .await?;
        auth::switch_organization(&request.state.db, &request.session, id).await?;
        request.redirect("/app");
        Ok(())
    }
    .await;
    request.respond(result)
}

/// Works in another of the user's organizations from now on (this session).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "organizations/switch")]
pub async fn switch_organization(id: uuid::Uuid) -> Result<(), AppError> {
    use crate::ssr::{auth, request::RequestContext, services::organizations};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        organizations::check_switch(&request.state.db, &caller, id, &request.client, now).await?;
        auth::switch_organization(&request.state.db, &request.session, id).await?;
        request.redirect("/app");
        Ok(())
    }
    .await;
    request.respond(result)
}
