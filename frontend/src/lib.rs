//! The browser side: make the server-rendered page interactive.

use wasm_bindgen::prelude::wasm_bindgen;

/// Hydrates the page, then marks `<body data-hydrated="true">`: every
/// control works from then on (end-to-end tests and `make bench`'s time to
/// interactive wait for it).
///
/// Hydrating waits for the shown route's code first (its routes are lazy:
/// `ledgerlock_app::app`), so the mark is set after that wait, not by an
/// effect of the app (effects run while the route's code is still loading).
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::tachys::dom::body();
        let app = leptos::mount::hydrate_from_async(body.clone(), ledgerlock_app::App).await;
        // The page lives as long as the tab: nothing unmounts it.
        app.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
