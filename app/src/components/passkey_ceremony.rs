//! The browser's half of a passkey ceremony: ask the server for options,
//! hand them to `navigator.credentials`, send the answer back.
//!
//! Only the hydrated page runs these (from click handlers); the server-side
//! build keeps the same signatures so that the components compile there.
//! `check` is a lazy function (`#[lazy]`, split out of the client at build
//! time): the WebAuthn types, their codecs and the browser bindings load at
//! the first click, not with the sign-in page, the second step or the
//! frame's step-up dialog (issue 16; on the release build the sign-in page's
//! first load went from 330 to 308 KB gzipped, the invoice list's from 564
//! to 548). `register` stays in the Account page's group: every split point
//! multiplies the splitter's chunks shared by other pages, and making it
//! lazy too added 14 files and 8 KB to the dashboard.

use crate::api::passkeys::{
    PasskeyPurpose, finish_passkey_check, finish_passkey_registration, start_passkey_check,
    start_passkey_registration,
};
use crate::error::AppError;

/// Creates a passkey called `name`; answers new recovery codes if the user
/// had none.
pub async fn register(name: String) -> Result<Vec<String>, AppError> {
    let options = start_passkey_registration().await?;
    let credential = browser::create(options).await?;
    finish_passkey_registration(name, credential).await
}

/// Asks for a passkey for `purpose`; a sign-in then follows the server's
/// redirect to `next`.
#[leptos::lazy]
pub async fn check(purpose: PasskeyPurpose, next: Option<String>) -> Result<(), AppError> {
    let options = start_passkey_check(purpose).await?;
    let credential = browser::get(options).await?;
    finish_passkey_check(credential, next).await
}

fn browser_error(message: &str) -> AppError {
    AppError::Invalid {
        field: "passkey".into(),
        message: message.into(),
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::browser_error;
    use crate::error::AppError;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use webauthn_rs_proto::{
        CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestChallengeResponse,
    };

    fn credentials() -> Result<web_sys::CredentialsContainer, AppError> {
        web_sys::window()
            .map(|window| window.navigator().credentials())
            .ok_or_else(|| browser_error("This browser does not support passkeys."))
    }

    /// What the user is told when the browser refuses (the DOMException's
    /// name says why).
    fn explain(error: JsValue) -> AppError {
        let name = error
            .dyn_into::<web_sys::DomException>()
            .map(|exception| exception.name())
            .unwrap_or_default();
        browser_error(match name.as_str() {
            "NotAllowedError" => "The passkey prompt was closed or timed out. Please try again.",
            "InvalidStateError" => "This device already holds a passkey for your account.",
            "SecurityError" => {
                "Passkeys are not available at this address: open Ledgerlock at its public URL."
            }
            _ => "Your browser could not use a passkey. Please try again.",
        })
    }

    async fn settle(promise: js_sys::Promise) -> Result<web_sys::PublicKeyCredential, AppError> {
        let answer = JsFuture::from(promise).await.map_err(explain)?;
        answer
            .dyn_into::<web_sys::PublicKeyCredential>()
            .map_err(|_| browser_error("Your browser gave no passkey. Please try again."))
    }

    pub async fn create(
        options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, AppError> {
        let promise = credentials()?
            .create_with_options(&options.into())
            .map_err(explain)?;
        Ok(settle(promise).await?.into())
    }

    pub async fn get(options: RequestChallengeResponse) -> Result<PublicKeyCredential, AppError> {
        let promise = credentials()?
            .get_with_options(&options.into())
            .map_err(explain)?;
        Ok(settle(promise).await?.into())
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::browser_error;
    use crate::error::AppError;
    use webauthn_rs_proto::{
        CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestChallengeResponse,
    };

    const NEEDS_SCRIPT: &str = "Passkeys need JavaScript in the browser.";

    pub async fn create(
        _options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, AppError> {
        Err(browser_error(NEEDS_SCRIPT))
    }

    pub async fn get(_options: RequestChallengeResponse) -> Result<PublicKeyCredential, AppError> {
        Err(browser_error(NEEDS_SCRIPT))
    }
}
