//! The secrets key's rotation (issue 15): `ledgerlock keys status` counts
//! the stored ciphertexts under each key; `ledgerlock keys rotate` puts a
//! new key first in the key file and re-encrypts every stored secret under
//! it (TOTP seeds, queued mail, Stripe secrets), 100 rows at a time.
//!
//! Each row is rewritten only if its ciphertext is still the one read, so a
//! secret changed meanwhile keeps its new value, and a rotation stopped
//! half-way (a crash, Ctrl-C) is finished by running `keys rotate --resume`:
//! rows already under the current key are skipped. Older keys stay in the
//! file, so every ciphertext decrypts at every moment.

use crate::error::AppError;
use crate::ssr::crypto::SecretBox;
use crate::ssr::errors::internal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A column of sealed secrets: its table, the row's id column, and the
/// associated data each ciphertext was sealed with.
struct SealedColumn {
    table: &'static str,
    id: &'static str,
    column: &'static str,
    associated_data: fn(Uuid) -> String,
}

const SEALED: [SealedColumn; 4] = [
    SealedColumn {
        table: "totp_factors",
        id: "id",
        column: "secret_sealed",
        associated_data: |id| format!("totp:{id}"),
    },
    SealedColumn {
        table: "outgoing_mail",
        id: "id",
        column: "message",
        associated_data: |id| id.to_string(),
    },
    SealedColumn {
        table: "payment_providers",
        id: "organization_id",
        column: "stripe_secret_key",
        associated_data: |id| {
            crate::ssr::services::payment_provider::associated_data("secret_key", id)
        },
    },
    SealedColumn {
        table: "payment_providers",
        id: "organization_id",
        column: "stripe_webhook_secret",
        associated_data: |id| {
            crate::ssr::services::payment_provider::associated_data("webhook_secret", id)
        },
    },
];

const BATCH: u64 = 100;

/// Rows under `key` ("" for none) in `sealed`, up to `limit`, not under
/// `except` when given.
async fn rows(
    db: &impl ConnectionTrait,
    sealed: &SealedColumn,
    except_key: Option<&str>,
    limit: Option<u64>,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let column = Alias::new(sealed.column);
    let mut select = Query::select();
    select
        .column(Alias::new(sealed.id))
        .column(column.clone())
        .from(Alias::new(sealed.table))
        .and_where(Expr::col(column.clone()).is_not_null())
        .and_where(Expr::col(column.clone()).ne(""));
    if let Some(key) = except_key {
        select.and_where(Expr::col(column).not_like(format!("v1:{key}:%")));
    }
    if let Some(limit) = limit {
        select.limit(limit);
    }
    let statement = db.get_database_backend().build(&select);
    db.query_all_raw(statement)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|row| {
            let id: Uuid = row.try_get("", sealed.id).map_err(internal)?;
            let value: String = row.try_get("", sealed.column).map_err(internal)?;
            Ok((id, value))
        })
        .collect()
}

/// How many stored ciphertexts each key id encrypts.
///
/// # Errors
/// Internal only.
pub async fn status(db: &DatabaseConnection) -> Result<BTreeMap<String, u64>, AppError> {
    let mut counts = BTreeMap::new();
    for sealed in &SEALED {
        for (_, value) in rows(db, sealed, None, None).await? {
            let key = SecretBox::key_id_of(&value)
                .unwrap_or("(unreadable)")
                .to_owned();
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// Re-encrypts every stored secret not under `secrets`' current key, in
/// batches; `progress` hears each batch's size. Answers how many rows were
/// rewritten.
///
/// # Errors
/// Internal, also when a ciphertext decrypts under no key of the file.
pub async fn reencrypt(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    mut progress: impl FnMut(&str, usize),
) -> Result<u64, AppError> {
    let current = secrets.current_key_id();
    let mut rewritten = 0;
    for sealed in &SEALED {
        loop {
            let batch = rows(db, sealed, Some(&current), Some(BATCH)).await?;
            if batch.is_empty() {
                break;
            }
            let mut changed = 0;
            for (id, old) in &batch {
                let associated_data = (sealed.associated_data)(*id);
                let plain = secrets.open(old, &associated_data).map_err(internal)?;
                let new = secrets.seal(&plain, &associated_data).map_err(internal)?;
                let mut update = Query::update();
                update
                    .table(Alias::new(sealed.table))
                    .value(Alias::new(sealed.column), new)
                    .and_where(Expr::col(Alias::new(sealed.id)).eq(*id))
                    // Unless it changed since it was read: the newer value stays.
                    .and_where(Expr::col(Alias::new(sealed.column)).eq(old.as_str()));
                let statement = db.get_database_backend().build(&update);
                changed += db
                    .execute_raw(statement)
                    .await
                    .map_err(internal)?
                    .rows_affected();
            }
            rewritten += changed;
            progress(sealed.table, batch.len());
        }
    }
    Ok(rewritten)
}
