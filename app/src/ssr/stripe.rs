//! A small client for the parts of Stripe's REST API that card payments use
//! (issue 15), and the check of a webhook's `Stripe-Signature`.
//!
//! The API is form-encoded requests with the secret key as a bearer token,
//! JSON answers (<https://docs.stripe.com/api>). Its base URL and Stripe.js'
//! URL are settings (`LEDGERLOCK_STRIPE_API_URL`, `LEDGERLOCK_STRIPE_JS_URL`)
//! so the tests can point them at the `localstripe` emulator. Secrets never
//! appear in an error or a log line: errors carry Stripe's message only.

use crate::domain::card_payment::{SignatureError, SignatureHeader};
use serde::Deserialize;
use std::time::Duration;

/// Where Stripe is: the API's base URL and Stripe.js' URL.
#[derive(Debug, Clone)]
pub struct StripeEndpoints {
    /// `https://api.stripe.com`, without a trailing slash.
    pub api: String,
    /// `https://js.stripe.com/v3/`.
    pub js: String,
}

impl Default for StripeEndpoints {
    fn default() -> Self {
        Self {
            api: "https://api.stripe.com".into(),
            js: "https://js.stripe.com/v3/".into(),
        }
    }
}

impl StripeEndpoints {
    /// The origins the payment page's Content-Security-Policy lets in:
    /// Stripe.js' own (script, frames) and the API's (its calls).
    pub fn origins(&self) -> (String, String) {
        (origin_of(&self.js), origin_of(&self.api))
    }
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "'none'".to_owned(),
        |url| url.origin().ascii_serialization(),
    )
}

/// Why a call to Stripe did not give what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// The card was refused (HTTP 402): Stripe's message, fit for the payer.
    #[error("{0}")]
    Declined(String),
    /// Anything else: a network failure, a bad key, Stripe down.
    #[error("Stripe did not answer as expected: {0}")]
    Unavailable(String),
}

/// A SetupIntent or PaymentIntent, as far as Ledgerlock reads it.
#[derive(Debug, Deserialize)]
pub struct Intent {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub last_payment_error: Option<StripeMessage>,
}

#[derive(Debug, Deserialize)]
pub struct StripeMessage {
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeMessage,
}

/// What a new PaymentIntent charges.
pub struct NewPaymentIntent<'a> {
    /// In Stripe's units (`domain::card_payment::stripe_units`).
    pub amount: i64,
    /// ISO 4217, any case (sent lower-case).
    pub currency: &'a str,
    /// The card the payer entered (`pm_…`), from the confirmed SetupIntent.
    pub payment_method: &'a str,
    /// Ledgerlock's ids and the document's number, for whoever reads the
    /// Stripe dashboard (localstripe refuses `description`).
    pub metadata: &'a [(&'a str, String)],
}

/// The HTTP client (one per process: it keeps connections).
#[derive(Clone)]
pub struct StripeApi {
    http: reqwest::Client,
    endpoints: StripeEndpoints,
}

impl StripeApi {
    pub fn new(endpoints: StripeEndpoints) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        Self { http, endpoints }
    }

    pub fn endpoints(&self) -> &StripeEndpoints {
        &self.endpoints
    }

    /// A SetupIntent for one on-session card: the browser confirms it with
    /// the card form and gets the card's PaymentMethod.
    ///
    /// # Errors
    /// [`StripeError`].
    pub async fn create_setup_intent(
        &self,
        secret_key: &str,
        idempotency_key: &str,
    ) -> Result<Intent, StripeError> {
        self.post(
            secret_key,
            "/v1/setup_intents",
            idempotency_key,
            &[("usage".to_owned(), "on_session".to_owned())],
        )
        .await
    }

    /// The SetupIntent `id` (to read which card it set up).
    ///
    /// # Errors
    /// [`StripeError`].
    pub async fn setup_intent(&self, secret_key: &str, id: &str) -> Result<Intent, StripeError> {
        self.get(secret_key, &format!("/v1/setup_intents/{}", path_part(id)?))
            .await
    }

    /// Creates and confirms a PaymentIntent. The idempotency key makes a
    /// repeated request (a retry, a double click) return the same intent.
    ///
    /// # Errors
    /// [`StripeError::Declined`] when the card is refused at once.
    pub async fn create_payment_intent(
        &self,
        secret_key: &str,
        idempotency_key: &str,
        new: &NewPaymentIntent<'_>,
    ) -> Result<Intent, StripeError> {
        let mut form = vec![
            ("amount".to_owned(), new.amount.to_string()),
            ("currency".to_owned(), new.currency.to_ascii_lowercase()),
            ("payment_method".to_owned(), new.payment_method.to_owned()),
            ("confirm".to_owned(), "true".to_owned()),
        ];
        form.extend(
            new.metadata
                .iter()
                .map(|(key, value)| (format!("metadata[{key}]"), value.clone())),
        );
        self.post(secret_key, "/v1/payment_intents", idempotency_key, &form)
            .await
    }

    async fn post(
        &self,
        secret_key: &str,
        path: &str,
        idempotency_key: &str,
        form: &[(String, String)],
    ) -> Result<Intent, StripeError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.endpoints.api))
            .bearer_auth(secret_key)
            .header("Idempotency-Key", idempotency_key)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        read(request.send().await).await
    }

    async fn get(&self, secret_key: &str, path: &str) -> Result<Intent, StripeError> {
        let request = self
            .http
            .get(format!("{}{path}", self.endpoints.api))
            .bearer_auth(secret_key);
        read(request.send().await).await
    }
}

