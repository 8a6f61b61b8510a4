//! The Content-Security-Policy, in one place.

use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The policy for every response. Pages pass the nonce that Leptos put on its
/// inline hydration scripts; other responses pass `None` and allow no inline
/// script at all. `wasm-unsafe-eval` lets the page compile its own WASM and
/// nothing else.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let script = match nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; {script}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// Called while rendering a page: sends the policy carrying this response's nonce.
pub fn send_page_policy() {
    let nonce = leptos::nonce::use_nonce();
    let policy = content_security_policy(nonce.as_deref());
    if let (Some(options), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&policy),
    ) {
        options.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_locks_down_objects_base_frames_and_forms() {
        let policy = content_security_policy(Some("abc"));
        for directive in [
            "default-src 'self'",
            "'nonce-abc'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(
                policy.contains(directive),
                "{directive} missing from {policy}"
            );
        }
        assert!(!content_security_policy(None).contains("nonce"));
        assert!(!policy.contains("unsafe-inline"));
    }
}
