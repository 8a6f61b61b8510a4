//! The tags in every page's `<head>` that load the browser client: the
//! stylesheet, the WASM module and its JavaScript glue, and what the split
//! client's lazy routes need. Their content-hashed names come from
//! `hash.txt` beside the binary (`.ci/build.sh` writes it), read once per
//! process: Leptos' own `HashedStylesheet` and `HydrationScripts` read that
//! file from disk on every page, which `perf` found to be 12 % of the
//! signed-out landing page's CPU time (issue 16).

use leptos::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// The file names under `/pkg`, without directory.
#[derive(Debug)]
struct Names {
    stylesheet: String,
    glue: String,
    wasm: String,
    /// `(pkg root, lazy function -> chunk file stems, loader file name)`,
    /// as `leptos::WasmSplitManifest` carries it; `None` for a client that
    /// was not split.
    split: Option<(String, HashMap<String, Vec<String>>, String)>,
}

/// `hash.txt`'s `name: hash` lines (`js`, `wasm`, `css`, `split`,
/// `manifest`); empty when there is none (an unhashed development build).
fn hashes(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, hash)| (name.trim().to_owned(), hash.trim().to_owned()))
        .collect()
}

fn names(options: &LeptosOptions) -> Names {
    let hash_file = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
    let hashes = match (options.hash_files, hash_file) {
        (true, Some(path)) => hashes(&path),
        _ => HashMap::new(),
    };
    let output = options.output_name.as_ref();
    let named = |kind: &str, unhashed: String, extension: &str| match hashes.get(kind) {
        Some(hash) => format!("{output}.{hash}.{extension}"),
        None => unhashed,
    };
    let stylesheet = named("css", format!("{output}.css"), "css");
    let glue = named("js", format!("{output}.js"), "js");
    let wasm = named("wasm", format!("{output}_bg.wasm"), "wasm");
    let manifest = match hashes.get("manifest") {
        Some(hash) => format!("__wasm_split_manifest.{hash}.json"),
        None => "__wasm_split_manifest.json".to_owned(),
    };
    let loader = match hashes.get("split") {
        Some(hash) => format!("__wasm_split.{hash}.js"),
        None => "__wasm_split.______________________.js".to_owned(),
    };
    let pkg = options.site_pkg_dir.as_ref();
    let manifest_path = Path::new(options.site_root.as_ref())
        .join(pkg)
        .join(manifest);
    let split = std::fs::read_to_string(&manifest_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .map(|chunks| (format!("/{pkg}"), chunks, loader));
    Names {
        stylesheet,
        glue,
        wasm,
        split,
    }
}

static NAMES: OnceLock<Names> = OnceLock::new();

fn cached(options: &LeptosOptions) -> &'static Names {
    NAMES.get_or_init(|| names(options))
}

/// Has this page's `<head>` preload the files of the lazy route group
/// `group` (the name given to `lazy_pages!` in `app.rs`). Leptos records a
/// lazy function when the server first calls it, which for a route nested
/// in another lazy route happens after the `<head>` has been written: the
/// browser then learnt of the group's files only once the outer group had
/// loaded and run (on the dashboard, 1.5 s of a 4 s start on a slow link).
/// Call it while the route is matched, before rendering. Does nothing for a
/// client that was not split, or before [`ClientAssets`] first rendered.
pub fn preload_lazy_group(group: &str) {
    let Some(Names {
        split: Some((_, chunks, _)),
        ..
    }) = NAMES.get()
    else {
        return;
    };
    // `#[lazy]` names a split `<function>_<hash of its call site>`.
    let split = chunks.keys().find(|name| {
        name.strip_prefix(group)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()))
    });
    if let Some(split) = split {
        leptos::prefetch_lazy_fn_on_server(split);
    }
}

/// The stylesheet, the client's preloads and the module script that
/// hydrates the page (with this response's CSP nonce). Also hands Leptos the
/// split client's manifest, so a page's lazy route has its chunks preloaded
/// in the same `<head>`.
#[component]
pub fn ClientAssets(options: LeptosOptions) -> impl IntoView {
    let names = cached(&options);
    if let Some(split) = &names.split {
        provide_context(leptos::WasmSplitManifest(ArcStoredValue::new(
            split.clone(),
        )));
    }
    let pkg = format!("/{}", options.site_pkg_dir);
    let nonce = leptos::nonce::use_nonce().map(|nonce| nonce.to_string());
    let script = format!(
        "import init, {{ hydrate }} from {glue:?};\n\
         await init({{ module_or_path: {wasm:?} }});\n\
         hydrate();",
        glue = format!("{pkg}/{}", names.glue),
        wasm = format!("{pkg}/{}", names.wasm),
    );
    view! {
        <link id="leptos" rel="stylesheet" href=format!("{pkg}/{}", names.stylesheet) />
        <link rel="modulepreload" href=format!("{pkg}/{}", names.glue) />
        <link
            rel="preload"
            href=format!("{pkg}/{}", names.wasm)
            r#as="fetch"
            r#type="application/wasm"
            crossorigin="anonymous"
        />
        <script type="module" nonce=nonce>
            {script}
        </script>
    }
}
