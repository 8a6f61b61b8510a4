//! The Account page's two-step verification section: set up or remove the
//! authenticator app, see how many recovery codes are left, make new ones.

use crate::api::second_factor::{
    ConfirmTotp, RegenerateRecoveryCodes, RemoveTotp, StartTotp, second_factor_status,
};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::{Field, FormAlert};
use crate::components::time::format_utc;
use leptos::prelude::*;

/// Recovery codes just made: shown once, never again.
#[component]
pub fn FreshRecoveryCodes(#[prop(into)] codes: Signal<Option<Vec<String>>>) -> impl IntoView {
    move || {
        codes.get().filter(|codes| !codes.is_empty()).map(|codes| {
            view! {
                <div class="notice" role="status">
                    <p><strong>"Save these recovery codes now."</strong>
                    " Each one works once, if you lose your passkeys and authenticator app. They will not be shown again."</p>
                    <ul class="codes" data-testid="recovery-codes">
                        {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

/// `changes` counts changes made elsewhere on the page (passkeys), which
/// change what this section shows.
#[component]
pub fn TwoStepSettings(changes: RwSignal<u32>) -> impl IntoView {
    let start = ServerAction::<StartTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let remove = ServerAction::<RemoveTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
                changes.get(),
                confirm.version().get(),
                remove.version().get(),
                regenerate.version().get(),
            )
        },
        |_| second_factor_status(),
    );
    let confirm_error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    let remove_error = Signal::derive(move || other_error(remove.value().get()));
    let regenerate_error = Signal::derive(move || other_error(regenerate.value().get()));
    let must_confirm = Signal::derive(move || {
        needs_confirmation(start.value().get())
            || needs_confirmation(remove.value().get())
            || needs_confirmation(regenerate.value().get())
    });
    let fresh_codes = Signal::derive(move || {
        regenerate
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| confirm.value().get().and_then(Result::ok))
    });

    view! {
        <section class="panel" data-testid="two-step">
            <h2>"Authenticator app and recovery codes"</h2>
            <FreshRecoveryCodes codes=fresh_codes />
            <ConfirmIdentity when=must_confirm />
            <FormAlert error=regenerate_error />
            <FormAlert error=remove_error />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => {
                            let has_factor = status.totp_since.is_some() || status.passkeys > 0;
                            view! {
                                {match status.totp_since {
                                    Some(since) => view! {
                                        <p data-testid="totp-on">"An authenticator app is on since " {format_utc(since)} "."</p>
                                        <ActionForm action=remove attr:class="inline">
                                            <button type="submit" class="button danger">"Remove the authenticator app"</button>
                                        </ActionForm>
                                    }
                                        .into_any(),
                                    None => view! { <TotpSetup start confirm confirm_error /> }.into_any(),
                                }}
                                <Show when=move || has_factor>
                                    <p>{format!("{} unused recovery codes left.", status.recovery_codes_left)}</p>
                                    <ActionForm action=regenerate attr:class="inline">
                                        <button type="submit" class="button">"Make new recovery codes"</button>
                                    </ActionForm>
                                </Show>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TotpSetup(
    start: ServerAction<StartTotp>,
    confirm: ServerAction<ConfirmTotp>,
    confirm_error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let enrolment = move || start.value().get().and_then(Result::ok);
    // "Confirm it is you" is shown by the section itself.
    let start_error = Signal::derive(move || other_error(start.value().get()));
    view! {
        <p>"Protect your account with a code from an authenticator app (such as Aegis, 2FAS, Google Authenticator or 1Password) at every sign-in."</p>
        <FormAlert error=start_error />
        <Show
            when=move || enrolment().is_some()
            fallback=move || view! {
                <ActionForm action=start attr:class="inline">
                    <button type="submit" class="button primary">"Set up an authenticator app"</button>
                </ActionForm>
            }
        >
            {move || enrolment().map(|enrolment| view! {
                <ol class="steps">
                    <li>
                        "Scan this code with the app:"
                        <div class="qr" inner_html=enrolment.qr_svg></div>
                        "or type this key: " <code data-testid="totp-secret">{enrolment.secret}</code>
                    </li>
                    <li>"Enter the 6-digit code the app shows:"</li>
                </ol>
                <ActionForm action=confirm attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=confirm_error />
                    <Field label="Code from the app" name="code" autocomplete="one-time-code" error=confirm_error />
                    <button type="submit" class="button primary">"Turn on two-step verification"</button>
                </ActionForm>
            })}
        </Show>
    }
}
