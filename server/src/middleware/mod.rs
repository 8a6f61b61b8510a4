//! HTTP middleware, one concern per module.

pub mod account_binding;
pub mod client_address;
pub mod cross_site;
pub mod rate_limit;
pub mod security_headers;
pub mod sign_in_gate;

/// `path` as logs show it: a portal link's token (the one secret carried
/// in a path) replaced by `[token]`, wherever `portal/d/` appears (also in
/// unrouted variants like `//portal/d/…`).
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const MARK: &str = "portal/d/";
    match path.find(MARK) {
        Some(at) => {
            let rest = &path[at + MARK.len()..];
            let tail = rest.find('/').map_or("", |slash| &rest[slash..]);
            format!("{}[token]{tail}", &path[..at + MARK.len()]).into()
        }
        None => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn link_tokens_never_reach_a_log() {
        assert_eq!(
            loggable_path("/portal/d/abc_DEF-1/renew"),
            "/portal/d/[token]/renew"
        );
        assert_eq!(loggable_path("//portal/d/abc"), "//portal/d/[token]");
        assert_eq!(loggable_path("/app/invoices"), "/app/invoices");
    }
}
