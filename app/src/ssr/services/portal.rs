//! What a recipient's link opens (issue 14): that one document, as long as
//! the link is live and the document not frozen; an expired link can ask
//! for a fresh one, sent only to the address it was sent to and only while
//! that address is still on the customer.
//!
//! A recipient is recorded in the organization's audit chain as the actor
//! "customer" (the id is the link's; the summary names the address).

use crate::domain::Email;
use crate::domain::delivery::link_expiry;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::{CustomerReach, Tenant};
use crate::ssr::calendar::OrgTimeZone;
use crate::ssr::entities::{invoice as invoice_entity, organization, portal_link, portal_session};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Actor, Change, Scope};
use crate::ssr::services::delivery::{self, document_word};
use crate::ssr::services::invoice_views::{self, Printable};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::mail_queue::{self, Queued};
use crate::ssr::services::portal_access;
use crate::ssr::tokens::{new_token, sha256_hex};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

/// What a link opens.
pub enum Opened {
    Document {
        printable: Box<Printable>,
        link: portal_link::Model,
    },
    /// The link was real but its time is over: the page offers a new one.
    Expired { organization: String },
    /// The organization asks for a code even for one document, and this
    /// browser has no portal session for the link's recipient.
    NeedsCode { organization: String },
    /// The operator froze the document's links while a report is examined.
    UnderReview,
    /// Unknown or revoked: the same neutral answer for both.
    Invalid,
}

/// A customer contact as the audit chain's actor: "customer" with
/// `actor_id` (a link's or a portal session's id); summaries name the
/// address.
pub(crate) fn contact_scope(
    organization_id: Uuid,
    actor_id: Uuid,
    time_zone: OrgTimeZone,
    visit: &Visit<'_>,
) -> Scope {
    Scope {
        organization_id,
        actor: Actor::Customer(actor_id),
        request_id: visit.request_id.to_owned(),
        client_ip: visit.client_ip.to_owned(),
        customers: CustomerReach::All,
        time_zone,
    }
}

