//! Reports of suspicious documents (issue 14): anyone holding a mail's
//! fingerprint (or a link) can say "I don't know this sender", "I didn't
//! expect this", "the bank details look changed". A report is stored, the
//! matched organization's owners and the instance's security contact are
//! mailed, and the operator can freeze the document's links.

use crate::domain::Role;
use crate::domain::delivery::ReportReason;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::CustomerReach;
use crate::ssr::calendar::OrgTimeZone;
use crate::ssr::entities::{
    invoice as invoice_entity, membership, organization, portal_link, suspicious_report, user,
};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Actor, Change, Scope};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::mail_queue::{self, Queued};
use crate::ssr::tokens::sha256_hex;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// A report as the form sends it.
pub struct NewReport<'a> {
    /// A fingerprint (16 hex digits) or a document number.
    pub reference: &'a str,
    pub reason: &'a str,
    pub details: &'a str,
    /// The link's token when the form was reached from a document's page.
    pub token: &'a str,
    pub client_ip: &'a str,
    /// Whose hourly budget the report spends: the client address (an IPv6
    /// /64, as `client::limit_key` groups it).
    pub budget_key: &'a str,
    pub request_id: &'a str,
}

/// At most this many documents are told about one fingerprint.
const MAX_MATCHES: u64 = 5;

/// The documents a report is about: the one whose link it came through,
/// else every document whose seal starts with the fingerprint (a cloned
/// document has the same seal, so several organizations may match; each
/// is told), at most [`MAX_MATCHES`].
async fn match_documents(
    db: &DatabaseConnection,
    report: &NewReport<'_>,
) -> Result<Vec<(invoice_entity::Model, Option<portal_link::Model>)>, AppError> {
    if !report.token.is_empty() {
        let link = portal_link::Entity::find()
            .filter(portal_link::Column::TokenHash.eq(sha256_hex(report.token)))
            .one(db)
            .await
            .map_err(internal)?;
        if let Some(link) = link {
            let document = invoice_entity::Entity::find_by_id(link.invoice_id)
                .one(db)
                .await
                .map_err(internal)?;
            return Ok(document
                .map(|document| (document, Some(link)))
                .into_iter()
                .collect());
        }
    }
    let print = report.reference.trim().to_ascii_lowercase();
    if print.len() == 16 && print.bytes().all(|b| b.is_ascii_hexdigit()) {
        let found = invoice_entity::Entity::find()
            .filter(invoice_entity::Column::SealHash.starts_with(print.as_str()))
            // The first issued (the original, when others are copies of it).
            .order_by_asc(invoice_entity::Column::IssuedAt)
            .order_by_asc(invoice_entity::Column::Id)
            .limit(MAX_MATCHES)
            .all(db)
            .await
            .map_err(internal)?;
        return Ok(found.into_iter().map(|document| (document, None)).collect());
    }
    Ok(Vec::new())
}

/// The owners' addresses of `organization_id`.
pub(crate) async fn owner_emails(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<String>, AppError> {
    let user_ids: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|row| row.email)
        .collect())
}

/// An owners' notice: what it says and which kind of mail it is.
pub(crate) struct OwnerNotice<'a> {
    pub subject: &'a str,
    pub body: String,
    /// `outgoing_mail.kind`: `payout_changed`, `delivery_changed`, …
    pub kind: &'static str,
}

