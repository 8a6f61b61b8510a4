use crate::api::auth::SignUp;
use crate::components::form::{Field, FormAlert};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Create an account" />
        <main class="auth">
            <h1>"Create your Ledgerlock account"</h1>
            <p>"You will be the owner of a new organization and can invite your team later."</p>
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <Field label="Your name" name="name" autocomplete="name" autofocus=true error />
                <Field label="Email" name="email" kind="email" autocomplete="username" error />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="12 to 128 characters. A few unrelated words make a strong password."
                    error
                />
                <Field label="Organization name" name="organization" autocomplete="organization" error />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
            <p class="switch">"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </main>
    }
}
