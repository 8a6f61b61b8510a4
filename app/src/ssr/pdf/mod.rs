//! Invoices and credit notes as PDF, drawn on the server, so nothing is
//! fetched and every machine with the same fonts prints the same document.
//!
//! Text goes through [`text`] (bidirectional order, font fallback from
//! [`fonts`], OpenType shaping); layout happens first (every cell wrapped in
//! its box, rows kept whole where they fit, pages broken, the table header
//! repeated), then drawing, so every footer can say "page i of n" and carry
//! the document's seal.

pub mod fonts;
pub mod text;

use crate::components::money::format_money;
use crate::domain::Permission;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::request::{download_member, download_scope};
use crate::ssr::services::audit::{self, Change};
use crate::ssr::services::invoice_views::{self, Party, Printable};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fonts::{FontBook, Weight};
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use text::{Line, Typesetter};
use tower_sessions::Session;
use uuid::Uuid;

// A4 in points, and the page's margins.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 50.0;
/// The body ends here; the footer (seal, page number) is below.
pub const FOOTER_TOP: f32 = PAGE_HEIGHT - 60.0;
const BODY: f32 = 9.0;
const TITLE: f32 = 16.0;
const FOOTER: f32 = 7.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const FULL: f32 = RIGHT - MARGIN;

/// The table's columns: left edge and width, 4 points or more apart.
const DESCRIPTION: (f32, f32) = (MARGIN, 171.0);
const QUANTITY: (f32, f32) = (225.0, 40.0);
const PRICE: (f32, f32) = (269.0, 66.0);
const DISCOUNT: (f32, f32) = (339.0, 33.0);
const TAX: (f32, f32) = (376.0, 84.0);
const AMOUNT: (f32, f32) = (464.0, RIGHT - 464.0);
/// The totals: label right-aligned against the amount column.
const TOTAL_LABEL: (f32, f32) = (225.0, 235.0);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Text in a box `width` points wide from `x`, wrapped to fit.
struct Cell<'t> {
    x: f32,
    width: f32,
    align: Align,
    size: f32,
    weight: Weight,
    text: &'t str,
}

impl<'t> Cell<'t> {
    fn left((x, width): (f32, f32), size: f32, weight: Weight, text: &'t str) -> Self {
        Self {
            x,
            width,
            align: Align::Left,
            size,
            weight,
            text,
        }
    }

    fn right((x, width): (f32, f32), size: f32, weight: Weight, text: &'t str) -> Self {
        Self {
            align: Align::Right,
            ..Self::left((x, width), size, weight, text)
        }
    }
}

/// What a page draws: a shaped line at its baseline, or a rule.
enum Op {
    Text {
        x: f32,
        baseline: f32,
        line: Line,
    },
    Rule {
        y: f32,
    },
    /// A QR code's dark modules (column, row), each `module` points wide,
    /// from (`x`, `y`).
    Modules {
        x: f32,
        y: f32,
        module: f32,
        dark: Vec<(u16, u16)>,
    },
}

/// The EPC QR code ("GiroCode", `domain::epc`) for paying `document`'s
/// balance: a euro invoice with something due and an IBAN in the payout
/// details; error correction level M as EPC069-12 requires.
pub fn epc_qr(document: &Printable) -> Option<qrcode::QrCode> {
    let detail = &document.detail;
    if detail.currency != "EUR" || detail.is_credit_note || detail.void_reason.is_some() {
        return None;
    }
    let payload = crate::domain::epc::payload(
        &document.payout,
        detail.balance,
        detail.number.as_deref().unwrap_or_default(),
    )?;
    qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M).ok()
}

