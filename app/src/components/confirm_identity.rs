//! Step-up: shown when a sensitive action answers "confirm it is you".
//! After confirming, the user repeats the action; the confirmation covers
//! the next ten minutes.

use crate::api::second_factor::ConfirmIdentity as ConfirmIdentityAction;
use crate::components::form::{Field, FormAlert};
use crate::error::AppError;
use leptos::prelude::*;

/// Whether an action's last answer asks for a confirmation.
pub fn needs_confirmation<T>(result: Option<Result<T, AppError>>) -> bool {
    matches!(result, Some(Err(AppError::ConfirmationRequired)))
}

/// An action's error, unless it is the request for a confirmation (which
/// [`ConfirmIdentity`] shows instead).
pub fn other_error<T>(result: Option<Result<T, AppError>>) -> Option<AppError> {
    result
        .and_then(Result::err)
        .filter(|error| *error != AppError::ConfirmationRequired)
}

#[component]
pub fn ConfirmIdentity(
    /// Shown while true (typically: the guarded action asked for it).
    #[prop(into)]
    when: Signal<bool>,
    /// Offer a code field too (the user has an authenticator app).
    #[prop(into)]
    with_code: Signal<bool>,
) -> impl IntoView {
    let confirm = ServerAction::<ConfirmIdentityAction>::new();
    let error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    let confirmed = move || matches!(confirm.value().get(), Some(Ok(())));
    view! {
        <Show when=move || when.get() || confirm.value().get().is_some()>
            <div class="confirm-identity" role="region" aria-label="Confirm it is you" data-testid="confirm-identity">
                <Show
                    when=confirmed
                    fallback=move || view! {
                        <p><strong>"Confirm it is you."</strong> " This keeps someone at an unlocked computer from changing your security settings."</p>
                        <ActionForm action=confirm attr:class="stacked" attr:novalidate=true>
                            <FormAlert error />
                            <Field label="Your password" name="password" id="confirm-password" kind="password" autocomplete="current-password" error />
                            <Show when=move || with_code.get()>
                                <Field label="or a code from your app" name="code" id="confirm-code" autocomplete="one-time-code" error />
                            </Show>
                            <button type="submit" class="button primary">"Confirm"</button>
                        </ActionForm>
                    }
                >
                    <p role="status">"Confirmed for the next 10 minutes. Please try again."</p>
                </Show>
            </div>
        </Show>
    }
}
