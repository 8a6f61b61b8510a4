//! Invoices and credit notes as PDF, drawn on the server with fonts shipped
//! in the binary (DejaVu Sans: Latin, Greek, Cyrillic and more), so nothing
//! is fetched and every machine prints the same document.
//!
//! Layout happens first (lines wrapped, pages broken, the table header
//! repeated), then drawing, so every footer can say "page i of n" and carry
//! the document's seal.

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
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use std::sync::{Arc, LazyLock};
use tower_sessions::Session;
use uuid::Uuid;

static REGULAR_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A font for drawing, with what is needed to measure text in it.
struct Face {
    font: Font,
    metrics: ttf_parser::Face<'static>,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Option<Self> {
        Some(Self {
            font: Font::new(Arc::new(bytes.to_vec()).into(), 0)?,
            metrics: ttf_parser::Face::parse(bytes, 0).ok()?,
        })
    }

    /// The advance width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units = f32::from(self.metrics.units_per_em());
        let advance: u32 = text
            .chars()
            .map(|c| {
                self.metrics
                    .glyph_index(c)
                    .and_then(|glyph| self.metrics.glyph_hor_advance(glyph))
                    .map_or(0, u32::from)
            })
            .sum();
        // Glyph advances are small integers: exact in f32 up to 2^24.
        advance as f32 * size / units
    }
}

struct Fonts {
    regular: Face,
    bold: Face,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        regular: Face::load(REGULAR_BYTES)?,
        bold: Face::load(BOLD_BYTES)?,
    })
});

// A4 in points, and the page's margins.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const FOOTER_TOP: f32 = PAGE_HEIGHT - 60.0;
const BODY: f32 = 9.0;
const LEADING: f32 = 12.0;

/// Where the table's columns start (the amount columns are right-aligned to
/// their right edge).
const DESCRIPTION_X: f32 = MARGIN;
const DESCRIPTION_WIDTH: f32 = 215.0;
const QUANTITY_RIGHT: f32 = 320.0;
const PRICE_RIGHT: f32 = 390.0;
const DISCOUNT_RIGHT: f32 = 425.0;
const TAX_X: f32 = 432.0;
const AMOUNT_RIGHT: f32 = PAGE_WIDTH - MARGIN;

#[derive(Clone, Copy)]
enum Weight {
    Regular,
    Bold,
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        text: String,
    },
    Rule {
        y: f32,
    },
}

/// Pages of drawing operations, filled top to bottom.
struct Layout<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.fonts.regular,
            Weight::Bold => &self.fonts.bold,
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn text(&mut self, x: f32, size: f32, weight: Weight, text: &str) {
        let y = self.y;
        self.push(Op::Text {
            x,
            y,
            size,
            weight,
            text: text.to_owned(),
        });
    }

    fn right(&mut self, right: f32, size: f32, weight: Weight, text: &str) {
        let x = right - self.face(weight).width(text, size);
        self.text(x, size, weight, text);
    }

    fn rule(&mut self) {
        let y = self.y;
        self.push(Op::Rule { y });
    }

    /// Starts a new page when `height` more would run into the footer.
    /// Answers whether it did.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height <= FOOTER_TOP {
            return false;
        }
        self.pages.push(Vec::new());
        self.y = MARGIN;
        true
    }

    /// `text` broken into lines no wider than `width` (words longer than a
    /// line are broken between characters).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let face = self.face(Weight::Regular);
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if face.width(&candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if face.width(&line, size) > width {
                        line.pop();
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    }
                }
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    /// A block of wrapped text, breaking pages as needed.
    fn paragraph(&mut self, x: f32, width: f32, weight: Weight, text: &str) {
        for line in self.wrap(text, BODY, width) {
            self.ensure(LEADING);
            self.text(x, BODY, weight, &line);
            self.y += LEADING;
        }
    }
}

fn party_lines(party: &Party) -> Vec<String> {
    let mut lines: Vec<String> = party.address.lines().map(str::to_owned).collect();
    if !party.tax_id.is_empty() {
        lines.push(format!("Tax id: {}", party.tax_id));
    }
    if !party.emails.is_empty() {
        lines.push(party.emails.clone());
    }
    lines
}

