//! Customers of an organization. Every query is scoped to the caller's
//! organization: another organization's id is answered as not found.

use crate::api::customers::{CustomerPage, CustomerView};
use crate::domain::customer::CustomerDetails;
use crate::error::AppError;
use crate::ssr::access::{CustomerReach, Tenant};
use crate::ssr::entities::{customer, invoice, membership_customer};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

pub const PAGE_SIZE: u64 = 50;

/// Customer ids per name lookup: a query that sends at most about 9 KB.
/// sqlx 0.9.0 does not set `TCP_NODELAY` on its PostgreSQL connections
/// (transact-rs/sqlx#4335; fixed upstream, unreleased), so a query whose
/// bytes leave in two writes (more than one 16 KiB TLS record: an export
/// page's 1,000 ids made 20 KB) holds its last part back until the server
/// acknowledges the first (Nagle's algorithm, RFC 896), which Linux delays
/// by 40 ms: about 8 of the 12 s a 200,000-invoice export took on
/// PostgreSQL were spent so (`strace` and process CPU times, 2026-12-02).
const NAMES_PER_QUERY: usize = 400;

/// The names of the organization's customers that `ids` name (duplicates
/// allowed), by id, in queries of at most [`NAMES_PER_QUERY`] ids; an id
/// of no customer of the organization is left out.
///
/// # Errors
/// [`AppError::Internal`] when the database fails.
pub async fn names_by_id(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    mut ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, String>, AppError> {
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(NAMES_PER_QUERY) {
        names.extend(
            customer::Entity::find()
                .select_only()
                .column(customer::Column::Id)
                .column(customer::Column::Name)
                .filter(customer::Column::OrganizationId.eq(organization_id))
                .filter(customer::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple::<(Uuid, String)>()
                .all(db)
                .await
                .map_err(internal)?,
        );
    }
    Ok(names)
}

fn view(row: customer::Model) -> CustomerView {
    CustomerView {
        id: row.id,
        name: row.name,
        emails: row.emails,
        address: row.address,
        tax_id: row.tax_id,
        currency: row.currency,
        payment_terms_days: row.payment_terms_days,
        notes: row.notes,
        archived: row.archived_at.is_some(),
    }
}

/// The lookup form of a name or a search: lower case, for prefix search.
pub fn lookup_key(text: &str) -> String {
    text.trim().to_lowercase()
}

/// `column LIKE 'prefix%'`, with the prefix's own `%`, `_` and `\`
/// escaped. (A range on the column would depend on the database's
/// collation; LIKE means the same on every engine.)
pub fn starts_with(column: impl sea_orm::sea_query::IntoColumnRef, prefix: &str) -> SimpleExpr {
    let escaped: String = prefix
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            other => vec![other],
        })
        .collect();
    Expr::col(column).like(LikeExpr::new(format!("{escaped}%")).escape('\\'))
}

