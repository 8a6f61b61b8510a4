//! Customers: the people and companies an organization invoices.

// A server function takes one argument per form field (so that the form works
// without JavaScript too); the customer form has eight, and the attribute
// must sit here to reach the code the `#[server]` macro generates.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: Uuid,
    pub name: String,
    pub emails: String,
    pub address: String,
    pub tax_id: String,
    pub currency: String,
    pub payment_terms_days: i32,
    pub notes: String,
    pub archived: bool,
}

/// One page of customers, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub rows: Vec<CustomerView>,
    /// Pass as `after` for the next page.
    pub next_after: Option<Uuid>,
}

/// Customers whose name starts with `query` (any case), by name.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "customers/list")]
pub async fn list_customers(
    #[server(default)] query: String,
    #[server(default)] after: Option<Uuid>,
    #[server(default)] include_archived: bool,
) -> Result<CustomerPage, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::customers};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::CustomersRead).await?;
        customers::list(
            &request.state.db,
            member.tenant(),
            &query,
            after,
            include_archived,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "customers/get")]
pub async fn get_customer(id: Uuid) -> Result<CustomerView, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::customers};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::CustomersRead).await?;
        customers::get(&request.state.db, member.tenant(), id).await
    }
    .await;
    request.respond(result)
}

/// Creates a customer (no `id`) or changes one; answers its id.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "customers/save")]
pub async fn save_customer(
    #[server(default)] id: Option<Uuid>,
    name: String,
    #[server(default)] emails: String,
    #[server(default)] address: String,
    #[server(default)] tax_id: String,
    currency: String,
    #[server(default)] payment_terms_days: String,
    #[server(default)] notes: String,
) -> Result<Uuid, AppError> {
    use crate::domain::Permission;
    use crate::domain::customer::{CustomerDetails, CustomerInput};
    use crate::ssr::{request::RequestContext, services::customers};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::CustomersWrite).await?;
        let details = CustomerDetails::parse(&CustomerInput {
            name: &name,
            emails: &emails,
            address: &address,
            tax_id: &tax_id,
            currency: &currency,
            payment_terms_days: &payment_terms_days,
            notes: &notes,
        })?;
        let now = request.now();
        customers::save(
            &request.state.db,
            &request.audit_scope(&member),
            id,
            &details,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Archives a customer (hidden from pickers, history kept) or restores one.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "customers/archive")]
pub async fn archive_customer(id: Uuid, archived: bool) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::customers};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::CustomersWrite).await?;
        let now = request.now();
        customers::archive(
            &request.state.db,
            &request.audit_scope(&member),
            id,
            archived,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}
