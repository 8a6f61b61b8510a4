use crate::api::auth::VerifySecondFactor;
use crate::api::passkeys::PasskeyPurpose;
use crate::components::form::{Field, FormAlert};
use crate::components::passkeys::PasskeyButton;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The second step of signing in, after the right password.
#[component]
pub fn VerifySignInPage() -> impl IntoView {
    let action = ServerAction::<VerifySecondFactor>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Two-step verification" />
        <main class="auth">
            <h1>"Two-step verification"</h1>
            <p>"Use one of your passkeys, or enter the 6-digit code from your authenticator app. Lost them? Enter one of your recovery codes instead."</p>
            <PasskeyButton
                label="Use a passkey"
                purpose=PasskeyPurpose::SecondFactor
                next=Signal::derive(move || Some(next()).filter(|next| !next.is_empty()))
            />
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="next" prop:value=next />
                <Field
                    label="Code"
                    name="code"
                    autocomplete="one-time-code"
                    hint="6 digits, or a recovery code like K7PQ-2M4D-XV3A-T3NE"
                    autofocus=true
                    error
                />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Verify"
                </button>
            </ActionForm>
            <p class="switch"><A href="/sign-in">"Start again"</A></p>
        </main>
    }
}
