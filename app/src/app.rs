//! The HTML shell and the routes.

use crate::account_binding::FollowRouter;
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
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, path};

/// The document around every server-rendered page.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use crate::ssr::site_assets::ClientAssets;
    use leptos_meta::MetaTags;
    crate::ssr::headers::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <ClientAssets options />
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
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Ledgerlock".to_owned() } else { format!("{page} · Ledgerlock") }
        } />
        <Router>
            <FollowRouter />
            <Routes fallback=NotFoundPage>
                <Route path=path!("") view={Lazy::<LandingRoute>::new()} />
                <Route path=path!("sign-up") view={Lazy::<SignUpRoute>::new()} />
                <Route path=path!("sign-in") view={Lazy::<SignInRoute>::new()} />
                <Route path=path!("sign-in/verify") view={Lazy::<VerifySignInRoute>::new()} />
                <Route path=path!("forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} />
                <Route path=path!("reset-password") view={Lazy::<ResetPasswordRoute>::new()} />
                <Route path=path!("confirm-email") view={Lazy::<ConfirmEmailRoute>::new()} />
                <Route path=path!("invitation") view={Lazy::<InvitationRoute>::new()} />
                <ParentRoute path=path!("app") view={Lazy::<AppShellRoute>::new()}>
                    <Route path=path!("") view={Lazy::<DashboardRoute>::new()} />
                    <Route path=path!("sessions") view={Lazy::<SessionsRoute>::new()} />
                    <Route path=path!("security") view={Lazy::<SecurityActivityRoute>::new()} />
                    <Route path=path!("account") view={Lazy::<AccountRoute>::new()} />
                    <Route path=path!("organization") view={Lazy::<OrganizationRoute>::new()} />
                    <Route path=path!("invoices") view={Lazy::<InvoicesRoute>::new()} />
                    <Route path=path!("invoices/new") view={Lazy::<InvoiceEditorRoute>::new()} />
                    <Route path=path!("invoices/:id") view={Lazy::<InvoiceViewRoute>::new()} />
                    <Route path=path!("invoices/:id/edit") view={Lazy::<InvoiceEditorRoute>::new()} />
                    <Route path=path!("customers") view={Lazy::<CustomersRoute>::new()} />
                    <Route path=path!("products") view={Lazy::<ProductsRoute>::new()} />
                    <Route path=path!("audit") view={Lazy::<AuditLogRoute>::new()} />
                    <Route path=path!("team") view={Lazy::<TeamRoute>::new()} />
                    <Route path=path!("team/roles") view={Lazy::<RolesRoute>::new()} />
                    <Route path=path!("team/access") view={Lazy::<AccessReportRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Declares the lazy routes of one group of pages. In the browser the
/// group's code (and whatever only it uses) is a file of its own, fetched
/// when one of its pages is first shown (issue 16: the first load stays
/// small); code several groups share goes to files of its own, fetched with
/// the first of them. A page loads its own data, as an eager route's would;
/// the server renders it as any other.
///
/// `#[lazy]` names the group's preloading function `__preload_<group>`
/// (in the browser only); the macro is given both names.
///
/// Pages are grouped rather than split one by one: each combination of
/// groups sharing some code becomes a file, and 23 single-page splits made
/// 539 of them (125 requests for the sign-in page alone).
macro_rules! lazy_pages {
    ($group:ident, $preload:ident: $pages:ident { $($route:ident => $page:ident),* $(,)? }) => {
        // Each variant is named after the page component it shows.
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy, Debug)]
        enum $pages {
            $($page),*
        }

        #[leptos::lazy]
        fn $group(page: $pages) -> AnyView {
            match page {
                $($pages::$page => view! { <$page /> }.into_any()),*
            }
        }

        $(
            #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_this: Self) -> AnyView {
                    $group($pages::$page).await
                }

                // Fetched before hydrating (and when a link to the page is
                // about to be followed): `view` must then be ready at once,
                // as it was on the server, or hydration would not match.
                // On the server the router calls this for every level of the
                // matched route before rendering: the page's <head> then
                // preloads the group's files (`view` is called too late for
                // a nested route's, as a waterfall on a slow link showed).
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                    #[cfg(feature = "ssr")]
                    crate::ssr::site_assets::preload_lazy_group(stringify!($group));
                }
            }
        )*
    };
}

// Signed out: the landing page, signing up, and the links mailed.
lazy_pages!(public_pages, __preload_public_pages: PublicPages {
    LandingRoute => LandingPage,
    SignUpRoute => SignUpPage,
    ForgotPasswordRoute => ForgotPasswordPage,
    ResetPasswordRoute => ResetPasswordPage,
    ConfirmEmailRoute => ConfirmEmailPage,
    InvitationRoute => InvitationPage,
});

// Signing in and its second step (passkeys, codes).
lazy_pages!(sign_in_pages, __preload_sign_in_pages: SignInPages {
    SignInRoute => SignInPage,
    VerifySignInRoute => VerifySignInPage,
});

// The frame around every signed-in page.
lazy_pages!(app_frame, __preload_app_frame: AppFrame { AppShellRoute => AppShell });

// What a member opens first and their own security.
lazy_pages!(home_pages, __preload_home_pages: HomePages {
    DashboardRoute => DashboardPage,
    SessionsRoute => SessionsPage,
    SecurityActivityRoute => SecurityActivityPage,
});

// Settings: the account (passkeys, TOTP), the organization and the team.
lazy_pages!(settings_pages, __preload_settings_pages: SettingsPages {
    AccountRoute => AccountPage,
    OrganizationRoute => OrganizationPage,
    TeamRoute => TeamPage,
    RolesRoute => RolesPage,
    AccessReportRoute => AccessReportPage,
});

// The invoice list, the page members open most.
lazy_pages!(invoice_list, __preload_invoice_list: InvoiceList { InvoicesRoute => InvoicesPage });

// Reading the books: one document, customers, products, the audit log.
lazy_pages!(book_pages, __preload_book_pages: BookPages {
    InvoiceViewRoute => InvoiceViewPage,
    CustomersRoute => CustomersPage,
    ProductsRoute => ProductsPage,
    AuditLogRoute => AuditLogPage,
});

// Writing an invoice: the editor is the largest page and the rarest.
lazy_pages!(editor_pages, __preload_editor_pages: EditorPages { InvoiceEditorRoute => InvoiceEditorPage });
