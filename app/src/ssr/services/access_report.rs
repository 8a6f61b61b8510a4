//! Who can see a customer (by role and customer limit) and who did (from
//! the audit log).

use crate::api::team::{CanSee, CustomerAccess, CustomerRef, DidSee};
use crate::domain::Permission;
use crate::error::AppError;
use crate::ssr::access::{Tenant, role_of};
use crate::ssr::entities::{audit_event, membership_customer};
use crate::ssr::errors::internal;
use crate::ssr::services::{audit_log, customers, team};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;
use uuid::Uuid;

const ACTIVITY_LIMIT: u64 = 100;

pub async fn report(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    customer_id: Uuid,
) -> Result<CustomerAccess, AppError> {
    let customer = customers::find(db, tenant, customer_id).await?;
    let members = team::members(db, tenant.organization_id).await?;
    let listing: HashSet<Uuid> = membership_customer::Entity::find()
        .select_only()
        .column(membership_customer::Column::MembershipId)
        .filter(membership_customer::Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .collect();
    let mut can_see = Vec::new();
    for (row, account) in members {
        let (role, permissions) = role_of(db, &row).await?;
        let reads = permissions.contains(Permission::CustomersRead)
            || permissions.contains(Permission::InvoicesRead);
        let reaches = !row.limited_to_customers || listing.contains(&row.id);
        if reads && reaches {
            can_see.push(CanSee {
                name: account.name,
                email: account.email,
                role_label: role.label(),
                reach: if row.limited_to_customers {
                    "listed".into()
                } else {
                    "every customer".into()
                },
            });
        }
    }
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(tenant.organization_id))
        .filter(audit_event::Column::CustomerId.eq(customer_id))
        .order_by_desc(audit_event::Column::Seq)
        .limit(ACTIVITY_LIMIT)
        .all(db)
        .await
        .map_err(internal)?;
    let names = audit_log::actor_names(db, &events).await?;
    let activity = events
        .into_iter()
        .map(|event| DidSee {
            who: audit_log::actor_label(&event, &names),
            at: event.occurred_at.unix_timestamp(),
            action: event.action,
            summary: event.summary,
        })
        .collect();
    Ok(CustomerAccess {
        customer: CustomerRef {
            id: customer.id,
            name: customer.name,
        },
        can_see,
        activity,
    })
}
