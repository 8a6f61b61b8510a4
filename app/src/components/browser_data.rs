//! Data only the browser loads, once the page has hydrated.
//!
//! Why not `LocalResource`: reading one under a `<Suspense>` (every signed-in
//! page is under the app shell's) makes the server race that Suspense's
//! children against "a local resource was read". When the read wins, the
//! chunk is marked incomplete and the browser hydrates the fallback against
//! the children's HTML: a hydration panic, now and then, that left the page
//! dead (seen on the invoice list and editor; caught with a
//! `--cfg leptos_debuginfo` client in session 8). A signal filled from an
//! Effect never touches Suspense: the server and the hydrating browser both
//! render it empty, and it fills in afterwards.

use leptos::prelude::*;
use std::future::Future;

/// `None` until `fetch`'s future has answered in the browser (never on the
/// server); `fetch` runs again whenever a signal it reads changes, and only
/// the newest answer is kept.
pub fn browser_data<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> ReadSignal<Option<T>>
where
    T: Send + Sync + 'static,
    Fut: Future<Output = T> + 'static,
{
    let (value, set_value) = signal(None);
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let answer = fetch();
        asked.update_value(|count| *count += 1);
        let this = asked.get_value();
        leptos::task::spawn_local(async move {
            let answer = answer.await;
            if asked.try_get_value() == Some(this) {
                set_value.set(Some(answer));
            }
        });
    });
    value
}
