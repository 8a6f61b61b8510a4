use crate::api::auth::me;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn LandingPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| me());
    view! {
        <Title text="" />
        <main class="landing">
            <section class="hero">
                <h1>"Ledgerlock"</h1>
                <p class="tagline">"Invoicing for businesses that take security seriously."</p>
                <ul class="promises">
                    <li>"Exact decimal money and gapless invoice numbers"</li>
                    <li>"Passwords hashed with argon2id, sessions you can see and end"</li>
                    <li>"Self-hosted: your data stays on your server"</li>
                </ul>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(viewer)) => view! {
                                <p class="actions">
                                    <A href="/app" attr:class="button primary">
                                        {format!("Continue to {}", viewer.organization_name)}
                                    </A>
                                </p>
                            }.into_any(),
                            _ => view! {
                                <p class="actions">
                                    <A href="/sign-up" attr:class="button primary">"Create an account"</A>
                                    <A href="/sign-in" attr:class="button">"Sign in"</A>
                                </p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}
