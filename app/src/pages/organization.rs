use crate::api::organization::{SetSecondFactorPolicy, organization_settings};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::FormAlert;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OrganizationPage() -> impl IntoView {
    let policy = ServerAction::<SetSecondFactorPolicy>::new();
    let settings = Resource::new(move || policy.version().get(), |_| organization_settings());
    let error = Signal::derive(move || other_error(policy.value().get()));
    let must_confirm = Signal::derive(move || needs_confirmation(policy.value().get()));
    view! {
        <Title text="Organization" />
        <h1>"Organization"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! {
                        <section class="panel" data-testid="second-factor-policy">
                            <h2>"Two-step verification for everyone"</h2>
                            <p>
                                {if settings.require_second_factor {
                                    "Required: members without an authenticator app are asked to set one up and cannot reach the organization's data until they do."
                                } else {
                                    "Optional: each member decides for themselves."
                                }}
                            </p>
                            <ConfirmIdentity when=must_confirm />
                            <FormAlert error />
                            <ActionForm action=policy attr:class="inline">
                                <input type="hidden" name="required" value=(!settings.require_second_factor).to_string() />
                                <button type="submit" class="button">
                                    {if settings.require_second_factor { "Make it optional" } else { "Require it for every member" }}
                                </button>
                            </ActionForm>
                        </section>
                    }
                        .into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
