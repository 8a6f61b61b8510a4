//! `ledgerlock demo-data`: fills an existing account's organization with
//! generated customers and issued invoices, for trying the product out and
//! for the benchmarks. Rows are written in bulk, with totals from the domain
//! code, real numbers (the series continue from them) and real seals; the
//! generated history itself is not in the audit log.

use crate::domain::invoice::{self, Draft, Line, LineTax, PriceMode, TaxRounding};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::ssr::entities::{
    billing_settings, customer, invoice as invoice_entity, invoice_line, membership, number_series,
    organization, payment, tax_rate, user,
};
use crate::ssr::errors::internal;
use crate::ssr::services::invoice_issuing::seal;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::BTreeMap;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// Deterministic pseudo-random numbers (xorshift64*): the same data every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

const WORDS: [&str; 16] = [
    "Alpine", "Baltic", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchard", "Pioneer",
];
const KINDS: [&str; 6] = [
    "Trading",
    "Logistics",
    "Studio",
    "Consulting",
    "Foods",
    "Systems",
];
const SERVICES: [(&str, &str); 5] = [
    ("Consulting", "95"),
    ("Design work", "80"),
    ("Support plan", "49.90"),
    ("Travel expenses", "0.42"),
    ("Hosting", "12.5"),
];

pub struct DemoSize {
    pub customers: u32,
    pub invoices: u32,
}

/// How far generation is: rows of one kind written so far out of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Customers { done: u32, of: u32 },
    Invoices { done: u32, of: u32 },
}

