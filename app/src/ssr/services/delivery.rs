//! Sending issued documents to their customers (issue 14): one link per
//! recipient per document, the mail queued with the PDF attached, the send
//! recorded in the audit log; and the business's view and revocation of
//! those links.

use crate::api::delivery::{Delivery, DeliveryState};
use crate::components::money::format_money;
use crate::domain::delivery::{
    DEFAULT_MESSAGE, DEFAULT_SUBJECT, MailFacts, check_template, fill, fingerprint, link_expiry,
    parse_recipients,
};
use crate::domain::payout::check_free_text;
use crate::domain::{Email, FieldError};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::Tenant;
use crate::ssr::entities::{invoice as invoice_entity, outgoing_mail, portal_link};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Actor, Change, Scope};
use crate::ssr::services::email_confirmation;
use crate::ssr::services::invoice_views::{self, Printable};
use crate::ssr::services::invoices::find;
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::mail_queue::{self, Queued};
use crate::ssr::tokens::{new_token, sha256_hex};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// A custom message is at most this long.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// "invoice" or "credit note", as a sentence says it.
pub fn document_word(printable: &Printable) -> &'static str {
    if printable.detail.is_credit_note {
        "credit note"
    } else {
        "invoice"
    }
}

/// The mail a recipient gets: the organization's (or this send's) message,
/// then the link, its expiry, the fingerprint and the report link.
struct Letter<'a> {
    printable: &'a Printable,
    subject_template: &'a str,
    message_template: &'a str,
    public_url: &'a str,
}

impl Letter<'_> {
    /// `template` (or `default` when it is empty) with this document's facts.
    fn filled(&self, template: &str, default: &str) -> String {
        let detail = &self.printable.detail;
        let amount = format_money(&detail.currency, detail.total);
        let facts = MailFacts {
            document: document_word(self.printable),
            number: detail.number.as_deref().unwrap_or_default(),
            amount: &amount,
            due_date: detail.due_date,
            organization: &self.printable.seller.name,
        };
        fill(
            if template.is_empty() {
                default
            } else {
                template
            },
            &facts,
        )
    }

    fn subject(&self) -> String {
        // Capitalised: the subject starts a line.
        let subject = self.filled(self.subject_template, DEFAULT_SUBJECT);
        let mut chars = subject.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        })
    }

    fn body(&self, token: &str, expires_at: OffsetDateTime, now: OffsetDateTime) -> String {
        let seal = self
            .printable
            .detail
            .seal_hash
            .as_deref()
            .unwrap_or_default();
        let print = fingerprint(seal);
        let bank_notice =
            crate::domain::payout::change_notice(self.printable.payout_changed_at, now)
                .map(|date| {
                    format!(
                        "Bank details changed on {date}. Before paying into an account you have\n\
                     not paid before, confirm it with {} by a way you already know.\n\n",
                        self.printable.seller.name
                    )
                })
                .unwrap_or_default();
        format!(
            "{message}\n\n\
             ---- Sent for {organization} by its invoicing service ----\n\n\
             {bank_notice}\
             View it online (no account or password needed):\n\
             {url}/portal/d/{token}\n\
             This link works until {expires}.\n\n\
             Fingerprint: {print}\n\
             The PDF's footer and the online page show the same fingerprint\n\
             (the first 16 characters of the seal). If they differ, do not pay.\n\n\
             {organization} will never ask you for a password.\n\n\
             Not expecting this {document}? Report it:\n\
             {url}/report?fingerprint={print}\n",
            message = self.filled(self.message_template, DEFAULT_MESSAGE),
            url = self.public_url,
            expires = expires_at.date(),
            organization = self.printable.seller.name,
            document = document_word(self.printable),
        )
    }
}

