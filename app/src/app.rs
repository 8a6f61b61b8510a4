//! The HTML shell and the routes.

use crate::components::app_shell::AppShell;
use crate::pages::{
    access_report::AccessReportPage, account::AccountPage, audit_log::AuditLogPage,
    confirm_email::ConfirmEmailPage, customers::CustomersPage, dashboard::DashboardPage,
    forgot_password::ForgotPasswordPage, invitation::InvitationPage,
    invoice_editor::InvoiceEditorPage, invoice_view::InvoiceViewPage, invoices::InvoicesPage,
    landing::LandingPage, not_found::NotFoundPage, organization::OrganizationPage,
    products::ProductsPage, reset_password::ResetPasswordPage, roles::RolesPage,
    security_activity::SecurityActivityPage, sessions::SessionsPage, sign_in::SignInPage,
    sign_up::SignUpPage, team::TeamPage, verify_sign_in::VerifySignInPage,
};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The document around every server-rendered page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::headers::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, once the page is interactive: the
    // marker tells end-to-end tests (and curious users) hydration finished.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Ledgerlock".to_owned() } else { format!("{page} · Ledgerlock") }
        } />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("") view=LandingPage />
                <Route path=path!("sign-up") view=SignUpPage />
                <Route path=path!("sign-in") view=SignInPage />
                <Route path=path!("sign-in/verify") view=VerifySignInPage />
                <Route path=path!("forgot-password") view=ForgotPasswordPage />
                <Route path=path!("reset-password") view=ResetPasswordPage />
                <Route path=path!("confirm-email") view=ConfirmEmailPage />
                <Route path=path!("invitation") view=InvitationPage />
                <ParentRoute path=path!("app") view=AppShell>
                    <Route path=path!("") view=DashboardPage />
                    <Route path=path!("sessions") view=SessionsPage />
                    <Route path=path!("security") view=SecurityActivityPage />
                    <Route path=path!("account") view=AccountPage />
                    <Route path=path!("organization") view=OrganizationPage />
                    <Route path=path!("invoices") view=InvoicesPage />
                    <Route path=path!("invoices/new") view=InvoiceEditorPage />
                    <Route path=path!("invoices/:id") view=InvoiceViewPage />
                    <Route path=path!("invoices/:id/edit") view=InvoiceEditorPage />
                    <Route path=path!("customers") view=CustomersPage />
                    <Route path=path!("products") view=ProductsPage />
                    <Route path=path!("audit") view=AuditLogPage />
                    <Route path=path!("team") view=TeamPage />
                    <Route path=path!("team/roles") view=RolesPage />
                    <Route path=path!("team/access") view=AccessReportPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
