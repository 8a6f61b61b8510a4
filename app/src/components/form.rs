//! Form fields that show the error the server (or the same rule in the
//! browser) attached to them.

use crate::error::AppError;
use leptos::prelude::*;

/// The outcome of the last submission, as a signal of its error.
pub type FormError = Signal<Option<AppError>>;

/// A labelled input. Its error is the last submission's error when that error
/// names this field.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] autofocus: bool,
    /// The input's id, when one page has two fields of the same name.
    #[prop(optional)]
    id: Option<&'static str>,
    /// Called with the value on every keystroke (for live feedback).
    #[prop(optional, into)]
    on_input: Option<Callback<String>>,
    error: FormError,
) -> impl IntoView {
    let id = id.map_or_else(|| format!("field-{name}"), str::to_owned);
    let error_id = format!("{id}-error");
    let message = move || {
        error
            .get()
            .filter(|error| error.field() == Some(name))
            .map(|error| error.to_string())
    };
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                autofocus=autofocus
                required=true
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                on:input=move |event| {
                    if let Some(on_input) = on_input {
                        on_input.run(event_target_value(&event));
                    }
                }
            />
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">
                {message}
            </p>
        </div>
    }
}

/// An error that belongs to no single field, shown above the form.
#[component]
pub fn FormAlert(error: FormError) -> impl IntoView {
    let message = move || {
        error
            .get()
            .filter(|error| error.field().is_none())
            .map(|error| error.to_string())
    };
    view! {
        <Show when=move || message().is_some()>
            <div class="alert" role="alert">
                {message}
            </div>
        </Show>
    }
}
