//! Step-up: shown when a sensitive action answers "confirm it is you".
//! After confirming, the user repeats the action; the confirmation covers
//! the next ten minutes.

use crate::api::passkeys::PasskeyPurpose;
use crate::api::second_factor::{ConfirmIdentity as ConfirmIdentityAction, second_factor_status};
use crate::components::form::{Field, FormAlert};
use crate::components::passkeys::PasskeyButton;
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

/// Offers the password, and whichever second factors the user has.
#[component]
pub fn ConfirmIdentity(
    /// Shown while true (typically: the guarded action asked for it).
    #[prop(into)]
    when: Signal<bool>,
    /// Called once the user has confirmed (for a page that can then go on
    /// by itself instead of asking to try again).
    #[prop(optional)]
    on_confirmed: Option<Callback<()>>,
) -> impl IntoView {
    let confirm = ServerAction::<ConfirmIdentityAction>::new();
    let (by_passkey, set_by_passkey) = signal(false);
    let shown = move || when.get() || confirm.value().get().is_some();
    // Which factors to offer, looked up once the prompt is needed.
    let factors = Resource::new(shown, |shown| async move {
        if shown {
            second_factor_status().await.ok()
        } else {
            None
        }
    });
    let with_code = move || {
        factors
            .get()
            .flatten()
            .is_some_and(|status| status.totp_since.is_some() || status.recovery_codes_left > 0)
    };
    let with_passkey = move || {
        factors
            .get()
            .flatten()
            .is_some_and(|status| status.passkeys > 0)
    };
    let error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    let confirmed = move || matches!(confirm.value().get(), Some(Ok(()))) || by_passkey.get();
    Effect::new(move |_| {
        if let (true, Some(on_confirmed)) = (confirmed(), on_confirmed) {
            on_confirmed.run(());
        }
    });
    view! {
        <Show when=shown>
            <div class="confirm-identity" role="region" aria-label="Confirm it is you" data-testid="confirm-identity">
                <Show
                    when=confirmed
                    fallback=move || view! {
                        <p><strong>"Confirm it is you."</strong> " This keeps someone at an unlocked computer from changing your security settings."</p>
                        <Show when=with_passkey>
                            <PasskeyButton
                                label="Confirm with a passkey"
                                purpose=PasskeyPurpose::Confirm
                                on_done=Callback::new(move |()| set_by_passkey.set(true))
                            />
                        </Show>
                        <ActionForm action=confirm attr:class="stacked" attr:novalidate=true>
                            <FormAlert error />
                            <Field label="Your password" name="password" id="confirm-password" kind="password" autocomplete="current-password" error />
                            <Show when=with_code>
                                <Field label="or a code from your app, or a recovery code" name="code" id="confirm-code" autocomplete="one-time-code" error />
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