/// Pages of drawing operations, filled top to bottom; `y` is where the
/// next line's box starts.
struct Layout<'a> {
    book: &'a FontBook,
    typesetter: Typesetter<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Drawn again at the top of each new page (the table's header).
    header: Option<fn(&mut Layout<'a>)>,
}

/// The part of a line above and below its baseline (OS/2 typographic
/// metrics of the fonts it uses, as the PDF's font descriptors give them,
/// or further where its glyphs reach, stacked marks included),
/// with room between lines: 15 % of the size on each side.
fn extent(book: &FontBook, line: &Line) -> (f32, f32) {
    let chain = book.chain(line.weight);
    let mut ascent = 0.76 * line.size;
    let mut descent = 0.24 * line.size;
    for run in &line.runs {
        if let Some(loaded) = chain.get(run.font).and_then(|slot| slot.get()) {
            let face = &loaded.face;
            let units = loaded.units_per_em();
            let up = face.typographic_ascender().unwrap_or(face.ascender());
            let down = face.typographic_descender().unwrap_or(face.descender());
            ascent = ascent.max(f32::from(up) * line.size / units);
            descent = descent.max(-f32::from(down) * line.size / units);
        }
        ascent = ascent.max(run.ascent);
        descent = descent.max(run.descent);
    }
    let gap = 0.15 * line.size;
    (ascent + gap, descent + gap)
}

impl<'a> Layout<'a> {
    fn new(book: &'a FontBook) -> Self {
        Self {
            book,
            typesetter: Typesetter::new(book),
            pages: vec![Vec::new()],
            y: MARGIN,
            header: None,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
        if let Some(header) = self.header {
            header(self);
        }
    }

    /// Cells side by side, each wrapped in its box; line `i` of every cell
    /// shares one baseline. The row starts a new page when it would not
    /// fit on this one but would on an empty page; a longer row flows on,
    /// breaking between its lines.
    fn row(&mut self, cells: &[Cell<'_>]) {
        let wrapped: Vec<Vec<Line>> = cells
            .iter()
            .map(|cell| {
                self.typesetter
                    .wrap(cell.text, cell.size, cell.weight, cell.width)
            })
            .collect();
        let count = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        let extents: Vec<(f32, f32)> = (0..count)
            .map(|i| {
                wrapped
                    .iter()
                    .filter_map(|lines| lines.get(i))
                    .map(|line| extent(self.book, line))
                    .fold((0.0f32, 0.0f32), |(a, d), (la, ld)| (a.max(la), d.max(ld)))
            })
            .collect();
        let height: f32 = extents.iter().map(|(a, d)| a + d).sum();
        if self.y + height > FOOTER_TOP && height <= FOOTER_TOP - MARGIN - 4.0 * BODY {
            self.new_page();
        }
        let mut columns: Vec<std::vec::IntoIter<Line>> =
            wrapped.into_iter().map(Vec::into_iter).collect();
        for (ascent, descent) in extents {
            if self.y + ascent + descent > FOOTER_TOP {
                self.new_page();
            }
            let baseline = self.y + ascent;
            for (cell, lines) in cells.iter().zip(columns.iter_mut()) {
                let Some(line) = lines.next() else { continue };
                let x = match cell.align {
                    Align::Left => cell.x,
                    Align::Right => cell.x + cell.width - line.width,
                };
                self.push(Op::Text { x, baseline, line });
            }
            self.y = baseline + descent;
        }
    }

    /// One cell across the page's width.
    fn paragraph(&mut self, size: f32, weight: Weight, text: &str) {
        self.row(&[Cell::left((MARGIN, FULL), size, weight, text)]);
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn rule(&mut self) {
        let y = self.y;
        self.push(Op::Rule { y });
    }

    fn space(&mut self, points: f32) {
        self.y += points;
    }

    /// `code`, `size` points square at the left margin, on one page.
    fn qr(&mut self, code: &qrcode::QrCode, size: f32) {
        if self.y + size > FOOTER_TOP {
            self.new_page();
        }
        let width = code.width();
        let dark = code
            .to_colors()
            .iter()
            .enumerate()
            .filter(|(_, color)| **color == qrcode::Color::Dark)
            .filter_map(|(index, _)| {
                Some((
                    u16::try_from(index % width).ok()?,
                    u16::try_from(index / width).ok()?,
                ))
            })
            .collect();
        #[allow(clippy::cast_precision_loss)] // at most 177 modules
        let module = size / width as f32;
        let y = self.y;
        self.push(Op::Modules {
            x: MARGIN,
            y,
            module,
            dark,
        });
        self.y += size;
    }
}

fn party_lines(party: &Party) -> String {
    let mut lines: Vec<String> = party.address.lines().map(str::to_owned).collect();
    if !party.tax_id.is_empty() {
        lines.push(format!("Tax id: {}", party.tax_id));
    }
    if !party.emails.is_empty() {
        lines.push(party.emails.clone());
    }
    lines.join("\n")
}

fn table_header(layout: &mut Layout<'_>) {
    layout.row(&[
        Cell::left(DESCRIPTION, BODY, Weight::Bold, "Description"),
        Cell::right(QUANTITY, BODY, Weight::Bold, "Qty"),
        Cell::right(PRICE, BODY, Weight::Bold, "Unit price"),
        Cell::right(DISCOUNT, BODY, Weight::Bold, "Disc."),
        Cell::left(TAX, BODY, Weight::Bold, "Tax"),
        Cell::right(AMOUNT, BODY, Weight::Bold, "Amount"),
    ]);
    layout.space(2.0);
    layout.rule();
    layout.space(4.0);
}

fn lay_out(book: &FontBook, document: &Printable) -> Vec<Vec<Op>> {
    let detail = &document.detail;
    let money = |amount| format_money(&detail.currency, amount);
    let mut layout = Layout::new(book);
    let kind = if detail.is_credit_note {
        "CREDIT NOTE"
    } else {
        "INVOICE"
    };
    let seller_column = (MARGIN, 300.0);
    let document_column = (360.0, RIGHT - 360.0);

    layout.row(&[
        Cell::left(seller_column, TITLE, Weight::Bold, &document.seller.name),
        Cell::right(document_column, TITLE, Weight::Bold, kind),
    ]);
    let number = detail
        .number
        .clone()
        .unwrap_or_else(|| "DRAFT (not issued)".into());
    let dates = format!(
        "{number}\nIssued {}\nDue {}",
        detail.issue_date, detail.due_date
    );
    layout.row(&[
        Cell::left(
            seller_column,
            BODY,
            Weight::Regular,
            &party_lines(&document.seller),
        ),
        Cell::right(document_column, BODY, Weight::Regular, &dates),
    ]);
    layout.space(2.0 * BODY);

    layout.paragraph(BODY, Weight::Bold, "Bill to");
    layout.paragraph(BODY, Weight::Bold, &document.customer.name);
    layout.paragraph(BODY, Weight::Regular, &party_lines(&document.customer));
    if let Some(original) = &detail.credited_invoice {
        layout.paragraph(
            BODY,
            Weight::Regular,
            &format!(
                "Corrects invoice {}",
                original.number.clone().unwrap_or_default()
            ),
        );
    }
    layout.space(BODY);

    table_header(&mut layout);
    layout.header = Some(table_header);
    for line in &detail.lines {
        let quantity = line.quantity.to_string();
        let price = line.unit_price.to_string();
        let discount = if line.discount_percent.is_zero() {
            String::new()
        } else {
            format!("{}%", line.discount_percent)
        };
        let tax = match (&line.tax_name, line.tax_percent) {
            (Some(name), Some(percent)) => format!("{name} {percent}%"),
            _ => String::new(),
        };
        let amount = money(line.gross);
        layout.row(&[
            Cell::left(DESCRIPTION, BODY, Weight::Regular, &line.description),
            Cell::right(QUANTITY, BODY, Weight::Regular, &quantity),
            Cell::right(PRICE, BODY, Weight::Regular, &price),
            Cell::right(DISCOUNT, BODY, Weight::Regular, &discount),
            Cell::left(TAX, BODY, Weight::Regular, &tax),
            Cell::right(AMOUNT, BODY, Weight::Regular, &amount),
        ]);
        layout.space(3.0);
    }
    layout.header = None;
    layout.rule();
    layout.space(6.0);

    let mut totals: Vec<(String, String, Weight)> =
        vec![("Net".into(), money(detail.net), Weight::Regular)];
    for row in &detail.taxes {
        totals.push((
            format!("{} {}% on {}", row.name, row.percent, money(row.net)),
            money(row.tax),
            Weight::Regular,
        ));
    }
    totals.push(("Total".into(), money(detail.total), Weight::Bold));
    if !detail.credited.is_zero() {
        totals.push(("Credited".into(), money(detail.credited), Weight::Regular));
    }
    if !detail.paid.is_zero() {
        totals.push(("Paid".into(), money(detail.paid), Weight::Regular));
    }
    if !detail.is_credit_note {
        totals.push(("Balance due".into(), money(detail.balance), Weight::Bold));
    }
    for (label, amount, weight) in &totals {
        layout.row(&[
            Cell::right(TOTAL_LABEL, BODY, *weight, label),
            Cell::right(AMOUNT, BODY, *weight, amount),
        ]);
    }
    for text in [&detail.notes, &detail.terms] {
        if !text.is_empty() {
            layout.space(BODY);
            layout.paragraph(BODY, Weight::Regular, text);
        }
    }
    // Where to pay (an open invoice only): the payout details as they are
    // now, and for 14 days after they changed, a warning that they did.
    let payable = !detail.is_credit_note
        && detail.void_reason.is_none()
        && detail.balance > rust_decimal::Decimal::ZERO;
    if payable && !document.payout.is_empty() {
        layout.space(BODY);
        layout.paragraph(BODY, Weight::Bold, "Payment by bank transfer");
        let mut lines = document.payout.lines();
        lines.push(format!(
            "Reference: {}",
            detail.number.as_deref().unwrap_or_default()
        ));
        layout.paragraph(BODY, Weight::Regular, &lines.join("\n"));
        if let Some(code) = epc_qr(document) {
            layout.space(BODY * 0.5);
            layout.qr(&code, 96.0);
            layout.paragraph(
                FOOTER,
                Weight::Regular,
                "Scan with a banking app to fill in the transfer (EPC QR code).",
            );
        }
        if let Some(changed) = crate::domain::payout::change_notice(
            document.payout_changed_at,
            time::OffsetDateTime::now_utc(),
        ) {
            layout.paragraph(
                BODY,
                Weight::Bold,
                &format!(
                    "Bank details changed on {changed}: confirm them with {} before paying.",
                    document.seller.name
                ),
            );
        }
    }
    if let Some(reason) = &detail.void_reason {
        layout.space(BODY);
        layout.paragraph(BODY, Weight::Bold, &format!("VOID: {reason}"));
    }
    layout.pages
}

fn internal(what: &str) -> AppError {
    crate::ssr::errors::internal(anyhow::anyhow!("PDF: {what}"))
}

/// The document as PDF bytes (A4), its text in `book`'s fonts.
///
/// # Errors
/// Internal: krilla refused the document (no font could be loaded at all).
pub fn render(book: &FontBook, document: &Printable) -> Result<Vec<u8>, AppError> {
    let pages = lay_out(book, document);
    let count = pages.len();
    let seal = document.detail.seal_hash.as_deref().map_or_else(
        || "Draft: not issued, not sealed.".to_owned(),
        |hash| format!("Seal (SHA-256 of the issued content): {hash}"),
    );
    let typesetter = Typesetter::new(book);
    let settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| internal("page size"))?;
    let mut pdf = Document::new();
    for (index, ops) in pages.into_iter().enumerate() {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut draw = |x: f32, baseline: f32, line: &Line| {
            let chain = book.chain(line.weight);
            let mut x = x;
            for run in &line.runs {
                if let Some(loaded) = chain.get(run.font).and_then(|slot| slot.get()) {
                    surface.draw_glyphs(
                        Point::from_xy(x, baseline),
                        &run.glyphs,
                        loaded.font.clone(),
                        &run.text,
                        line.size,
                        false,
                    );
                }
                x += run.width;
            }
        };
        let mut rules = Vec::new();
        let mut modules = PathBuilder::new();
        for op in ops {
            match op {
                Op::Text { x, baseline, line } => draw(x, baseline, &line),
                Op::Rule { y } => rules.push(y),
                Op::Modules { x, y, module, dark } => {
                    for (column, row) in dark {
                        let left = x + f32::from(column) * module;
                        let top = y + f32::from(row) * module;
                        if let Some(rect) = Rect::from_xywh(left, top, module, module) {
                            modules.push_rect(rect);
                        }
                    }
                }
            }
        }
        draw(
            MARGIN,
            PAGE_HEIGHT - 40.0,
            &typesetter.line(&seal, FOOTER, Weight::Regular),
        );
        let numbering = typesetter.line(
            &format!("Page {} of {count}", index + 1),
            FOOTER,
            Weight::Regular,
        );
        draw(RIGHT - numbering.width, PAGE_HEIGHT - 28.0, &numbering);
        if let Some(path) = modules.finish() {
            surface.draw_path(&path);
        }
        for y in rules {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(MARGIN, y, FULL, 0.6) {
                path.push_rect(rect);
            }
            if let Some(path) = path.finish() {
                surface.draw_path(&path);
            }
        }
        surface.finish();
        page.finish();
    }
    pdf.finish()
        .map_err(|error| internal(&format!("{error:?}")))
}

/// `GET /app/invoices/{id}/pdf`: the document as a download.
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    client: Option<axum::Extension<crate::ssr::client::ClientInfo>>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let member = match download_member(&state, session, Permission::InvoicesRead).await {
        Ok(member) => member,
        Err(status) => return status.into_response(),
    };
    let now = state.clock.now();
    let document =
        match invoice_views::printable(&state.db, member.tenant(), id, member.today(now)).await {
            Ok(document) => document,
            Err(AppError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    // A draft changes between downloads: its content's fingerprint makes
    // each version its own read (issued documents are sealed).
    let name = match &document.detail.number {
        Some(number) => number.clone(),
        None => format!("draft (content {})", fingerprint(&document.detail)),
    };
    // Who took a copy of which customer's document: the access report reads it.
    let scope = download_scope(&member, &headers, client.as_ref().map(|info| &info.0));
    let change = Change {
        action: "document.downloaded",
        object_type: if document.detail.is_credit_note {
            "credit_note"
        } else {
            "invoice"
        },
        object_id: id,
        summary: format!("{name} as PDF"),
        customer_id: Some(document.detail.customer_id),
    };
    // One event per user, document and hour: downloading again adds
    // nothing to the chain (issue 16).
    if audit::record_read(&state.db, &scope, change, now, async |_| Ok(()))
        .await
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    attachment(state.fonts.clone(), document)
        .await
        .unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The PDF's file name: the number in safe characters (numbers come from
/// the organization's format), or `draft.pdf`.
pub fn file_name(document: &Printable) -> String {
    let number = document.detail.number.as_deref().unwrap_or("draft");
    let safe: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.pdf")
}

/// `document` drawn (CPU work: off the async runtime) and answered as a
/// PDF attachment; `None` when it cannot be drawn.
pub async fn attachment(fonts: std::sync::Arc<FontBook>, document: Printable) -> Option<Response> {
    let name = file_name(&document);
    let bytes = tokio::task::spawn_blocking(move || render(&fonts, &document))
        .await
        .ok()?
        .ok()?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Some(response)
}

/// The first 8 hex digits of the SHA-256 of what a draft's PDF shows
/// (parties, dates, lines, totals, notes; not its history or the day it is
/// read) as JSON: tells two versions of a draft apart in the audit log.
fn fingerprint(detail: &crate::api::invoices::InvoiceDetail) -> String {
    use sha2::{Digest, Sha256};
    let content = serde_json::json!([
        detail.customer_id,
        detail.customer_name,
        detail.currency,
        detail.issue_date,
        detail.due_date,
        detail.price_mode,
        detail.discount_percent,
        detail.notes,
        detail.terms,
        detail.lines,
        detail.total,
    ]);
    crate::ssr::services::audit::hex(&Sha256::digest(content.to_string().as_bytes())[..4])
}
