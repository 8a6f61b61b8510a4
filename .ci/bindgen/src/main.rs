//! `ledgerlock-bindgen <client.wasm> <out-dir> <name>`: splits the browser
//! client at its lazy routes and writes what the site serves, for
//! `.ci/build.sh`:
//!
//! - `ledgerlock.<name>.js` and `ledgerlock_bg.wasm`: the main module and
//!   its ES module glue (`<script type="module">`, no TypeScript), as
//!   `wasm-bindgen --target web --no-typescript --keep-lld-exports
//!   --no-demangle` writes them;
//! - `split_<route>.wasm` and `chunk_<n>.wasm`: code only a lazy route (or
//!   a few of them) runs, fetched when one is first shown;
//! - `__wasm_split.<name>.js`: the loader the main module imports them with;
//! - `__wasm_split_manifest.json`: for each lazy route, the chunk files it
//!   needs (file stems), which the server reads to preload them.
//!
//! `<name>` ties the files together (the loader imports the glue by it, the
//! main module imports the loader by it); the build passes a hash of its
//! inputs. The splitting is Leptos' own (`wasm_split_cli_support`, what
//! `cargo leptos build --split` runs); the client must be linked with
//! `-Clink-args=--emit-relocs` so the splitter can move code between files.

use anyhow::{Context, bail};
use std::path::Path;
use std::process::ExitCode;
use wasm_bindgen_cli_support::Bindgen;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ledgerlock-bindgen: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, name] = args.as_slice() else {
        bail!("usage: ledgerlock-bindgen <client.wasm> <out-dir> <name>");
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        bail!("the name must be letters and digits, not {name:?}");
    }
    let out_dir = Path::new(out_dir);
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let wasm = std::fs::read(input).with_context(|| format!("reading {input}"))?;

    let main_module = out_dir.join("main_split.wasm");
    let glue = format!("./ledgerlock.{name}.js");
    let loader = format!("./__wasm_split.{name}.js");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&wasm);
        options.output_dir = out_dir;
        options.main_out_path = &main_module;
        options.main_module = &glue;
        options.link_name = &loader;
        options
    })
    .map_err(|error| anyhow::anyhow!("splitting {input}: {error:#}"))?;
    let manifest = serde_json::to_string_pretty(&split.prefetch_map)?;
    std::fs::write(out_dir.join("__wasm_split_manifest.json"), manifest)?;

    // The settings the wasm-bindgen command line gives by default, but the
    // linker's exports kept (the chunks use the main module's table, heap
    // and stack) and names left as linked (the chunks import by them).
    Bindgen::new()
        .input_path(&main_module)
        .web(true)?
        .typescript(false)
        .debug(false)
        .demangle(false)
        .keep_lld_exports(true)
        .omit_default_module_path(false)
        .out_name("ledgerlock")
        .generate(out_dir)
        .with_context(|| format!("generating the glue for {input}"))?;
    // The name the loader imports the glue by.
    std::fs::rename(
        out_dir.join("ledgerlock.js"),
        out_dir.join(format!("ledgerlock.{name}.js")),
    )?;
    std::fs::remove_file(&main_module)?;
    Ok(())
}
