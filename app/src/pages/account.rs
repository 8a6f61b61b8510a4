use crate::api::auth::{ChangePassword, Viewer};
use crate::components::form::{Field, FormAlert};
use crate::components::passkeys::PasskeySettings;
use crate::components::password_meter::PasswordMeter;
use crate::components::two_step::TwoStepSettings;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let viewer = use_context::<Viewer>();
    let must_set_up = viewer
        .as_ref()
        .is_some_and(|viewer| viewer.must_set_up_second_factor);
    let (email, name, organization) = viewer.map_or_else(Default::default, |viewer| {
        (viewer.email, viewer.name, viewer.organization_name)
    });
    let action = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let (password, set_password) = signal(String::new());
    let factor_changes = RwSignal::new(0_u32);
    view! {
        <Title text="Account" />
        <h1>"Account"</h1>
        {must_set_up.then(|| view! {
            <div class="notice" role="status" data-testid="second-factor-required">
                "Your organization requires two-step verification. Add a passkey or set up an authenticator app below to reach its data."
            </div>
        })}
        <section class="panel">
            <h2>"Change your password"</h2>
            <p>"Every other session of your account will be signed out."</p>
            <Show when=done>
                <div class="notice" role="status">"Password changed. Your other sessions were signed out."</div>
            </Show>
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error />
                <Field
                    label="New password"
                    name="new_password"
                    kind="password"
                    autocomplete="new-password"
                    on_input=move |value| set_password.set(value)
                    error
                />
                <PasswordMeter
                    password
                    email=Signal::stored(email)
                    name=Signal::stored(name)
                    organization=Signal::stored(organization)
                />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
        </section>
        <PasskeySettings changes=factor_changes />
        <TwoStepSettings changes=factor_changes />
    }
}
