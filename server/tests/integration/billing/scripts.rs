//! The PDF prints every script a name can be written in, and long texts
//! wrap inside their boxes: checked by reading the PDF back with poppler's
//! `pdftotext` (Debian's poppler-utils), as a customer's viewer would.

use crate::helpers::{PASSWORD, TestApp, session_cookie, unique_email};
use crate::invoicing::{Books, books_for, issue, json_of, save};
use serde_json::json;

/// A word as `pdftotext -bbox` reports it: its box in points from the
/// page's top-left corner.
#[derive(Debug)]
struct Word {
    page: usize,
    text: String,
    x_min: f64,
    y_min: f64,
    x_max: f64,
    y_max: f64,
}

fn pdftotext(bytes: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(args)
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian: poppler-utils; `make tools-test` installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn attribute(tag: &str, name: &str) -> f64 {
    let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    tag[start..].split('"').next().unwrap().parse().unwrap()
}

/// Every word of the document with its box, and the pages' sizes.
fn words(bytes: &[u8]) -> (Vec<Word>, Vec<(f64, f64)>) {
    let xhtml = pdftotext(bytes, &["-bbox", "-enc", "UTF-8"]);
    let mut pages = Vec::new();
    let mut words = Vec::new();
    for line in xhtml.lines().map(str::trim) {
        if line.starts_with("<page ") {
            pages.push((attribute(line, "width"), attribute(line, "height")));
        } else if line.starts_with("<word ") {
            let text = line
                .split_once('>')
                .unwrap()
                .1
                .trim_end_matches("</word>")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"");
            words.push(Word {
                page: pages.len(),
                text,
                x_min: attribute(line, "xMin"),
                y_min: attribute(line, "yMin"),
                x_max: attribute(line, "xMax"),
                y_max: attribute(line, "yMax"),
            });
        }
    }
    (words, pages)
}

/// Fails when a word leaves the page's margins (50 pt) or two words' boxes
/// overlap by more than a hair.
fn assert_laid_out_cleanly(bytes: &[u8]) {
    let (words, pages) = words(bytes);
    assert!(!words.is_empty());
    for word in &words {
        let (width, height) = pages[word.page - 1];
        assert!(
            word.x_min >= 49.0
                && word.x_max <= width - 49.0
                && word.y_min >= 0.0
                && word.y_max <= height,
            "{:?} is off the page: {word:?}",
            word.text
        );
    }
    for (i, a) in words.iter().enumerate() {
        for b in &words[i + 1..] {
            if a.page != b.page {
                continue;
            }
            let across = a.x_max.min(b.x_max) - a.x_min.max(b.x_min);
            let down = a.y_max.min(b.y_max) - a.y_min.max(b.y_min);
            assert!(
                across <= 0.5 || down <= 0.5,
                "{:?} overlaps {:?}: {a:?} {b:?}",
                a.text,
                b.text
            );
        }
    }
}