fn table_header(layout: &mut Layout<'_>) {
    layout.text(DESCRIPTION_X, BODY, Weight::Bold, "Description");
    layout.right(QUANTITY_RIGHT, BODY, Weight::Bold, "Qty");
    layout.right(PRICE_RIGHT, BODY, Weight::Bold, "Unit price");
    layout.right(DISCOUNT_RIGHT, BODY, Weight::Bold, "Disc.");
    layout.text(TAX_X, BODY, Weight::Bold, "Tax");
    layout.right(AMOUNT_RIGHT, BODY, Weight::Bold, "Amount");
    layout.y += 4.0;
    layout.rule();
    layout.y += LEADING;
}

fn lay_out(fonts: &Fonts, document: &Printable) -> Vec<Vec<Op>> {
    let detail = &document.detail;
    let money = |amount| format_money(&detail.currency, amount);
    let mut layout = Layout::new(fonts);
    let kind = if detail.is_credit_note {
        "CREDIT NOTE"
    } else {
        "INVOICE"
    };

    layout.y += 10.0;
    layout.text(MARGIN, 16.0, Weight::Bold, &document.seller.name);
    layout.right(AMOUNT_RIGHT, 16.0, Weight::Bold, kind);
    layout.y += 18.0;
    let number = detail
        .number
        .clone()
        .unwrap_or_else(|| "DRAFT (not issued)".into());
    layout.right(AMOUNT_RIGHT, BODY, Weight::Bold, &number);
    let top = layout.y;
    for line in party_lines(&document.seller) {
        layout.text(MARGIN, BODY, Weight::Regular, &line);
        layout.y += LEADING;
    }
    let after_seller = layout.y;
    layout.y = top + LEADING;
    layout.right(
        AMOUNT_RIGHT,
        BODY,
        Weight::Regular,
        &format!("Issued {}", detail.issue_date),
    );
    layout.y += LEADING;
    layout.right(
        AMOUNT_RIGHT,
        BODY,
        Weight::Regular,
        &format!("Due {}", detail.due_date),
    );
    layout.y = after_seller.max(layout.y) + 2.0 * LEADING;

    layout.text(MARGIN, BODY, Weight::Bold, "Bill to");
    layout.y += LEADING;
    layout.text(MARGIN, BODY, Weight::Bold, &document.customer.name);
    layout.y += LEADING;
    for line in party_lines(&document.customer) {
        layout.paragraph(MARGIN, 300.0, Weight::Regular, &line);
    }
    if let Some(original) = &detail.credited_invoice {
        layout.paragraph(
            MARGIN,
            400.0,
            Weight::Regular,
            &format!(
                "Corrects invoice {}",
                original.number.clone().unwrap_or_default()
            ),
        );
    }
    layout.y += LEADING;

    table_header(&mut layout);
    for line in &detail.lines {
        let wrapped = layout.wrap(&line.description, BODY, DESCRIPTION_WIDTH);
        // A line that fits on a page is kept together; a longer one flows on.
        let height = LEADING * wrapped.len() as f32;
        if layout.ensure(height.min(FOOTER_TOP - MARGIN - 2.0 * LEADING)) {
            table_header(&mut layout);
        }
        layout.right(
            QUANTITY_RIGHT,
            BODY,
            Weight::Regular,
            &line.quantity.to_string(),
        );
        layout.right(
            PRICE_RIGHT,
            BODY,
            Weight::Regular,
            &line.unit_price.to_string(),
        );
        if !line.discount_percent.is_zero() {
            layout.right(
                DISCOUNT_RIGHT,
                BODY,
                Weight::Regular,
                &format!("{}%", line.discount_percent),
            );
        }
        if let (Some(name), Some(percent)) = (&line.tax_name, line.tax_percent) {
            layout.text(TAX_X, BODY, Weight::Regular, &format!("{name} {percent}%"));
        }
        layout.right(AMOUNT_RIGHT, BODY, Weight::Regular, &money(line.gross));
        for text in wrapped {
            if layout.ensure(LEADING) {
                table_header(&mut layout);
            }
            layout.text(DESCRIPTION_X, BODY, Weight::Regular, &text);
            layout.y += LEADING;
        }
        layout.y += 3.0;
    }
    layout.rule();
    layout.y += LEADING + 4.0;

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
    for (label, amount, weight) in totals {
        layout.ensure(LEADING);
        layout.right(PRICE_RIGHT + 60.0, BODY, weight, &label);
        layout.right(AMOUNT_RIGHT, BODY, weight, &amount);
        layout.y += LEADING;
    }
    for text in [&detail.notes, &detail.terms] {
        if !text.is_empty() {
            layout.y += LEADING;
            layout.paragraph(MARGIN, PAGE_WIDTH - 2.0 * MARGIN, Weight::Regular, text);
        }
    }
    if let Some(reason) = &detail.void_reason {
        layout.y += LEADING;
        layout.paragraph(
            MARGIN,
            PAGE_WIDTH - 2.0 * MARGIN,
            Weight::Bold,
            &format!("VOID: {reason}"),
        );
    }
    layout.pages
}