/// Queues `notice` to every owner of `organization_id`, inside the
/// caller's transaction (the caller wakes the queue after committing).
pub(crate) async fn mail_owners(
    txn: &impl ConnectionTrait,
    state: &AppState,
    organization_id: Uuid,
    notice: OwnerNotice<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    for owner in owner_emails(txn, organization_id).await? {
        let Ok(message) = state
            .mailer
            .compose(&owner, notice.subject, notice.body.clone(), None)
        else {
            continue;
        };
        mail_queue::enqueue(
            txn,
            &state.secrets,
            Queued {
                organization_id: Some(organization_id),
                invoice_id: None,
                portal_link_id: None,
                recipient: owner,
                kind: notice.kind,
                message,
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Stores a report and mails the owners and the security contact; answers
/// its id. Past the client's hourly budget the report is refused.
///
/// # Errors
/// `reason` not offered, `details` over 2000 characters, `reference` over
/// 100; `RateLimited`.
pub async fn submit(
    state: &AppState,
    report: &NewReport<'_>,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let reason = ReportReason::parse(report.reason)?;
    let details = report.details.trim();
    if details.chars().count() > 2000 {
        return Err(
            crate::domain::FieldError::new("details", "Use at most 2000 characters.").into(),
        );
    }
    let reference = report.reference.trim();
    if reference.chars().count() > 100 || reference.chars().any(char::is_control) {
        return Err(crate::domain::FieldError::new(
            "reference",
            "Enter the fingerprint or number from the mail.",
        )
        .into());
    }
    let db = &state.db;
    if !mail_budgets::spend(
        db,
        &state.settings.mail_budgets,
        Budget::ReportFrom {
            client: report.budget_key,
        },
        now,
    )
    .await?
    {
        return Err(AppError::RateLimited);
    }
    let matches = match_documents(db, report).await?;
    let first_id = Uuid::new_v4();
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    let label = reason.label();
    let mut outgoing: Vec<(Option<Uuid>, Option<Uuid>, String, String)> = Vec::new();
    // What the reporter typed is quoted, so it cannot pass for our words.
    let quoted: String = if details.is_empty() {
        "> (none)\n".to_owned()
    } else {
        details.lines().map(|line| format!("> {line}\n")).collect()
    };
    let body_for = |number: &str, id: Uuid| {
        format!(
            "A recipient reported {number} as suspicious.\n\n\
             Reason: {label}\nReference: {reference:?}\nReport: {id}\n\
             What they wrote (not checked by anyone):\n{quoted}\n\
             If you did not send this document, someone may be impersonating you:\n\
             the instance's operator can freeze its links (`ledgerlock reports freeze {id}`).\n"
        )
    };
    let store =
        |id: Uuid, document: Option<&invoice_entity::Model>, link: Option<&portal_link::Model>| {
            suspicious_report::ActiveModel {
                id: Set(id),
                organization_id: Set(document.map(|document| document.organization_id)),
                invoice_id: Set(document.map(|document| document.id)),
                reference: Set(reference.to_owned()),
                reason: Set(reason.as_str().to_owned()),
                details: Set(details.to_owned()),
                reporter: Set(link.map(|link| link.email.clone())),
                client_ip: Set(report.client_ip.to_owned()),
                created_at: Set(now),
            }
        };
    if matches.is_empty() {
        store(first_id, None, None)
            .insert(&txn)
            .await
            .map_err(internal)?;
        if let Some(contact) = &state.settings.security_contact {
            outgoing.push((
                None,
                None,
                contact.clone(),
                body_for("an unknown document", first_id),
            ));
        }
    }
    let mut contact_notes: Vec<String> = Vec::new();
    for (index, (document, link)) in matches.iter().enumerate() {
        let id = if index == 0 { first_id } else { Uuid::new_v4() };
        store(id, Some(document), link.as_ref())
            .insert(&txn)
            .await
            .map_err(internal)?;
        let number = document.number.clone().unwrap_or_default();
        let zone = organization::Entity::find_by_id(document.organization_id)
            .one(&txn)
            .await
            .map_err(internal)?
            .map_or_else(OrgTimeZone::utc, |org| OrgTimeZone::stored(&org.time_zone));
        let scope = Scope {
            organization_id: document.organization_id,
            actor: link
                .as_ref()
                .map_or(Actor::System, |link| Actor::Customer(link.id)),
            request_id: report.request_id.to_owned(),
            client_ip: report.client_ip.to_owned(),
            customers: CustomerReach::All,
            time_zone: zone,
        };
        audit::lock(&txn, document.organization_id).await?;
        audit::record(
            &txn,
            &scope,
            Change {
                action: "document.reported",
                object_type: "invoice",
                object_id: document.id,
                summary: format!(
                    "{number} reported as suspicious ({label}){}",
                    link.as_ref()
                        .map(|link| format!(" by customer contact {}", link.email))
                        .unwrap_or_default()
                ),
                customer_id: Some(document.customer_id),
            },
            now,
        )
        .await?;
        let body = body_for(&number, id);
        for owner in owner_emails(&txn, document.organization_id).await? {
            outgoing.push((
                Some(document.organization_id),
                Some(document.id),
                owner,
                body.clone(),
            ));
        }
        contact_notes.push(body);
    }
    // The security contact gets one mail per report, however many
    // documents it matched.
    if let (Some(contact), false) = (&state.settings.security_contact, contact_notes.is_empty()) {
        outgoing.push((None, None, contact.clone(), contact_notes.join("\n---\n\n")));
    }
    for (organization_id, invoice_id, recipient, body) in outgoing {
        let Ok(message) =
            state
                .mailer
                .compose(&recipient, "Suspicious document reported", body, None)
        else {
            continue;
        };
        mail_queue::enqueue(
            &txn,
            &state.secrets,
            Queued {
                organization_id,
                invoice_id,
                portal_link_id: None,
                recipient,
                kind: "report",
                message,
            },
            now,
        )
        .await?;
    }
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(first_id)
}

/// Reports about `organization_id`'s documents, newest first (at most 200).
pub async fn for_organization(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<suspicious_report::Model>, AppError> {
    suspicious_report::Entity::find()
        .filter(suspicious_report::Column::OrganizationId.eq(organization_id))
        .order_by_desc(suspicious_report::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await
        .map_err(internal)
}

/// Every report on the instance, newest first (the operator's list).
pub async fn all(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<suspicious_report::Model>, AppError> {
    suspicious_report::Entity::find()
        .order_by_desc(suspicious_report::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
        .map_err(internal)
}

/// Freezes the links of report `id`'s document: they show "under review".
/// Answers the document's id, or `None` when the report matched none.
///
/// # Errors
/// `NotFound`: no such report.
pub async fn freeze(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<Uuid>, AppError> {
    let report = suspicious_report::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let Some(invoice_id) = report.invoice_id else {
        return Ok(None);
    };
    invoice_entity::Entity::update_many()
        .col_expr(invoice_entity::Column::LinksFrozenAt, Expr::value(now))
        .filter(invoice_entity::Column::Id.eq(invoice_id))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(Some(invoice_id))
}
