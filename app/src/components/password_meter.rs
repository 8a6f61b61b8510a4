//! A live strength meter: the server's password rule, run in the browser on
//! every keystroke, so what it says is exactly what the server will decide.

use crate::domain::{PasswordContext, check_password};
use leptos::prelude::*;

#[component]
pub fn PasswordMeter(
    password: ReadSignal<String>,
    /// Email, name and organization typed so far (the rule refuses them).
    #[prop(optional, into)]
    email: Signal<String>,
    #[prop(optional, into)] name: Signal<String>,
    #[prop(optional, into)] organization: Signal<String>,
) -> impl IntoView {
    let strength = Memo::new(move |_| {
        let password = password.get();
        (!password.is_empty()).then(|| {
            check_password(
                &password,
                PasswordContext {
                    email: &email.get(),
                    name: &name.get(),
                    organization: &organization.get(),
                },
            )
        })
    });
    view! {
        <div class="password-meter" aria-live="polite" data-testid="password-meter">
            {move || {
                strength
                    .get()
                    .map(|strength| {
                        let verdict = strength
                            .problem
                            .clone()
                            .unwrap_or_else(|| "Meets the password policy.".to_owned());
                        view! {
                            <meter
                                min="0"
                                max="4"
                                low="2"
                                high="3"
                                optimum="4"
                                value=strength.score.to_string()
                                aria-label="Password strength"
                            ></meter>
                            <span class="strength-label" data-score=strength.score.to_string()>
                                {strength.label()}
                            </span>
                            <p class="strength-verdict" class:ok=strength.problem.is_none()>
                                {verdict}
                            </p>
                        }
                    })
            }}
        </div>
    }
}
