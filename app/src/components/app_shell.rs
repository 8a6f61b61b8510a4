//! The frame around every signed-in page: header, navigation, sign-out.

use crate::api::auth::{ResendConfirmation, SignOut, Viewer, me};
use crate::api::organization::{CreateOrganization, SwitchOrganization, my_organizations};
use crate::components::browser_data::browser_data;
use crate::components::form::{Field, FormAlert};
use crate::components::time::BrowserTimeZoneField;
use crate::domain::Permission;
use crate::domain::next_path::sign_in_url;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::{use_location, use_navigate};

#[component]
pub fn AppShell() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| me());
    // This tab acts as the account it shows (`account_binding`).
    Effect::new(move |_| {
        if let Some(Ok(Some(shown))) = viewer.get() {
            crate::account_binding::adopt(&shown.account);
        }
    });
    let sign_out = ServerAction::<SignOut>::new();
    let location = use_location();
    // Where to come back to after signing in again.
    let sign_in_path = move || {
        let here = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        sign_in_url(&here)
    };

    // In the browser, every navigation asks again whether the session still
    // stands: a member removed a moment ago lands on the sign-in page at
    // their next click rather than on a page of errors.
    let still_signed_in = browser_data(move || {
        location.pathname.track();
        me()
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        // The shell stays on screen while a page outside it (a lazy route)
        // loads, e.g. the sign-in page after signing out: the answer is
        // only for pages inside the shell, or it would send the sign-in
        // page to itself with `?next=/sign-in`.
        if !location.pathname.get_untracked().starts_with("/app") {
            return;
        }
        match still_signed_in.get() {
            Some(Ok(None)) => navigate(&sign_in_path(), NavigateOptions::default()),
            // Someone else (or the same person with other rights or another
            // organization) signed in meanwhile, in another tab: the header
            // and menus would show one account over another's data. Load
            // the page the tab is going to afresh, as the account now
            // signed in.
            Some(Ok(Some(now))) => {
                let shown = viewer.get_untracked().and_then(Result::ok).flatten();
                if shown.is_some_and(|shown| shown != now) {
                    crate::account_binding::show_account_now_signed_in();
                }
            }
            _ => {}
        }
    });

    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    // The organization requires a second factor this member lacks:
                    // the Account page is where to set it up.
                    Ok(Some(viewer))
                        if viewer.must_set_up_second_factor
                            && location.pathname.get_untracked() != "/app/account" =>
                    {
                        view! { <Redirect path="/app/account" /> }.into_any()
                    }
                    Ok(Some(viewer)) => {
                        // Pages inside the shell read who is signed in from here.
                        provide_context(viewer.clone());
                        let own_page = matches!(
                            location.pathname.get_untracked().as_str(),
                            "/app/account" | "/app/sessions" | "/app/security"
                        );
                        let content = if viewer.has_organization || own_page {
                            view! { <Outlet /> }.into_any()
                        } else {
                            view! { <NoOrganization /> }.into_any()
                        };
                        let unconfirmed = (!viewer.email_confirmed)
                            .then(|| view! { <ConfirmEmailNotice email=viewer.email.clone() /> });
                        view! {
                            <header class="app-header">
                                <A href="/app" attr:class="brand">"Ledgerlock"</A>
                                <span class="organization">{viewer.organization_name.clone()}</span>
                                {(viewer.organization_count > 1).then(|| view! { <OrganizationSwitch /> })}
                                <nav class="app-nav" aria-label="Main">
                                    {viewer.has_organization.then(|| view! { <A href="/app" exact=true>"Dashboard"</A> })}
                                    {viewer.can(Permission::InvoicesRead).then(|| view! { <A href="/app/invoices">"Invoices"</A> })}
                                    {viewer.can(Permission::CustomersRead).then(|| view! { <A href="/app/customers">"Customers"</A> })}
                                    {viewer.can(Permission::ProductsRead).then(|| view! { <A href="/app/products">"Products"</A> })}
                                    {viewer.can(Permission::AuditRead).then(|| view! { <A href="/app/audit">"Audit log"</A> })}
                                    {viewer.can(Permission::TeamManage).then(|| view! { <A href="/app/team">"Team"</A> })}
                                    <A href="/app/sessions">"Sessions"</A>
                                    <A href="/app/security">"Security activity"</A>
                                    <A href="/app/account">"Account"</A>
                                    {viewer.can(Permission::SettingsManage).then(|| view! { <A href="/app/organization">"Organization"</A> })}
                                </nav>
                                <div class="account">
                                    <span class="user" title=viewer.email.clone()>{viewer.name.clone()}</span>
                                    <span class="role">{viewer.role.clone()}</span>
                                    <ActionForm action=sign_out attr:class="inline">
                                        <button type="submit" class="link">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            </header>
                            {unconfirmed}
                            <main class="app-main">
                                {content}
                            </main>
                        }
                            .into_any()
                    }
                    // Signed out, expired, or the membership is gone.
                    Ok(None) | Err(_) => view! { <Redirect path=sign_in_path() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Said on every page until the account's address is confirmed, with a way
/// to have the link sent again.
#[component]
fn ConfirmEmailNotice(email: String) -> impl IntoView {
    let resend = ServerAction::<ResendConfirmation>::new();
    let sent = move || matches!(resend.value().get(), Some(Ok(())));
    let refused =
        move || {
            resend.value().get().and_then(Result::err).map(|error| {
                match error {
            crate::error::AppError::RateLimited => {
                "Several links went out in the last hour: use the newest one, or try again later."
                    .to_owned()
            }
            other => other.to_string(),
        }
            })
        };
    view! {
        <aside class="notice" role="status" data-testid="confirm-email-notice">
            <p>
                "Confirm your email address: we sent a link to " <strong>{email}</strong>
                ". Until then you cannot invite anyone or send documents to customers."
            </p>
            <ActionForm action=resend attr:class="inline">
                <button type="submit" class="link" disabled=move || resend.pending().get()>
                    "Send the link again"
                </button>
            </ActionForm>
            <Show when=sent>
                <p>"A new link is on its way."</p>
            </Show>
            {move || refused().map(|message| view! { <p class="error">{message}</p> })}
        </aside>
    }
}

/// For a user who belongs to no organization (removed from their last one):
/// start one, or open an invitation link.
#[component]
fn NoOrganization() -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(()))) {
            let _ = window().location().assign("/app");
        }
    });
    view! {
        <section class="panel" data-testid="no-organization">
            <h1>"You are not in any organization"</h1>
            <p>
                "You were removed from your last organization, so there is nothing to show here. "
                "If someone invited you to theirs, open the link in their invitation. "
                "Or start an organization of your own:"
            </p>
            <ActionForm action=create attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <Field label="Organization name" name="organization" error />
                <BrowserTimeZoneField />
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    "Create organization"
                </button>
            </ActionForm>
        </section>
    }
}

/// Whether the signed-in member holds `permission`, for pages inside the
/// shell deciding what to offer. (The server decides what is allowed.)
pub fn can(permission: Permission) -> bool {
    use_context::<Viewer>().is_some_and(|viewer| viewer.can(permission))
}

/// Moves this session to another of the user's organizations.
#[component]
fn OrganizationSwitch() -> impl IntoView {
    let switch = ServerAction::<SwitchOrganization>::new();
    let choices = browser_data(my_organizations);
    // Everything on screen belongs to the old organization: load afresh.
    Effect::new(move |_| {
        if matches!(switch.value().get(), Some(Ok(()))) {
            let _ = window().location().assign("/app");
        }
    });
    view! {
        <ActionForm action=switch attr:class="inline organization-switch">
            <label class="visually-hidden" for="organization-switch">"Organization"</label>
            <select id="organization-switch" name="id">
                {move || choices.get().and_then(Result::ok).map(|choices| {
                    choices.into_iter().map(|choice| view! {
                        <option value=choice.id.to_string() selected=choice.current>
                            {format!("{} ({})", choice.name, choice.role_label)}
                        </option>
                    }).collect_view()
                })}
            </select>
            <button type="submit" class="link">"Switch"</button>
        </ActionForm>
    }
}
