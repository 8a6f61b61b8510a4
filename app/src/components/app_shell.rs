//! The frame around every signed-in page: header, navigation, sign-out.

use crate::api::auth::{SignOut, me};
use crate::domain::next_path::sign_in_url;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

#[component]
pub fn AppShell() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| me());
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
                        view! {
                            <header class="app-header">
                                <A href="/app" attr:class="brand">"Ledgerlock"</A>
                                <span class="organization">{viewer.organization_name.clone()}</span>
                                <nav class="app-nav" aria-label="Main">
                                    <A href="/app" exact=true>"Dashboard"</A>
                                    <A href="/app/invoices">"Invoices"</A>
                                    <A href="/app/customers">"Customers"</A>
                                    <A href="/app/products">"Products"</A>
                                    <A href="/app/audit">"Audit log"</A>
                                    <A href="/app/sessions">"Sessions"</A>
                                    <A href="/app/security">"Security activity"</A>
                                    <A href="/app/account">"Account"</A>
                                    {viewer.is_owner.then(|| view! { <A href="/app/organization">"Organization"</A> })}
                                </nav>
                                <div class="account">
                                    <span class="user" title=viewer.email.clone()>{viewer.name.clone()}</span>
                                    <span class="role">{viewer.role.clone()}</span>
                                    <ActionForm action=sign_out attr:class="inline">
                                        <button type="submit" class="link">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            </header>
                            <main class="app-main">
                                <Outlet />
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
