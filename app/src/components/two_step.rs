//! The Account page's two-step verification section: set up or remove the
//! authenticator app, see how many recovery codes are left, make new ones.

use crate::api::second_factor::{
    ConfirmTotp, RegenerateRecoveryCodes, RemoveTotp, StartTotp, second_factor_status,
};
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
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    let regenerate_error = Signal::derive(move || regenerate.value().get().and_then(Result::err));
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
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => match status.totp_since {
                            Some(since) => view! {
                                <p data-testid="totp-on">"An authenticator app is on since " {format_utc(since)} "."</p>
                                <p>{format!("{} unused recovery codes left.", status.recovery_codes_left)}</p>
                                <ActionForm action=regenerate attr:class="stacked" attr:novalidate=true>
                                    <FormAlert error=regenerate_error />
                                    <Field label="Your password" name="current_password" id="regenerate-password" kind="password" autocomplete="current-password" error=regenerate_error />
                                    <button type="submit" class="button">"Make new recovery codes"</button>
                                </ActionForm>
                                <ActionForm action=remove attr:class="stacked" attr:novalidate=true>
                                    <FormAlert error=remove_error />
                                    <Field label="Your password" name="current_password" id="remove-password" kind="password" autocomplete="current-password" error=remove_error />
                                    <button type="submit" class="button danger">"Remove the authenticator app"</button>
                                </ActionForm>
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
    let start_error = Signal::derive(move || start.value().get().and_then(Result::err));
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
