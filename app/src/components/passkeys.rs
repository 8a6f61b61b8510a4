//! Passkeys in the UI: the Account page's list (add, rename, remove) and
//! the "use a passkey" button of the sign-in, second-step and step-up forms.

use crate::api::passkeys::{PasskeyPurpose, RemovePasskey, RenamePasskey, list_passkeys};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::{Field, FormAlert};
use crate::components::passkey_ceremony;
use crate::components::time::format_utc;
use crate::components::two_step::FreshRecoveryCodes;
use crate::domain::PasskeyName;
use crate::error::AppError;
use leptos::prelude::*;

/// A button that asks the browser for a passkey. A sign-in or second step
/// then follows the server's redirect; `on_done` runs after a confirmation.
#[component]
pub fn PasskeyButton(
    label: &'static str,
    purpose: PasskeyPurpose,
    /// Where a sign-in goes afterwards.
    #[prop(optional, into)]
    next: Signal<Option<String>>,
    #[prop(optional, into)] on_done: Option<Callback<()>>,
) -> impl IntoView {
    let action = Action::new_local(move |next: &Option<String>| {
        passkey_ceremony::check(purpose, next.clone())
    });
    Effect::new(move || {
        if let (Some(Ok(())), Some(on_done)) = (action.value().get(), on_done) {
            on_done.run(());
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| error.to_string())
    };
    view! {
        <div class="passkey-button">
            <button
                type="button"
                class="button"
                data-testid="use-passkey"
                disabled=move || action.pending().get()
                on:click=move |_| {
                    action.dispatch(next.get_untracked());
                }
            >
                {label}
            </button>
            <p class="field-error" role="alert">{error}</p>
        </div>
    }
}

/// The Account page's passkeys section. `changes` counts changes to the
/// user's factors, so the two-step section can refresh.
#[component]
pub fn PasskeySettings(changes: RwSignal<u32>) -> impl IntoView {
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let add = Action::new_local(|name: &String| passkey_ceremony::register(name.clone()));
    let passkeys = Resource::new(
        move || {
            (
                rename.version().get(),
                remove.version().get(),
                add.version().get(),
            )
        },
        |_| list_passkeys(),
    );
    Effect::new(move |previous: Option<(usize, usize)>| {
        let versions = (add.version().get(), remove.version().get());
        if previous.is_some_and(|previous| previous != versions) {
            changes.update(|count| *count += 1);
        }
        versions
    });
    let (name, set_name) = signal(String::new());
    // The name is checked here first, by the server's own rule, so that a
    // bad name does not cost a trip through the browser's passkey prompt.
    let (name_error, set_name_error) = signal(None::<AppError>);
    let add_error =
        Signal::derive(move || name_error.get().or_else(|| other_error(add.value().get())));
    let rename_error = Signal::derive(move || rename.value().get().and_then(Result::err));
    let remove_error = Signal::derive(move || other_error(remove.value().get()));
    let must_confirm = Signal::derive(move || {
        needs_confirmation(add.value().get()) || needs_confirmation(remove.value().get())
    });
    let fresh_codes = Signal::derive(move || add.value().get().and_then(Result::ok));
    let start = move |_| match PasskeyName::parse(&name.get_untracked()) {
        Ok(name) => {
            set_name_error.set(None);
            add.dispatch(name.as_str().to_owned());
        }
        Err(error) => set_name_error.set(Some(error.into())),
    };

    view! {
        <section class="panel" data-testid="passkeys">
            <h2>"Passkeys"</h2>
            <p>"Sign in with your fingerprint, face or device PIN instead of a password. A passkey also counts as your second step after a password."</p>
            <FreshRecoveryCodes codes=fresh_codes />
            <ConfirmIdentity when=must_confirm />
            <FormAlert error=rename_error />
            <FormAlert error=remove_error />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match passkeys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No passkeys yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="passkeys">
                                {list.into_iter().map(|passkey| {
                                    let rename_id = format!("rename-{}", passkey.id);
                                    view! {
                                        <li data-testid="passkey">
                                            <div class="passkey-facts">
                                                <strong class="passkey-name">{passkey.name.clone()}</strong>
                                                <span>"Added " {format_utc(passkey.created_at)}</span>
                                                <span>{passkey.last_used_at.map_or_else(|| "Never used".to_owned(), |used| format!("Last used {}", format_utc(used)))}</span>
                                                <span class="tag" hidden=!passkey.backed_up>"Synced"</span>
                                            </div>
                                            <ActionForm action=rename attr:class="inline">
                                                <input type="hidden" name="id" value=passkey.id.to_string() />
                                                <label class="visually-hidden" for=rename_id.clone()>"New name"</label>
                                                <input id=rename_id name="name" value=passkey.name maxlength="60" required=true />
                                                <button type="submit" class="button">"Rename"</button>
                                            </ActionForm>
                                            <ActionForm action=remove attr:class="inline">
                                                <input type="hidden" name="id" value=passkey.id.to_string() />
                                                <button type="submit" class="button danger">"Remove"</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="stacked add-passkey">
                <FormAlert error=add_error />
                <Field
                    label="Name for a new passkey"
                    name="name"
                    id="passkey-name"
                    hint="For example the device it is on: “Work laptop”."
                    on_input=move |value| set_name.set(value)
                    error=add_error
                />
                <p class="field-error" role="alert">
                    {move || add_error.get().filter(|error| error.field() == Some("passkey")).map(|error| error.to_string())}
                </p>
                <button type="button" class="button primary" data-testid="add-passkey" disabled=move || add.pending().get() on:click=start>
                    "Add a passkey"
                </button>
            </div>
        </section>
    }
}
