//! The Account page's two-step verification section: set up or remove the
//! authenticator app, see how many recovery codes are left, make new ones.

use crate::api::second_factor::{
    ConfirmTotp, RegenerateRecoveryCodes, RemoveTotp, StartTotp, second_factor_status,
};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::{Field, FormAlert};
use crate::components::time::format_utc;
use leptos::prelude::*;

#[component]
pub fn TwoStepSettings() -> impl IntoView {
    let start = ServerAction::<StartTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let remove = ServerAction::<RemoveTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
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
    let has_app = Signal::derive(move || {
        status
            .get()
            .and_then(Result::ok)
            .is_some_and(|status| status.totp_since.is_some())
    });
    let must_confirm = Signal::derive(move || {
        needs_confirmation(start.value().get())
            || needs_confirmation(remove.value().get())
            || needs_confirmation(regenerate.value().get())
    });
    // Recovery codes are shown once, right after they are made.
    let fresh_codes = move || {
        regenerate
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| confirm.value().get().and_then(Result::ok))
            .filter(|codes| !codes.is_empty())
    };

    view! {
        <section class="panel" data-testid="two-step">
            <h2>"Two-step verification"</h2>
            {move || fresh_codes().map(|codes| view! {
                <div class="notice" role="status">
                    <p><strong>"Save these recovery codes now."</strong>
                    " Each one works once, if you lose your authenticator app. They will not be shown again."</p>
                    <ul class="codes" data-testid="recovery-codes">
                        {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                    </ul>
                </div>
            })}
            <ConfirmIdentity when=must_confirm with_code=has_app />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => match status.totp_since {
                            Some(since) => view! {
                                <p data-testid="totp-on">"An authenticator app is on since " {format_utc(since)} "."</p>
                                <p>{format!("{} unused recovery codes left.", status.recovery_codes_left)}</p>
                                <FormAlert error=regenerate_error />
                                <FormAlert error=remove_error />
                                <div class="actions">
                                    <ActionForm action=regenerate attr:class="inline">
                                        <button type="submit" class="button">"Make new recovery codes"</button>
                                    </ActionForm>
                                    <ActionForm action=remove attr:class="inline">
                                        <button type="submit" class="button danger">"Remove the authenticator app"</button>
                                    </ActionForm>
                                </div>
                            }
                                .into_any(),
                            None => view! { <TotpSetup start confirm confirm_error /> }.into_any(),
                        },
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