/// The customer `id`, if the tenant may reach it; otherwise `NotFound`
/// (another organization's customer, or one outside a member's list).
pub async fn find(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
) -> Result<customer::Model, AppError> {
    customer::Entity::find_by_id(id)
        .filter(customer::Column::OrganizationId.eq(tenant.organization_id))
        .filter(tenant.customers.covers(customer::Column::Id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

pub async fn get(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
) -> Result<CustomerView, AppError> {
    find(db, tenant, id).await.map(view)
}

/// A page of customers by name whose name starts with `query`; keyset
/// pagination on (name, id), so a deep page costs what the first one does.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    query: &str,
    after: Option<Uuid>,
    include_archived: bool,
) -> Result<CustomerPage, AppError> {
    let mut select = customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(tenant.organization_id))
        .filter(tenant.customers.covers(customer::Column::Id));
    let prefix = lookup_key(query);
    if !prefix.is_empty() {
        select = select.filter(starts_with(customer::Column::NameLookup, &prefix));
    }
    if !include_archived {
        select = select.filter(customer::Column::ArchivedAt.is_null());
    }
    if let Some(after) = after {
        let last = find(db, tenant, after).await?;
        select = select.filter(
            Condition::any()
                .add(customer::Column::NameLookup.gt(last.name_lookup.clone()))
                .add(
                    Condition::all()
                        .add(customer::Column::NameLookup.eq(last.name_lookup))
                        .add(customer::Column::Id.gt(last.id)),
                ),
        );
    }
    let mut rows = select
        .order_by_asc(customer::Column::NameLookup)
        .order_by_asc(customer::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await
        .map_err(internal)?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_after = more.then(|| rows.last().map(|row| row.id)).flatten();
    Ok(CustomerPage {
        rows: rows.into_iter().map(view).collect(),
        next_after,
    })
}

/// "field: old → new" for each changed field.
fn changes(old: &customer::Model, new: &CustomerDetails) -> String {
    let mut parts = Vec::new();
    let mut compare = |field: &str, before: String, after: String| {
        if before != after {
            parts.push(format!("{field}: “{before}” → “{after}”"));
        }
    };
    compare("name", old.name.clone(), new.name.clone());
    compare("emails", old.emails.clone(), new.emails_text());
    compare("address", old.address.clone(), new.address.clone());
    compare("tax id", old.tax_id.clone(), new.tax_id.clone());
    compare(
        "currency",
        old.currency.clone(),
        new.currency.code().to_owned(),
    );
    compare(
        "payment terms",
        old.payment_terms_days.to_string(),
        new.payment_terms_days.to_string(),
    );
    compare("notes", old.notes.clone(), new.notes.clone());
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    }
}

pub async fn save(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Option<Uuid>,
    details: &CustomerDetails,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    let settings = audit::lock(&txn, scope.organization_id).await?;
    // Printed on every document of the customer: no bank account but the
    // payout account (`domain::payout::check_free_text`).
    crate::domain::payout::check_all_free_text(
        [
            ("name", details.name.as_str()),
            ("address", details.address.as_str()),
            ("tax_id", details.tax_id.as_str()),
        ],
        &settings.bank_iban,
    )?;
    let (id, change) = match id {
        Some(id) => {
            let existing = find(&txn, scope.tenant(), id).await?;
            // Each document keeps its currency for good; a customer's
            // currency is fixed once any document was written for them, so
            // new ones (and credit notes) cannot silently differ.
            if existing.currency != details.currency.code() {
                let documents = invoice::Entity::find()
                    .filter(invoice::Column::OrganizationId.eq(scope.organization_id))
                    .filter(invoice::Column::CustomerId.eq(id))
                    .count(&txn)
                    .await
                    .map_err(internal)?;
                if documents > 0 {
                    return Err(crate::domain::FieldError::new(
                        "currency",
                        format!(
                            "{} already has documents in {}; add a new customer to bill in another currency.",
                            existing.name, existing.currency
                        ),
                    )
                    .into());
                }
            }
            let summary = changes(&existing, details);
            let removed: Vec<String> = existing
                .emails
                .split([',', ';', '\n'])
                .filter_map(|part| crate::domain::Email::parse(part).ok())
                .map(|email| email.lookup_key())
                .filter(|old| !details.emails.iter().any(|new| new.lookup_key() == *old))
                .collect();
            let mut active: customer::ActiveModel = existing.into();
            fill(&mut active, details);
            active.updated_at = Set(now);
            active.update(&txn).await.map_err(internal)?;
            // An address taken off the customer loses its document links
            // and its portal sessions.
            crate::ssr::services::delivery::revoke_addresses(&txn, id, &removed, now).await?;
            crate::ssr::services::portal_access::end_for_addresses(&txn, id, &removed, now).await?;
            (
                id,
                Change {
                    action: "customer.updated",
                    object_type: "customer",
                    object_id: id,
                    summary,
                    customer_id: Some(id),
                },
            )
        }
        None => {
            let id = Uuid::new_v4();
            let mut active = customer::ActiveModel {
                id: Set(id),
                organization_id: Set(scope.organization_id),
                archived_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            fill(&mut active, details);
            active.insert(&txn).await.map_err(internal)?;
            // A member limited to some customers keeps what they create
            // within reach.
            if let CustomerReach::Listed { membership_id } = scope.customers {
                membership_customer::ActiveModel {
                    membership_id: Set(membership_id),
                    customer_id: Set(id),
                }
                .insert(&txn)
                .await
                .map_err(internal)?;
            }
            let summary = format!("{} ({})", details.name, details.currency.code());
            (
                id,
                Change {
                    action: "customer.created",
                    object_type: "customer",
                    object_id: id,
                    summary,
                    customer_id: Some(id),
                },
            )
        }
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

fn fill(active: &mut customer::ActiveModel, details: &CustomerDetails) {
    active.name = Set(details.name.clone());
    active.name_lookup = Set(lookup_key(&details.name));
    active.emails = Set(details.emails_text());
    active.address = Set(details.address.clone());
    active.tax_id = Set(details.tax_id.clone());
    active.currency = Set(details.currency.code().to_owned());
    active.payment_terms_days = Set(i32::from(details.payment_terms_days));
    active.notes = Set(details.notes.clone());
}

pub async fn archive(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    archived: bool,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let existing = find(&txn, scope.tenant(), id).await?;
    let name = existing.name.clone();
    let mut active: customer::ActiveModel = existing.into();
    active.archived_at = Set(archived.then_some(now));
    active.updated_at = Set(now);
    active.update(&txn).await.map_err(internal)?;
    let action = if archived {
        "customer.archived"
    } else {
        "customer.restored"
    };
    audit::record(
        &txn,
        scope,
        Change {
            action,
            object_type: "customer",
            object_id: id,
            summary: name,
            customer_id: Some(id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}
