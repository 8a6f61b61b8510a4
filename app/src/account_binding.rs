//! Each browser tab acts only as the account it shows.
//!
//! Tabs share the session cookie: after signing in as someone else (or
//! switching organization) in one tab, a form left open in another wrote
//! into the new account while its header still named the old one
//! (helper-13, 2026-12-01). So every server function call carries the
//! account its tab was showing, as the tag the server last gave it
//! ([`HEADER`]); the server refuses a call whose tag is not the session's
//! (409, with [`CHANGED_HEADER`], nothing done), and the tab reloads as the
//! account now signed in.
//!
//! A tab learns its tag from the signed-in frame's viewer (rendered by the
//! server with the page) and from every answer the server gives it, which
//! carries the session's tag after the call: signing in, out or switching
//! organization in the tab itself moves it along. A call without the header
//! (a form posted before the page hydrated, a script) is not checked: the
//! header binds a tab's view, it is not a credential.

/// The request and response header carrying an account tag: 16 hex digits,
/// or empty when signed out.
pub const HEADER: &str = "x-ledgerlock-account";
/// On a refusal: the session's account is no longer the one the tab shows.
pub const CHANGED_HEADER: &str = "x-ledgerlock-account-changed";
/// What the refused call's caller reads. Another tab is the usual cause,
/// not the only one: a session that ended or moved to another organization
/// (a member removed) is refused the same way (helper-14 found the first
/// wording wrong there).
pub const CHANGED_MESSAGE: &str = "Your session changed since this page opened (in another tab, or your access changed). The page reloads to show where you stand.";

/// The tag of a signed-in session's account: its sign-in (the session's
/// random handle) and the organization it acts in, hashed so the page learns
/// neither. A signed-out session's tag is empty.
#[cfg(feature = "ssr")]
pub fn tag(handle: uuid::Uuid, organization_id: uuid::Uuid) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(handle.as_bytes())
        .chain_update(organization_id.as_bytes())
        .finalize();
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

thread_local! {
    /// The tag of the account this tab shows; `None` until it learnt one.
    static SHOWN: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Records the account this tab now shows.
pub fn adopt(tag: &str) {
    SHOWN.with_borrow_mut(|shown| *shown = Some(tag.to_owned()));
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The router's location: during a navigation it leads the address bar,
    /// which leptos_router updates only once the new route's code and data
    /// are in (`BrowserUrl::init`).
    static ROUTER_LOCATION: std::cell::RefCell<Option<leptos_router::location::Location>> =
        const { std::cell::RefCell::new(None) };
}

/// Placed once inside `<Router>`: lets [`show_account_now_signed_in`] go
/// where the tab was going rather than back where it was.
#[leptos::component]
pub fn FollowRouter() -> impl leptos::IntoView {
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        ROUTER_LOCATION.with_borrow_mut(|slot| *slot = Some(location));
    }
}

/// Loads the page afresh as the account now signed in, at the address the
/// tab was going to: a click that revealed the change (its call refused, or
/// the shell's check of who is signed in) lands where it was aimed, not back
/// on the page it left (a reload there did that while the click's route
/// still loaded: a flaky end-to-end test, 2026-12-01). Does nothing on the
/// server.
pub fn show_account_now_signed_in() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::GetUntracked;
        let location = leptos::prelude::window().location();
        let destination = ROUTER_LOCATION.with_borrow(|router| {
            let router = router.as_ref()?;
            let path = router.pathname.try_get_untracked()?;
            let search = router.search.try_get_untracked()?;
            let hash = router.hash.try_get_untracked()?;
            let query = if search.is_empty() { "" } else { "?" };
            Some(format!("{path}{query}{search}{hash}"))
        });
        let here = format!(
            "{}{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default(),
            location.hash().unwrap_or_default()
        );
        let _ = match destination {
            Some(destination) if destination != here => location.assign(&destination),
            _ => location.reload(),
        };
    }
}

/// The server function client of every call (`client = ` in each
/// `#[server]`): the browser's `fetch`, with the tab's tag on the way out
/// and the session's on the way back.
pub struct AccountBound;

mod client {
    use super::{AccountBound, CHANGED_HEADER, HEADER, SHOWN, adopt, show_account_now_signed_in};
    use leptos::server_fn::Bytes;
    use leptos::server_fn::client::Client;
    use leptos::server_fn::client::browser::BrowserClient;
    use leptos::server_fn::error::FromServerFnError;
    use leptos::server_fn::request::browser::BrowserRequest;
    use leptos::server_fn::response::browser::BrowserResponse;
    use std::future::Future;

    impl<E, InputStreamError, OutputStreamError> Client<E, InputStreamError, OutputStreamError>
        for AccountBound
    where
        E: FromServerFnError,
        InputStreamError: FromServerFnError,
        OutputStreamError: FromServerFnError,
    {
        type Request = BrowserRequest;
        type Response = BrowserResponse;

        fn send(
            request: BrowserRequest,
        ) -> impl Future<Output = Result<BrowserResponse, E>> + Send {
            if let Some(tag) = SHOWN.with_borrow(Clone::clone) {
                request.headers().set(HEADER, &tag);
            }
            let sent =
                <BrowserClient as Client<E, InputStreamError, OutputStreamError>>::send(request);
            async move {
                let response = sent.await?;
                let headers = response.generate_headers();
                if headers.contains_key(CHANGED_HEADER) {
                    show_account_now_signed_in();
                } else if let Some(tag) = headers.get(HEADER).and_then(|tag| tag.to_str().ok()) {
                    adopt(tag);
                }
                Ok(response)
            }
        }

        fn open_websocket(
            path: &str,
        ) -> impl Future<
            Output = Result<
                (
                    impl futures::Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                    impl futures::Sink<Bytes> + Send + 'static,
                ),
                E,
            >,
        > + Send {
            <BrowserClient as Client<E, InputStreamError, OutputStreamError>>::open_websocket(path)
        }

        fn spawn(future: impl Future<Output = ()> + Send + 'static) {
            <BrowserClient as Client<E, InputStreamError, OutputStreamError>>::spawn(future);
        }
    }
}