/// Generates into the organization of the account with `owner_email`;
/// `progress` hears after each batch (1,000 customers or 500 invoices,
/// each batch one transaction).
pub async fn generate(
    db: &DatabaseConnection,
    owner_email: &str,
    size: &DemoSize,
    progress: impl Fn(Progress),
) -> Result<(), AppError> {
    let owner = user::Entity::find()
        .filter(user::Column::EmailLookup.eq(owner_email.trim().to_lowercase()))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let organization_id = membership::Entity::find()
        .filter(membership::Column::UserId.eq(owner.id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?
        .organization_id;
    let seller = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let settings = billing_settings::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let euro = Currency::parse("EUR")?;
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);

    let vat_id = Uuid::new_v4();
    tax_rate::ActiveModel {
        id: Set(vat_id),
        organization_id: Set(organization_id),
        name: Set("VAT".into()),
        percent: Set("20".into()),
        archived_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(internal)?;
    let vat = LineTax {
        name: "VAT".into(),
        percent: Decimal::from(20),
    };

    let mut customers = Vec::with_capacity(size.customers as usize);
    for batch in (0..size.customers).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<customer::ActiveModel> = batch
            .iter()
            .map(|n| {
                let name = format!(
                    "{} {} {:06}",
                    WORDS[dice.below(16) as usize],
                    KINDS[dice.below(6) as usize],
                    n
                );
                let model = customer::Model {
                    id: Uuid::new_v4(),
                    organization_id,
                    name_lookup: name.to_lowercase(),
                    emails: format!("billing{n}@example.com"),
                    name,
                    address: format!(
                        "{} Street {n}\n1000 Brussels",
                        WORDS[dice.below(16) as usize]
                    ),
                    tax_id: format!("BE{:010}", n),
                    currency: "EUR".into(),
                    payment_terms_days: 30,
                    notes: String::new(),
                    archived_at: None,
                    created_at: now,
                    updated_at: now,
                };
                customers.push(model.clone());
                model.into()
            })
            .collect();
        customer::Entity::insert_many(rows)
            .exec(db)
            .await
            .map_err(internal)?;
        progress(Progress::Customers {
            done: customers.len() as u32,
            of: size.customers,
        });
    }

    // Issue dates over the last two years, oldest first, numbered per year.
    let mut counters: BTreeMap<i32, i64> = BTreeMap::new();
    let span = 730_i64;
    let step = (span * 1_000_000) / i64::from(size.invoices.max(1));
    let mut done = 0_u32;
    for batch in (0..size.invoices).collect::<Vec<_>>().chunks(500) {
        let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
        let mut invoices = Vec::with_capacity(batch.len());
        let mut lines = Vec::with_capacity(batch.len() * 2);
        let mut payments = Vec::new();
        for n in batch {
            let issue_date: Date =
                today - Duration::days(span) + Duration::days(i64::from(*n) * step / 1_000_000);
            let customer = &customers[dice.below(customers.len() as u64) as usize];
            let counter = counters.entry(issue_date.year()).or_insert(0);
            *counter += 1;
            let number = format!("INV-{}-{:06}", issue_date.year(), counter);
            let drafted: Vec<Line> = (0..2)
                .map(|_| {
                    let (what, price) = SERVICES[dice.below(5) as usize];
                    Line {
                        description: format!("{what}, {}", issue_date.month()),
                        quantity: Decimal::from(1 + dice.below(20)),
                        unit_price: price.parse().unwrap_or_default(),
                        discount_percent: Decimal::ZERO,
                        tax: Some(vat.clone()),
                    }
                })
                .collect();
            let totals = invoice::totals(&Draft {
                currency: euro,
                price_mode: PriceMode::Exclusive,
                tax_rounding: TaxRounding::PerRate,
                discount_percent: Decimal::ZERO,
                lines: drafted.clone(),
            })
            .map_err(|_| internal(anyhow::anyhow!("demo totals overflow")))?;
            let minor = |amount| {
                euro.to_minor(amount)
                    .map_err(|_| internal(anyhow::anyhow!("demo amount")))
            };
            let total_minor = minor(totals.total)?;
            // Seven in ten paid, one in ten half paid, the rest open.
            let paid_minor = match dice.below(10) {
                0..=6 => total_minor,
                7 => total_minor / 2,
                _ => 0,
            };
            let id = Uuid::new_v4();
            let mut row = invoice_entity::Model {
                id,
                organization_id,
                kind: "invoice".into(),
                customer_id: customer.id,
                credited_invoice_id: None,
                number: Some(number),
                currency: "EUR".into(),
                price_mode: PriceMode::Exclusive.as_str().into(),
                tax_rounding: TaxRounding::PerRate.as_str().into(),
                issue_date,
                issue_date_chosen: true,
                due_date: issue_date + Duration::days(30),
                due_date_chosen: true,
                discount_percent: "0".into(),
                notes: String::new(),
                terms: "30 days".into(),
                net_minor: minor(totals.net)?,
                tax_minor: minor(totals.tax)?,
                total_minor,
                paid_minor,
                credited_minor: 0,
                issued_at: Some(now),
                voided_at: None,
                void_reason: None,
                sealed_content: None,
                seal_hash: None,
                sent_at: None,
                links_frozen_at: None,
                created_at: now,
                updated_at: now,
            };
            let row_lines: Vec<invoice_line::Model> = drafted
                .iter()
                .zip(&totals.lines)
                .enumerate()
                .map(|(position, (line, amounts))| {
                    Ok(invoice_line::Model {
                        id: Uuid::new_v4(),
                        invoice_id: id,
                        position: i32::try_from(position).map_err(internal)?,
                        description: line.description.clone(),
                        quantity: line.quantity.to_string(),
                        unit_price: line.unit_price.normalize().to_string(),
                        discount_percent: "0".into(),
                        tax_rate_id: Some(vat_id),
                        tax_name: Some("VAT".into()),
                        tax_percent: Some("20".into()),
                        net_minor: minor(amounts.net)?,
                        tax_minor: minor(amounts.tax)?,
                        gross_minor: minor(amounts.gross)?,
                    })
                })
                .collect::<Result<_, AppError>>()?;
            let (content, hash) = seal(&row, &row_lines, customer, &seller, &settings);
            row.sealed_content = Some(content);
            row.seal_hash = Some(hash);
            if paid_minor > 0 {
                payments.push(payment::ActiveModel::from(payment::Model {
                    id: Uuid::new_v4(),
                    organization_id,
                    invoice_id: id,
                    paid_on: issue_date
                        + Duration::days(i64::try_from(dice.below(40)).unwrap_or(0)),
                    amount_minor: paid_minor,
                    method: "Bank transfer".into(),
                    reference: String::new(),
                    reverses_payment_id: None,
                    kind: "payment".into(),
                    created_at: now,
                }));
            }
            invoices.push(invoice_entity::ActiveModel::from(row));
            lines.extend(row_lines.into_iter().map(invoice_line::ActiveModel::from));
        }
        invoice_entity::Entity::insert_many(invoices)
            .exec(&txn)
            .await
            .map_err(internal)?;
        for chunk in lines.chunks(1000) {
            invoice_line::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await
                .map_err(internal)?;
        }
        if !payments.is_empty() {
            payment::Entity::insert_many(payments)
                .exec(&txn)
                .await
                .map_err(internal)?;
        }
        txn.commit().await.map_err(internal)?;
        done += batch.len() as u32;
        progress(Progress::Invoices {
            done,
            of: size.invoices,
        });
    }
    // The series continue after the generated numbers.
    for (year, last) in counters {
        let existing =
            number_series::Entity::find_by_id((organization_id, "invoice".to_owned(), year))
                .one(db)
                .await
                .map_err(internal)?;
        match existing {
            Some(series) => {
                let mut active: number_series::ActiveModel = series.into();
                active.last_counter = Set(last);
                active.update(db).await.map_err(internal)?;
            }
            None => {
                number_series::ActiveModel {
                    organization_id: Set(organization_id),
                    kind: Set("invoice".into()),
                    period: Set(year),
                    last_counter: Set(last),
                }
                .insert(db)
                .await
                .map_err(internal)?;
            }
        }
    }
    let mut active: billing_settings::ActiveModel = settings.into();
    active.invoice_number_format = Set("INV-{YYYY}-{000000}".into());
    active.update(db).await.map_err(internal)?;
    Ok(())
}
