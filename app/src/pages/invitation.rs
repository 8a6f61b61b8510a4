//! Where an invitation link lands: join with the invited account, or
//! create it.

use crate::api::invitations::{
    AcceptInvitation, AcceptInvitationWithAccount, InvitationDetails, invitation_preview,
};
use crate::components::form::{Field, FormAlert};
use crate::components::password_meter::PasswordMeter;
use crate::domain::next_path::sign_in_url;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let details = Resource::new(token, invitation_preview);
    view! {
        <Title text="Invitation" />
        <main class="auth">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match details.await {
                        Ok(details) => view! { <Answer details token=token() /> }.into_any(),
                        Err(error) => view! {
                            <h1>"Invitation"</h1>
                            <div class="alert" role="alert">{error.to_string()}</div>
                            <p>"Ask whoever invited you to send a new invitation."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
    .into_any()
}

#[component]
fn Answer(details: InvitationDetails, token: String) -> impl IntoView {
    let heading = format!("Join {}", details.organization_name);
    let intro = format!(
        "{} invited {} to {} as {}.",
        details.invited_by, details.email, details.organization_name, details.role_label
    );
    let here = format!("/invitation?token={token}");
    let body = match &details.signed_in_as {
        Some(email) if email.eq_ignore_ascii_case(&details.email) => {
            view! { <JoinForm token /> }.into_any()
        }
        Some(email) => view! {
            <div class="alert" role="alert">
                {format!("You are signed in as {email}. This invitation is for {}: sign out, then sign in with that address.", details.email)}
            </div>
        }
        .into_any(),
        None if details.account_exists => view! {
            <p>"You already have a Ledgerlock account with this address."</p>
            <a class="button primary" href=sign_in_url(&here)>"Sign in to accept"</a>
        }
        .into_any(),
        None => view! { <NewAccountForm token details /> }.into_any(),
    };
    view! {
        <h1>{heading}</h1>
        <p>{intro}</p>
        {body}
    }
    .into_any()
}

#[component]
fn JoinForm(token: String) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = Signal::derive(move || accept.value().get().and_then(Result::err));
    view! {
        <ActionForm action=accept attr:class="stacked">
            <FormAlert error />
            <input type="hidden" name="token" value=token />
            <button type="submit" class="button primary" disabled=move || accept.pending().get()>"Accept and join"</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn NewAccountForm(token: String, details: InvitationDetails) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitationWithAccount>::new();
    let error = Signal::derive(move || accept.value().get().and_then(Result::err));
    let (password, set_password) = signal(String::new());
    let (name, set_name) = signal(String::new());
    let email = details.email.clone();
    let organization = details.organization_name.clone();
    view! {
        <p>"Create your account to accept. Your sign-in email is the invited address."</p>
        <ActionForm action=accept attr:class="stacked" attr:novalidate=true>
            <FormAlert error />
            <input type="hidden" name="token" value=token />
            <div class="field">
                <label for="invited-email">"Email"</label>
                <input id="invited-email" type="email" value=details.email readonly=true />
            </div>
            <Field label="Your name" name="name" autocomplete="name" autofocus=true on_input=move |value| set_name.set(value) error />
            <Field
                label="Password"
                name="password"
                kind="password"
                autocomplete="new-password"
                on_input=move |value| set_password.set(value)
                error
            />
            <PasswordMeter
                password
                email=Signal::derive(move || email.clone())
                name=name
                organization=Signal::derive(move || organization.clone())
            />
            <button type="submit" class="button primary" disabled=move || accept.pending().get()>"Create account and join"</button>
        </ActionForm>
    }
    .into_any()
}
