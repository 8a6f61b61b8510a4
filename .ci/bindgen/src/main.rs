//! `ledgerlock-bindgen <client.wasm> <out-dir>`: writes `ledgerlock.js` and
//! `ledgerlock_bg.wasm` (ES module glue for `<script type="module">`, no
//! TypeScript declarations) into `out-dir`, exactly as
//! `wasm-bindgen --target web --no-typescript --out-name ledgerlock` does.
//! `.ci/build.sh` runs it.

use anyhow::{Context, bail};
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
    let [input, out_dir] = args.as_slice() else {
        bail!("usage: ledgerlock-bindgen <client.wasm> <out-dir>");
    };
    // The settings the wasm-bindgen command line gives by default.
    Bindgen::new()
        .input_path(input)
        .web(true)?
        .typescript(false)
        .debug(false)
        .demangle(true)
        .omit_default_module_path(false)
        .out_name("ledgerlock")
        .generate(out_dir)
        .with_context(|| format!("generating the glue for {input}"))
}