/// The organization's calendar and name.
pub(crate) async fn zone_and_name(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<(OrgTimeZone, String), AppError> {
    let organization = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    Ok((
        OrgTimeZone::stored(&organization.time_zone),
        organization.name,
    ))
}

/// A link that opens its document now.
pub struct LiveLink {
    pub link: portal_link::Model,
    pub organization: String,
    pub time_zone: OrgTimeZone,
}

/// The link with `token` if it is live at `now`: known, not revoked, not
/// expired, its document not frozen.
///
/// # Errors
/// Internal only.
pub async fn live_link(
    db: &DatabaseConnection,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<LiveLink>, AppError> {
    let Some(link) = find_link(db, token).await? else {
        return Ok(None);
    };
    if link.revoked_at.is_some() || link.expires_at <= now {
        return Ok(None);
    }
    let frozen = invoice_entity::Entity::find_by_id(link.invoice_id)
        .one(db)
        .await
        .map_err(internal)?
        .is_none_or(|document| document.links_frozen_at.is_some());
    if frozen {
        return Ok(None);
    }
    let (time_zone, organization) = zone_and_name(db, link.organization_id).await?;
    Ok(Some(LiveLink {
        link,
        organization,
        time_zone,
    }))
}

async fn find_link(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<portal_link::Model>, AppError> {
    // A real token is 43 URL-safe characters; anything else is not looked up.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    portal_link::Entity::find()
        .filter(portal_link::Column::TokenHash.eq(sha256_hex(token)))
        .one(db)
        .await
        .map_err(internal)
}

/// Records a recipient's view or download (`change`, by `scope`'s actor,
/// a link or a portal session) at most once an hour per document
/// ([`audit::record_read`]): reloading a page cannot grow the
/// organization's audit chain. `link`, when given, gets its "opened" time
/// with the event.
///
/// # Errors
/// Internal only.
pub(crate) async fn record_at_most_hourly(
    db: &DatabaseConnection,
    scope: &Scope,
    change: Change,
    link: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    if !matches!(scope.actor, Actor::Customer(_)) {
        return Ok(());
    }
    audit::record_read(db, scope, change, now, async |txn| {
        if let Some(link) = link {
            portal_link::Entity::update_many()
                .col_expr(portal_link::Column::OpenedAt, Expr::value(now))
                .filter(portal_link::Column::Id.eq(link))
                .exec(txn)
                .await
                .map_err(internal)?;
        }
        Ok(())
    })
    .await?;
    Ok(())
}

/// Where a request came from, for the audit chain.
pub struct Visit<'a> {
    pub request_id: &'a str,
    pub client_ip: &'a str,
}

/// The link with `token` when its document opens for a browser with
/// portal session `session` at `now`: live, not frozen, and where the
/// organization asks for a code, covered by the session. Otherwise the
/// answer to give instead. Nothing is recorded.
///
/// # Errors
/// Internal only.
pub async fn access(
    db: &DatabaseConnection,
    token: &str,
    session: Option<&portal_session::Model>,
    now: OffsetDateTime,
) -> Result<Result<LiveLink, Opened>, AppError> {
    let Some(link) = find_link(db, token).await? else {
        return Ok(Err(Opened::Invalid));
    };
    if link.revoked_at.is_some() {
        return Ok(Err(Opened::Invalid));
    }
    let Some(document) = invoice_entity::Entity::find_by_id(link.invoice_id)
        .one(db)
        .await
        .map_err(internal)?
    else {
        return Ok(Err(Opened::Invalid));
    };
    if document.links_frozen_at.is_some() {
        return Ok(Err(Opened::UnderReview));
    }
    let (time_zone, organization) = zone_and_name(db, link.organization_id).await?;
    if link.expires_at <= now {
        return Ok(Err(Opened::Expired { organization }));
    }
    let signed_in = session.is_some_and(|session| {
        portal_access::covers(session, link.organization_id, link.customer_id, &link.email)
    });
    if !signed_in
        && audit::settings(db, link.organization_id)
            .await?
            .portal_require_code
    {
        return Ok(Err(Opened::NeedsCode { organization }));
    }
    Ok(Ok(LiveLink {
        link,
        organization,
        time_zone,
    }))
}

/// Opens the link with `token` at `now` for a browser with portal session
/// `session` (if any); a document view is recorded (`action`:
/// `document.viewed` or `document.downloaded`).
///
/// # Errors
/// Internal only: every kind of bad link is an [`Opened`] answer.
pub async fn open(
    db: &DatabaseConnection,
    token: &str,
    action: &'static str,
    session: Option<&portal_session::Model>,
    visit: &Visit<'_>,
    now: OffsetDateTime,
) -> Result<Opened, AppError> {
    let (link, time_zone) = match access(db, token, session, now).await? {
        Ok(live) => (live.link, live.time_zone),
        Err(answer) => return Ok(answer),
    };
    let tenant = Tenant {
        organization_id: link.organization_id,
        customers: CustomerReach::All,
    };
    let printable =
        invoice_views::printable(db, tenant, link.invoice_id, time_zone.today(now)).await?;
    let scope = contact_scope(link.organization_id, link.id, time_zone, visit);
    let change = Change {
        action,
        object_type: if printable.detail.is_credit_note {
            "credit_note"
        } else {
            "invoice"
        },
        object_id: link.invoice_id,
        summary: format!(
            "{} {} by customer contact {}",
            printable.detail.number.as_deref().unwrap_or_default(),
            if action == "document.viewed" {
                "opened"
            } else {
                "downloaded as PDF"
            },
            link.email
        ),
        customer_id: Some(link.customer_id),
    };
    record_at_most_hourly(db, &scope, change, Some(link.id), now).await?;
    Ok(Opened::Document {
        printable: Box::new(printable),
        link,
    })
}

/// "Email me a new link": when `token`'s link is real, expired (a live
/// link needs no renewal), not revoked, its document neither frozen nor
/// void, and its address still one of the customer's, a fresh link goes to
/// that address (never to one typed on the page), within the address's
/// hourly mail budget. The checks that a business can change (revocation,
/// the customer's addresses, freezing) are made again under the
/// organization's lock, so a revocation that commits first always wins.
/// The caller answers the same whatever happened.
///
/// # Errors
/// Internal only.
pub async fn renew(
    state: &AppState,
    token: &str,
    visit: &Visit<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let db = &state.db;
    let Some(link) = find_link(db, token).await? else {
        return Ok(());
    };
    if link.revoked_at.is_some() || link.expires_at > now {
        return Ok(());
    }
    let Ok(email) = Email::parse(&link.email) else {
        return Ok(());
    };
    if !mail_budgets::spend(
        db,
        &state.settings.mail_budgets,
        Budget::LinkTo {
            email_lookup: &email.lookup_key(),
        },
        now,
    )
    .await?
    {
        return Ok(());
    }
    let (time_zone, _) = zone_and_name(db, link.organization_id).await?;
    let tenant = Tenant {
        organization_id: link.organization_id,
        customers: CustomerReach::All,
    };
    let printable =
        invoice_views::printable(db, tenant, link.invoice_id, time_zone.today(now)).await?;
    let settings = audit::settings(db, link.organization_id).await?;
    let expires_at = link_expiry(
        now,
        printable.detail.due_date,
        u16::try_from(settings.link_days_after_due).unwrap_or(30),
        u16::try_from(settings.link_max_days).unwrap_or(120),
    );
    let fresh = new_token();
    let scope = contact_scope(link.organization_id, link.id, time_zone, visit);
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, link.organization_id).await?;
    // Again, under the lock every revocation and customer edit takes.
    let still_live = portal_link::Entity::find_by_id(link.id)
        .one(&txn)
        .await
        .map_err(internal)?
        .is_some_and(|row| row.revoked_at.is_none());
    let document = invoice_entity::Entity::find_by_id(link.invoice_id)
        .one(&txn)
        .await
        .map_err(internal)?
        .filter(|row| row.links_frozen_at.is_none() && row.voided_at.is_none());
    let on_file = portal_access::address_on_file(&txn, link.customer_id, &link.email).await?;
    let Some(document) = document.filter(|_| still_live && on_file) else {
        return Ok(());
    };
    delivery::revoke_for(&txn, link.invoice_id, Some(&email), now).await?;
    let link_id =
        delivery::create_link(&txn, &document, link.email.clone(), &fresh, expires_at, now).await?;
    let number = printable.detail.number.clone().unwrap_or_default();
    let body = format!(
        "Hello,\n\nhere is a new link to {document} {number} from {organization}\n\
         (no account or password needed):\n{url}/portal/d/{fresh}\n\
         This link works until {expires}.\n\n\
         You receive this because someone asked for a new link on the page of\n\
         an expired one. If that was not you, you can ignore this message.\n\n\
         {organization} will never ask you for a password.\n",
        document = document_word(&printable),
        organization = printable.seller.name,
        url = state.settings.public_url,
        expires = expires_at.date(),
    );
    let composed = state
        .mailer
        .compose(
            email.as_str(),
            &format!("A new link to {} {number}", document_word(&printable)),
            body,
            None,
        )
        .map_err(|error| internal(anyhow::anyhow!(error)))?;
    mail_queue::enqueue(
        &txn,
        &state.secrets,
        Queued {
            organization_id: Some(link.organization_id),
            invoice_id: Some(link.invoice_id),
            portal_link_id: Some(link_id),
            recipient: email.as_str().to_owned(),
            kind: "document_link",
            message: composed,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        &scope,
        Change {
            action: "document.link_renewed",
            object_type: "invoice",
            object_id: link.invoice_id,
            summary: format!("{number}: new link for customer contact {}", link.email),
            customer_id: Some(link.customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(())
}