/// An id as one segment of a URL path: Stripe's ids are letters, digits and `_`.
fn path_part(id: &str) -> Result<&str, StripeError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(StripeError::Unavailable("not a Stripe id".into()))
    }
}

async fn read(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Intent, StripeError> {
    // reqwest's errors name the URL, never the headers: no key can leak.
    let response =
        sent.map_err(|error| StripeError::Unavailable(error.without_url().to_string()))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| StripeError::Unavailable(error.without_url().to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|error| StripeError::Unavailable(format!("unreadable answer: {error}")));
    }
    let message = serde_json::from_slice::<ErrorBody>(&bytes)
        .ok()
        .and_then(|body| body.error.message)
        .unwrap_or_else(|| format!("HTTP {status}"));
    if status.as_u16() == 402 {
        Err(StripeError::Declined(message))
    } else {
        Err(StripeError::Unavailable(format!(
            "HTTP {status}: {message}"
        )))
    }
}

/// Checks a webhook delivery: `header` is its `Stripe-Signature`, `payload`
/// the raw body, `secret` the endpoint's signing secret (`whsec_…`), used
/// as the HMAC key as it is. Any `v1` signature may match; each comparison
/// takes constant time (ring's `hmac::verify`). Stripe's scheme:
/// <https://docs.stripe.com/webhooks#verify-manually>.
///
/// # Errors
/// [`SignatureError`]: malformed, older or newer than 5 minutes, or no match.
pub fn verify_signature(
    header: &str,
    payload: &[u8],
    secret: &str,
    now_unix: i64,
) -> Result<(), SignatureError> {
    let header = SignatureHeader::parse(header)?;
    header.check_time(now_unix)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let signed = header.signed_payload(payload);
    let matched = header.signatures.iter().fold(false, |found, signature| {
        ring::hmac::verify(&key, &signed, signature).is_ok() | found
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A `Stripe-Signature` header for `payload` at `timestamp`, as Stripe
/// writes it. For the tests and the benchmark, which deliver events
/// themselves.
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(payload);
    let tag = ring::hmac::sign(&key, &signed);
    let hex: String = tag
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_payload_secret_and_time() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = sign(payload, "whsec_test", 1_700_000_000);
        assert!(verify_signature(&header, payload, "whsec_test", 1_700_000_100).is_ok());
        assert_eq!(
            verify_signature(&header, br#"{"id":"evt_2"}"#, "whsec_test", 1_700_000_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&header, payload, "whsec_other", 1_700_000_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&header, payload, "whsec_test", 1_700_000_301),
            Err(SignatureError::Stale)
        );
        // While a secret is rolled, Stripe signs with both: either matches.
        let old = sign(payload, "whsec_old", 1_700_000_000);
        let both = format!("{header},{}", old.split_once(',').unwrap().1);
        assert!(verify_signature(&both, payload, "whsec_old", 1_700_000_000).is_ok());
        assert!(verify_signature(&both, payload, "whsec_test", 1_700_000_000).is_ok());
    }

    #[test]
    fn the_payment_page_allows_exactly_the_configured_origins() {
        let endpoints = StripeEndpoints {
            api: "http://127.0.0.1:8420".into(),
            js: "http://127.0.0.1:8420/js.stripe.com/v3/".into(),
        };
        assert_eq!(
            endpoints.origins(),
            (
                "http://127.0.0.1:8420".into(),
                "http://127.0.0.1:8420".into()
            )
        );
        let real = StripeEndpoints::default().origins();
        assert_eq!(
            real,
            (
                "https://js.stripe.com".into(),
                "https://api.stripe.com".into()
            )
        );
    }
}
