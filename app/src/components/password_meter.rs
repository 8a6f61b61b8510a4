//! A live strength meter: the server's verdict on the password being typed.
//!
//! The rule (`domain::password`) needs zxcvbn's dictionaries, about 800 KB
//! the browser would otherwise download before any page works; instead the
//! meter asks `api::auth::password_strength` once typing pauses, so what it
//! says is exactly what the server will decide. Answers that arrive after
//! the password changed again are dropped, so an old verdict never shows
//! against a newer password.

use crate::api::auth::password_strength;
use crate::domain::Strength;
use leptos::prelude::*;
use std::time::Duration;

/// How long typing must pause before the meter asks.
const PAUSE: Duration = Duration::from_millis(200);

/// What the meter shows: nothing (empty password), a verdict, or why it has
/// none (the server did not answer; the form's own answer still applies).
#[derive(Debug, Clone, PartialEq)]
enum Reading {
    Verdict(Strength),
    Unavailable,
}

#[component]
pub fn PasswordMeter(
    password: ReadSignal<String>,
    /// Email, name and organization typed so far (the rule refuses them).
    #[prop(optional, into)]
    email: Signal<String>,
    #[prop(optional, into)] name: Signal<String>,
    #[prop(optional, into)] organization: Signal<String>,
) -> impl IntoView {
    let (reading, set_reading) = signal(None::<Reading>);
    let (checking, set_checking) = signal(false);
    // Bumped on every change; an answer for an older number is stale.
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let password = password.get();
        let context = (email.get(), name.get(), organization.get());
        asked.update_value(|count| *count += 1);
        let this = asked.get_value();
        if password.is_empty() {
            set_checking.set(false);
            set_reading.set(None);
            return;
        }
        set_checking.set(true);
        let current = move || asked.try_get_value() == Some(this);
        set_timeout(
            move || {
                if !current() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let (email, name, organization) = context;
                    let answer = password_strength(password, email, name, organization).await;
                    if !current() {
                        return;
                    }
                    set_checking.set(false);
                    set_reading.set(Some(match answer {
                        Ok(strength) => Reading::Verdict(strength),
                        Err(_) => Reading::Unavailable,
                    }));
                });
            },
            PAUSE,
        );
    });
    view! {
        <div
            class="password-meter"
            aria-live="polite"
            aria-busy=move || checking.get().to_string()
            data-testid="password-meter"
        >
            {move || match reading.get() {
                None => None,
                Some(Reading::Unavailable) => {
                    Some(
                        view! {
                            <p class="strength-verdict">
                                "The strength check did not answer; the password is checked when you submit."
                            </p>
                        }
                            .into_any(),
                    )
                }
                Some(Reading::Verdict(strength)) => {
                    let verdict = strength
                        .problem
                        .clone()
                        .unwrap_or_else(|| "Meets the password policy.".to_owned());
                    Some(
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
                            .into_any(),
                    )
                }
            }}
        </div>
    }
}