/// The document as PDF bytes.
pub fn render(document: &Printable) -> Result<Vec<u8>, AppError> {
    let fonts = FONTS.as_ref().ok_or_else(|| {
        crate::ssr::errors::internal(anyhow::anyhow!("the embedded fonts do not load"))
    })?;
    let pages = lay_out(fonts, document);
    let count = pages.len();
    let seal = document.detail.seal_hash.as_deref().map_or_else(
        || "Draft: not issued, not sealed.".to_owned(),
        |hash| format!("Seal (SHA-256 of the issued content): {hash}"),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| crate::ssr::errors::internal(anyhow::anyhow!("page size")))?;
    let mut pdf = Document::new();
    for (index, ops) in pages.into_iter().enumerate() {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut draw = |x: f32, y: f32, size: f32, weight: Weight, text: &str| {
            let face = match weight {
                Weight::Regular => &fonts.regular,
                Weight::Bold => &fonts.bold,
            };
            surface.draw_text(
                Point::from_xy(x, y),
                face.font.clone(),
                size,
                text,
                false,
                TextDirection::Auto,
            );
        };
        let mut rules = Vec::new();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    text,
                } => draw(x, y, size, weight, &text),
                Op::Rule { y } => rules.push(y),
            }
        }
        draw(MARGIN, PAGE_HEIGHT - 40.0, 7.0, Weight::Regular, &seal);
        let numbering = format!("Page {} of {count}", index + 1);
        let width = fonts.regular.width(&numbering, 7.0);
        draw(
            AMOUNT_RIGHT - width,
            PAGE_HEIGHT - 28.0,
            7.0,
            Weight::Regular,
            &numbering,
        );
        for y in rules {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(MARGIN, y, PAGE_WIDTH - 2.0 * MARGIN, 0.6) {
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
        .map_err(|error| crate::ssr::errors::internal(anyhow::anyhow!("PDF: {error:?}")))
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
    let name = document
        .detail
        .number
        .clone()
        .unwrap_or_else(|| "draft".into());
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
    if audit::record_alone(&state.db, &scope, change, now)
        .await
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    // Drawing is CPU work: off the async runtime.
    let rendered = tokio::task::spawn_blocking(move || render(&document)).await;
    let Ok(Ok(bytes)) = rendered else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    // Numbers come from the organization's format: keep the filename to safe characters.
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_within_its_column_even_without_spaces() {
        let fonts = FONTS.as_ref().unwrap();
        let layout = Layout::new(fonts);
        let text = format!("Σύντομη γραμμή\n{}", "Длинноеслово".repeat(10));
        let lines = layout.wrap(&text, BODY, DESCRIPTION_WIDTH);
        assert_eq!(lines[0], "Σύντομη γραμμή", "paragraphs stay apart");
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(
                fonts.regular.width(line, BODY) <= DESCRIPTION_WIDTH,
                "{line}"
            );
        }
        assert_eq!(
            lines[1..].concat(),
            "Длинноеслово".repeat(10),
            "nothing is lost"
        );
    }

    #[test]
    fn the_embedded_fonts_cover_latin_greek_and_cyrillic() {
        let fonts = FONTS.as_ref().unwrap();
        for c in "AzÄßéΩωЖя€".chars() {
            assert!(fonts.regular.metrics.glyph_index(c).is_some(), "{c}");
            assert!(fonts.bold.metrics.glyph_index(c).is_some(), "{c}");
        }
    }
}
