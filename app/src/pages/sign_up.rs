use crate::api::auth::SignUp;
use crate::components::form::{Field, FormAlert};
use crate::components::password_meter::PasswordMeter;
use crate::components::time::BrowserTimeZoneField;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let (name, set_name) = signal(String::new());
    let (email, set_email) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let (organization, set_organization) = signal(String::new());
    view! {
        <Title text="Create an account" />
        <main class="auth">
            <h1>"Create your Ledgerlock account"</h1>
            <p>"You will be the owner of a new organization and can invite your team later."</p>
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <Field
                    label="Your name"
                    name="name"
                    autocomplete="name"
                    autofocus=true
                    on_input=move |value| set_name.set(value)
                    error
                />
                <Field
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    on_input=move |value| set_email.set(value)
                    error
                />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="12 to 128 characters. A few unrelated words make a strong password."
                    on_input=move |value| set_password.set(value)
                    error
                />
                <PasswordMeter password email name organization />
                <Field
                    label="Organization name"
                    name="organization"
                    autocomplete="organization"
                    on_input=move |value| set_organization.set(value)
                    error
                />
                <BrowserTimeZoneField />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
            <p class="switch">"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </main>
    }
}
