use crate::api::auth::ResetPassword;
use crate::components::form::{Field, FormAlert};
use crate::components::password_meter::PasswordMeter;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let (password, set_password) = signal(String::new());
    view! {
        <Title text="Choose a new password" />
        <main class="auth">
            <h1>"Choose a new password"</h1>
            <p>"Every session of your account will be signed out, on every device."</p>
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <input type="hidden" name="token" prop:value=token />
                <Field
                    label="New password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    autofocus=true
                    on_input=move |value| set_password.set(value)
                    error
                />
                <PasswordMeter password />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Set the new password"
                </button>
            </ActionForm>
            <p class="switch"><A href="/forgot-password">"Ask for a new link"</A></p>
        </main>
    }
}
