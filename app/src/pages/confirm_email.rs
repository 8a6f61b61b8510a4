//! `/confirm-email?token=…`: the page the confirmation mail links to. Opening
//! it changes nothing (no GET changes state); the button confirms.

use crate::api::auth::ConfirmEmail;
use crate::components::form::FormAlert;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmail>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Confirm your email address" />
        <main class="auth">
            <h1>"Confirm your email address"</h1>
            <Show
                when=done
                fallback=move || view! {
                    <p>"This confirms that the address belongs to your Ledgerlock account."</p>
                    <ActionForm action=action attr:class="stacked">
                        <FormAlert error />
                        <input type="hidden" name="token" prop:value=token />
                        <button type="submit" class="button primary" disabled=move || action.pending().get()>
                            "Confirm my email address"
                        </button>
                    </ActionForm>
                }
            >
                <p role="status" data-testid="email-confirmed">"Your email address is confirmed. Thank you."</p>
            </Show>
            <p class="switch"><A href="/app">"Go to Ledgerlock"</A></p>
        </main>
    }
}