/// Whitespace removed: wrapping may split a text anywhere a space was.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn sign_up_as(app: &TestApp, organization: &str) -> String {
    let email = unique_email();
    let response = app
        .call(
            "/api/auth/sign_up",
            &[
                ("name", "Ana López"),
                ("email", &email),
                ("password", PASSWORD),
                ("organization", organization),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    session_cookie(response.headers()).unwrap()
}

async fn customer(app: &TestApp, cookie: &str, name: &str, address: &str) -> String {
    let saved = app
        .call(
            "/api/customers/save",
            &[
                ("name", name),
                ("address", address),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(cookie),
        )
        .await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    json_of(saved).await.as_str().unwrap().to_owned()
}

/// Issues an invoice for `customer` with one line per description (1 ×
/// 10.00 at the `tax` rate) and answers its PDF.
async fn printed(
    app: &TestApp,
    books: &Books,
    customer: &str,
    tax: &str,
    lines: &[&str],
) -> Vec<u8> {
    let lines: Vec<_> = lines
        .iter()
        .map(|text| json!({ "description": text, "quantity": "1", "unit_price": "10", "tax_rate_id": tax }))
        .collect();
    let form = json!({
        "customer_id": customer,
        "currency": "EUR",
        "issue_date": "",
        "due_date": "",
        "price_mode": "Exclusive",
        "lines": lines,
    });
    let saved = save(app, books, None, &form).await;
    assert_eq!(saved.status(), 200);
    let id = json_of(saved).await.as_str().unwrap().to_owned();
    assert_eq!(issue(app, &books.cookie, &id).await.status(), 200);
    let pdf = app
        .get(&format!("/app/invoices/{id}/pdf"), Some(&books.cookie))
        .await;
    assert_eq!(pdf.status(), 200);
    pdf.bytes().await.unwrap().to_vec()
}

const SCRIPTS: &[&str] = &[
    "a你b好c",
    "Coffee and rocket 🚀",
    "שולחן עבודה",
    "طاولة مكتب خشبية",
    "नमस्ते दुनिया",
    "สวัสดีครับ",
    "Ελληνικά και Кириллица",
];

#[tokio::test]
async fn every_script_prints_and_reads_back() {
    let app = TestApp::spawn().await;
    let books = books_for(&app, app.sign_up(&unique_email()).await).await;
    let customer = customer(&app, &books.cookie, "株式会社サンプル", "東京都千代田区1-1").await;
    let bytes = printed(&app, &books, &customer, &books.vat, SCRIPTS).await;
    let text = squeezed(&pdftotext(&bytes, &["-enc", "UTF-8"]));
    for expected in ["株式会社サンプル", "東京都千代田区1-1"]
        .iter()
        .chain(SCRIPTS)
    {
        assert!(
            text.contains(&squeezed(expected)),
            "{expected:?} is not in the text read back:\n{text}"
        );
    }
    assert!(!text.contains("[U+"), "every character found a font");
    assert_laid_out_cleanly(&bytes);
    let raw = String::from_utf8_lossy(&bytes);
    assert!(
        raw.matches("/FontFile").count() >= 5,
        "the fallback fonts are embedded (subset)"
    );
    // Subset: a PDF with a few CJK characters is far smaller than the
    // 19 MB font they come from.
    assert!(bytes.len() < 1_000_000, "{} bytes", bytes.len());
}

#[tokio::test]
async fn long_names_addresses_and_tax_names_wrap_inside_their_boxes() {
    let app = TestApp::spawn().await;
    let organization: String = "Internationale Handelsgesellschaft für Präzisionsinstrumente, \
                        Laborbedarf und wissenschaftliche Dienstleistungen mbH & Co. KG"
        .chars()
        .take(120)
        .collect();
    let organization = organization.as_str();
    let cookie = sign_up_as(&app, organization).await;
    let seller_address: String = (1..=12)
        .map(|n| format!("Gebäude {n}, Industriestraße {n}, 10115 Berlin-Mitte, Deutschland\n"))
        .collect();
    let saved = app
        .call(
            "/api/organization/save_billing",
            &[
                ("address", seller_address.as_str()),
                ("tax_id", "DE123456789"),
                ("invoice_number_format", "INV-{YYYY}-{0000}"),
                ("credit_note_number_format", "CN-{YYYY}-{0000}"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let books = books_for(&app, cookie).await;
    let long_name: String =
        "Società Cooperativa Agricola Produttori Ortofrutticoli dell'Emilia-Romagna "
            .repeat(3)
            .chars()
            .take(200)
            .collect();
    let address: String = (1..=12)
        .map(|n| format!("Via della Repubblica {n}, scala B\n"))
        .collect();
    let customer = customer(&app, &books.cookie, &long_name, &address).await;
    let tax_name: String = "Imposta sul valore aggiunto ridotta per prodotti agricoli"
        .chars()
        .take(60)
        .collect();
    let tax = app
        .call(
            "/api/tax_rates/create",
            &[("name", tax_name.as_str()), ("percent", "10")],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(tax.status(), 200, "{}", tax.text().await.unwrap());
    let tax = json_of(tax).await.as_str().unwrap().to_owned();
    let description = "Pomodori San Marzano DOP, raccolto 2026, cassette da 10 kg ".repeat(4);
    let lines: Vec<&str> = std::iter::repeat_n(description.as_str(), 30).collect();
    let bytes = printed(&app, &books, &customer, &tax, &lines).await;

    assert_laid_out_cleanly(&bytes);
    let text = squeezed(&pdftotext(&bytes, &["-enc", "UTF-8"]));
    for expected in [
        organization,
        &long_name,
        &tax_name,
        "Gebäude 12",
        "Via della Repubblica 12",
    ] {
        assert!(
            text.contains(&squeezed(expected)),
            "{expected:?} is not in the text read back:\n{text}"
        );
    }
    let (_, pages) = words(&bytes);
    assert!(pages.len() >= 3, "30 long lines break across pages");
}