/// Sends issued document `id` to `recipients` (comma-separated): for each,
/// the links it had for this document are revoked and a fresh one made,
/// and the mail queued with the PDF attached; `message`, if not blank,
/// replaces the organization's template for this send. Answers how many
/// were queued.
///
/// # Errors
/// `recipients` or `message` invalid; `NotFound` outside the caller's
/// reach; `Conflict` for a draft or a voided document.
pub async fn send(
    state: &AppState,
    scope: &Scope,
    id: Uuid,
    recipients: &str,
    message: &str,
    now: OffsetDateTime,
) -> Result<usize, AppError> {
    let recipients = parse_recipients(recipients)?;
    let message = check_template("message", message, MAX_MESSAGE_CHARS, false)?;
    // Mail to anyone, in the organization's name: only from a confirmed
    // address, and within the organization's daily budget.
    if let Actor::User(user_id) = scope.actor {
        email_confirmation::require_confirmed(&state.db, user_id).await?;
    }
    let tenant = scope.tenant();
    let printable = invoice_views::printable(&state.db, tenant, id, scope.today(now)).await?;
    if printable.detail.number.is_none() {
        return Err(AppError::Conflict(
            "Issue the document before sending it.".into(),
        ));
    }
    if printable.detail.void_reason.is_some() {
        return Err(AppError::Conflict("A voided document is not sent.".into()));
    }
    let settings = audit::settings(&state.db, scope.organization_id).await?;
    // Bank details reach customers only from the payout settings (owners,
    // step-up, announced), never from a message or a stale template.
    check_free_text("message", &message, &settings.bank_iban)?;
    check_free_text("mail_message", &settings.mail_message, &settings.bank_iban).map_err(|_| {
        AppError::Conflict(
            "Your organization's message template names a bank account that is not its payout account: an owner or admin corrects it on the Organization page.".into(),
        )
    })?;
    // Spent only for a send that can happen: a refused one costs nothing.
    for _ in &recipients {
        let budget = Budget::DocumentsFrom {
            organization_id: scope.organization_id,
        };
        if !mail_budgets::spend(&state.db, &state.settings.mail_budgets, budget, now).await? {
            return Err(AppError::Conflict(
                "Your organization has sent as many documents as it may today. Try again tomorrow."
                    .into(),
            ));
        }
    }
    let fonts = state.fonts.clone();
    let printable = std::sync::Arc::new(printable);
    let pdf = {
        let printable = printable.clone();
        tokio::task::spawn_blocking(move || crate::ssr::pdf::render(&fonts, &printable))
            .await
            .map_err(internal)??
    };
    let letter = Letter {
        printable: &printable,
        subject_template: &settings.mail_subject,
        message_template: if message.is_empty() {
            &settings.mail_message
        } else {
            &message
        },
        public_url: &state.settings.public_url,
    };
    let expires_at = link_expiry(
        now,
        printable.detail.due_date,
        u16::try_from(settings.link_days_after_due).unwrap_or(30),
        u16::try_from(settings.link_max_days).unwrap_or(120),
    );
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let row = find(&txn, tenant, id).await?;
    for email in &recipients {
        revoke_for(&txn, id, Some(email), now).await?;
        let token = new_token();
        let link_id = create_link(&txn, &row, email.lookup_key(), &token, expires_at, now).await?;
        let composed = state
            .mailer
            .compose(
                email.as_str(),
                &letter.subject(),
                letter.body(&token, expires_at, now),
                Some((crate::ssr::pdf::file_name(&printable), pdf.clone())),
            )
            .map_err(|error| FieldError::new("recipients", error))?;
        mail_queue::enqueue(
            &txn,
            &state.secrets,
            Queued {
                organization_id: Some(scope.organization_id),
                invoice_id: Some(id),
                portal_link_id: Some(link_id),
                recipient: email.as_str().to_owned(),
                kind: "document",
                message: composed,
            },
            now,
        )
        .await?;
    }
    let mut active: invoice_entity::ActiveModel = row.into();
    active.sent_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    let names: Vec<&str> = recipients.iter().map(Email::as_str).collect();
    audit::record(
        &txn,
        scope,
        Change {
            action: "document.sent",
            object_type: if printable.detail.is_credit_note {
                "credit_note"
            } else {
                "invoice"
            },
            object_id: id,
            summary: format!(
                "{} sent to {}",
                printable.detail.number.as_deref().unwrap_or_default(),
                names.join(", ")
            ),
            customer_id: printable.detail.customer_id.into(),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(recipients.len())
}

/// Issues draft `id`, then sends it to `recipients` with the
/// organization's template; answers its number and how many were queued.
/// The recipients and the sender's confirmed address are checked first,
/// so a send that cannot happen issues nothing.
///
/// # Errors
/// As `invoice_issuing::issue` and [`send`]; a send refused after the
/// issue is a `Conflict` that says the document was issued.
pub async fn issue_and_send(
    state: &AppState,
    scope: &Scope,
    id: Uuid,
    recipients: &str,
    now: OffsetDateTime,
) -> Result<(String, usize), AppError> {
    parse_recipients(recipients)?;
    if let Actor::User(user_id) = scope.actor {
        email_confirmation::require_confirmed(&state.db, user_id).await?;
    }
    let number = crate::ssr::services::invoice_issuing::issue(&state.db, scope, id, now).await?;
    match send(state, scope, id, recipients, "", now).await {
        Ok(count) => Ok((number, count)),
        Err(
            AppError::Conflict(reason)
            | AppError::Invalid {
                message: reason, ..
            },
        ) => Err(AppError::Conflict(format!(
            "Issued as {number}, but not sent: {reason}"
        ))),
        Err(error) => Err(error),
    }
}

/// Stores a new link to `document` for `email` (lower-cased) with
/// `token`'s hash; answers its id.
pub async fn create_link(
    txn: &impl ConnectionTrait,
    document: &invoice_entity::Model,
    email: String,
    token: &str,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    portal_link::ActiveModel {
        id: Set(id),
        organization_id: Set(document.organization_id),
        invoice_id: Set(document.id),
        customer_id: Set(document.customer_id),
        email: Set(email),
        token_hash: Set(sha256_hex(token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        opened_at: Set(None),
    }
    .insert(txn)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// Revokes the live links of document `id` (only `email`'s, when given).
pub async fn revoke_for(
    txn: &impl ConnectionTrait,
    id: Uuid,
    email: Option<&Email>,
    now: OffsetDateTime,
) -> Result<u64, AppError> {
    let mut query = portal_link::Entity::update_many()
        .col_expr(portal_link::Column::RevokedAt, Expr::value(now))
        .filter(portal_link::Column::InvoiceId.eq(id))
        .filter(portal_link::Column::RevokedAt.is_null());
    if let Some(email) = email {
        query = query.filter(portal_link::Column::Email.eq(email.lookup_key()));
    }
    Ok(query.exec(txn).await.map_err(internal)?.rows_affected)
}

/// Revokes every live link of customer `customer_id` sent to one of
/// `removed` (lower-cased addresses just taken off the customer).
pub async fn revoke_addresses(
    txn: &impl ConnectionTrait,
    customer_id: Uuid,
    removed: &[String],
    now: OffsetDateTime,
) -> Result<u64, AppError> {
    if removed.is_empty() {
        return Ok(0);
    }
    let revoked = portal_link::Entity::update_many()
        .col_expr(portal_link::Column::RevokedAt, Expr::value(now))
        .filter(portal_link::Column::CustomerId.eq(customer_id))
        .filter(portal_link::Column::RevokedAt.is_null())
        .filter(portal_link::Column::Email.is_in(removed.iter().cloned()))
        .exec(txn)
        .await
        .map_err(internal)?;
    Ok(revoked.rows_affected)
}

/// Revokes document `id`'s links, `email`'s only or all; an audit event.
///
/// # Errors
/// `NotFound` outside the caller's reach; `email` not an address.
pub async fn revoke(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    email: &str,
    now: OffsetDateTime,
) -> Result<u64, AppError> {
    let email = if email.trim().is_empty() {
        None
    } else {
        Some(Email::parse(email).map_err(|_| FieldError::new("email", "Not an email address."))?)
    };
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let row = find(&txn, scope.tenant(), id).await?;
    let revoked = revoke_for(&txn, id, email.as_ref(), now).await?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "document.links_revoked",
            object_type: if row.kind == crate::ssr::services::invoices::KIND_CREDIT_NOTE {
                "credit_note"
            } else {
                "invoice"
            },
            object_id: id,
            summary: format!(
                "{} links of {} revoked{}",
                revoked,
                row.number.as_deref().unwrap_or_default(),
                email
                    .as_ref()
                    .map(|email| format!(" for {}", email.as_str()))
                    .unwrap_or_default()
            ),
            customer_id: Some(row.customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(revoked)
}

/// Each recipient of document `id`, newest first: the mail's state and
/// the link's.
///
/// # Errors
/// `NotFound` outside the caller's reach.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<Delivery>, AppError> {
    find(db, tenant, id).await?;
    let links = portal_link::Entity::find()
        .filter(portal_link::Column::InvoiceId.eq(id))
        .order_by_desc(portal_link::Column::CreatedAt)
        .all(db)
        .await
        .map_err(internal)?;
    let mails = outgoing_mail::Entity::find()
        .filter(outgoing_mail::Column::InvoiceId.eq(id))
        .all(db)
        .await
        .map_err(internal)?;
    Ok(links
        .into_iter()
        .map(|link| {
            let mail = mails
                .iter()
                .find(|mail| mail.portal_link_id == Some(link.id));
            let state = match mail.map(|mail| mail.state.as_str()) {
                Some(mail_queue::SENT) => DeliveryState::Sent,
                Some(mail_queue::FAILED) => DeliveryState::Failed,
                Some(_) if mail.is_some_and(|mail| mail.attempts > 0) => DeliveryState::Retrying,
                _ => DeliveryState::Queued,
            };
            Delivery {
                link_id: link.id,
                email: link.email,
                state,
                error: mail.and_then(|mail| mail.last_error.clone()),
                attempts: mail.map_or(0, |mail| mail.attempts),
                sent_at: mail.and_then(|mail| mail.sent_at),
                created_at: link.created_at,
                expires_at: link.expires_at,
                revoked: link.revoked_at.is_some(),
                expired: link.expires_at <= now,
                opened_at: link.opened_at,
            }
        })
        .collect())
}
