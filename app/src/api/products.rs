//! Products and services an organization sells, and its tax rates.

use crate::error::AppError;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateView {
    pub id: Uuid,
    pub name: String,
    pub percent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub unit_price: Decimal,
    pub tax_rate_id: Option<Uuid>,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "tax_rates/list")]
pub async fn list_tax_rates() -> Result<Vec<TaxRateView>, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::products};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::ProductsRead).await?;
        products::tax_rates(&request.state.db, member.caller.organization_id).await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "tax_rates/create")]
pub async fn create_tax_rate(name: String, percent: String) -> Result<Uuid, AppError> {
    use crate::domain::Permission;
    use crate::domain::{FieldError, invoice::parse_percent};
    use crate::ssr::{request::RequestContext, services::products};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::ProductsWrite).await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "Enter a name of up to 60 characters, e.g. VAT 19%.",
            )
            .into());
        }
        if percent.trim().is_empty() {
            return Err(FieldError::new("percent", "Enter the percentage.").into());
        }
        let percent = parse_percent(&percent, "percent")?;
        let now = request.now();
        products::create_tax_rate(
            &request.state.db,
            &request.audit_scope(&member),
            name,
            percent,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "products/list")]
pub async fn list_products(#[server(default)] query: String) -> Result<Vec<ProductView>, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::products};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::ProductsRead).await?;
        products::list(&request.state.db, member.caller.organization_id, &query).await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "products/create")]
pub async fn create_product(
    name: String,
    #[server(default)] description: String,
    #[server(default)] unit: String,
    unit_price: String,
    /// A tax rate's id, or empty for none.
    #[server(default)]
    tax_rate_id: String,
) -> Result<Uuid, AppError> {
    use crate::domain::Permission;
    use crate::domain::{FieldError, invoice::parse_price};
    use crate::ssr::{request::RequestContext, services::products};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::ProductsWrite).await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(FieldError::new("name", "Enter a name of up to 200 characters.").into());
        }
        if description.chars().count() > 2000 {
            return Err(FieldError::new("description", "Use at most 2000 characters.").into());
        }
        let unit = unit.trim();
        if unit.chars().count() > 30 || unit.chars().any(char::is_control) {
            return Err(
                FieldError::new("unit", "Use at most 30 characters, e.g. hour or kg.").into(),
            );
        }
        let tax_rate_id = match tax_rate_id.trim() {
            "" => None,
            id => Some(
                Uuid::parse_str(id)
                    .map_err(|_| FieldError::new("tax_rate_id", "Choose one of your tax rates."))?,
            ),
        };
        let product = products::NewProduct {
            name,
            description: description.trim(),
            unit,
            unit_price: parse_price(&unit_price, "unit_price")?,
            tax_rate_id,
        };
        let now = request.now();
        products::create(
            &request.state.db,
            &request.audit_scope(&member),
            &product,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "products/archive")]
pub async fn archive_product(id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::products};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::ProductsWrite).await?;
        let now = request.now();
        products::archive(&request.state.db, &request.audit_scope(&member), id, now).await
    }
    .await;
    request.respond(result)
}
