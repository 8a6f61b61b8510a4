use crate::api::auth::RequestPasswordReset;
use crate::components::form::{Field, FormAlert};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    view! {
        <Title text="Reset your password" />
        <main class="auth">
            <h1>"Reset your password"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p>"Enter the email address of your account. We will send you a link to choose a new password."</p>
                    <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                        <FormAlert error />
                        <Field label="Email" name="email" kind="email" autocomplete="username" autofocus=true error />
                        <button type="submit" class="button primary" disabled=move || action.pending().get()>
                            "Send the link"
                        </button>
                    </ActionForm>
                }
            >
                <div class="notice" role="status" data-testid="reset-sent">
                    "If an account uses that address, a link to reset its password is on its way. "
                    "It works once, for 30 minutes."
                </div>
            </Show>
            <p class="switch"><A href="/sign-in">"Back to sign in"</A></p>
        </main>
    }
}
