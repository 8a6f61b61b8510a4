//! Products and tax rates, scoped to the caller's organization.

use crate::api::products::{ProductView, TaxRateView};
use crate::domain::FieldError;
use crate::error::AppError;
use crate::ssr::entities::{product, tax_rate};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::customers::{lookup_key, starts_with};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

fn decimal(text: &str) -> Result<Decimal, AppError> {
    Decimal::from_str(text).map_err(internal)
}

fn tax_view(row: tax_rate::Model) -> Result<TaxRateView, AppError> {
    Ok(TaxRateView {
        percent: decimal(&row.percent)?,
        id: row.id,
        name: row.name,
    })
}

pub async fn tax_rates(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<TaxRateView>, AppError> {
    tax_rate::Entity::find()
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .filter(tax_rate::Column::ArchivedAt.is_null())
        .order_by_asc(tax_rate::Column::Name)
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(tax_view)
        .collect()
}

/// The organization's tax rate `id`, or a field error naming `field`.
pub async fn tax_rate_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    field: String,
) -> Result<TaxRateView, AppError> {
    let row = tax_rate::Entity::find_by_id(id)
        .filter(tax_rate::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::from(FieldError::new(field, "Choose one of your tax rates.")))?;
    tax_view(row)
}

pub async fn create_tax_rate(
    db: &DatabaseConnection,
    scope: &Scope,
    name: &str,
    percent: Decimal,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let id = Uuid::new_v4();
    tax_rate::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.organization_id),
        name: Set(name.to_owned()),
        percent: Set(percent.normalize().to_string()),
        archived_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    let summary = format!("{name} ({}%)", percent.normalize());
    audit::record(
        &txn,
        scope,
        Change {
            action: "tax_rate.created",
            object_type: "tax_rate",
            object_id: id,
            summary,
            customer_id: None,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

fn product_view(row: product::Model) -> Result<ProductView, AppError> {
    Ok(ProductView {
        unit_price: decimal(&row.unit_price)?,
        id: row.id,
        name: row.name,
        description: row.description,
        unit: row.unit,
        tax_rate_id: row.tax_rate_id,
    })
}

/// Active products whose name starts with `query`, by name (at most 100).
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    query: &str,
) -> Result<Vec<ProductView>, AppError> {
    let mut select = product::Entity::find()
        .filter(product::Column::OrganizationId.eq(organization_id))
        .filter(product::Column::ArchivedAt.is_null());
    let prefix = lookup_key(query);
    if !prefix.is_empty() {
        select = select.filter(starts_with(product::Column::NameLookup, &prefix));
    }
    select
        .order_by_asc(product::Column::NameLookup)
        .order_by_asc(product::Column::Id)
        .limit(100)
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(product_view)
        .collect()
}

pub struct NewProduct<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub unit: &'a str,
    pub unit_price: Decimal,
    pub tax_rate_id: Option<Uuid>,
}

pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    new: &NewProduct<'_>,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    if let Some(tax_rate_id) = new.tax_rate_id {
        tax_rate_of(
            &txn,
            scope.organization_id,
            tax_rate_id,
            "tax_rate_id".into(),
        )
        .await?;
    }
    let id = Uuid::new_v4();
    product::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.organization_id),
        name: Set(new.name.to_owned()),
        name_lookup: Set(lookup_key(new.name)),
        description: Set(new.description.to_owned()),
        unit: Set(new.unit.to_owned()),
        unit_price: Set(new.unit_price.normalize().to_string()),
        tax_rate_id: Set(new.tax_rate_id),
        archived_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    let summary = format!("{} at {}", new.name, new.unit_price.normalize());
    audit::record(
        &txn,
        scope,
        Change {
            action: "product.created",
            object_type: "product",
            object_id: id,
            summary,
            customer_id: None,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

pub async fn archive(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let row = product::Entity::find_by_id(id)
        .filter(product::Column::OrganizationId.eq(scope.organization_id))
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let name = row.name.clone();
    let mut active: product::ActiveModel = row.into();
    active.archived_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "product.archived",
            object_type: "product",
            object_id: id,
            summary: name,
            customer_id: None,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}
