use crate::api::auth::SignIn;
use crate::api::passkeys::PasskeyPurpose;
use crate::components::form::{Field, FormAlert};
use crate::components::passkeys::PasskeyButton;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let query = use_query_map();
    // Validated again on the server before it is used as a redirect target.
    let next = move || query.read().get("next").unwrap_or_default();
    let after_reset = move || query.read().get("reset").is_some();
    view! {
        <Title text="Sign in" />
        <main class="auth">
            <h1>"Sign in to Ledgerlock"</h1>
            <Show when=after_reset>
                <div class="notice" role="status">
                    "Your password was changed and every session signed out. Sign in with the new password."
                </div>
            </Show>
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="next" prop:value=next />
                <Field label="Email" name="email" kind="email" autocomplete="username" autofocus=true error />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
                <A href="/forgot-password" attr:class="aside">"Forgot your password?"</A>
            </ActionForm>
            <div class="or"><span>"or"</span></div>
            <PasskeyButton
                label="Sign in with a passkey"
                purpose=PasskeyPurpose::SignIn
                next=Signal::derive(move || Some(next()).filter(|next| !next.is_empty()))
            />
            <p class="switch">"New to Ledgerlock? " <A href="/sign-up">"Create an account"</A></p>
        </main>
    }
}
