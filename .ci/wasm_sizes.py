#!/usr/bin/env python3
"""Prints what the split browser client weighs (issue 16), for make bench.

    python3 .ci/wasm_sizes.py target/site target/dist/hash.txt

The main module every page loads, then for the pages the targets name the
WebAssembly they need before they are interactive: the main module plus the
files of their lazy routes' groups (app/src/app.rs), as the split manifest
lists them, each gzipped at level 9 as a server would send it.
"""
import gzip
import json
import sys
from pathlib import Path

# The groups a page's routes belong to (app/src/app.rs: lazy_pages!).
PAGES = {
    "/sign-in": ["sign_in_pages"],
    "/app": ["app_frame", "home_pages"],
    "/app/invoices": ["app_frame", "invoice_list"],
    "/app/invoices/new": ["app_frame", "editor_pages"],
}


def main() -> None:
    site, hash_file = Path(sys.argv[1]), Path(sys.argv[2])
    hashes = dict(
        (name.strip(), value.strip())
        for name, value in (line.split(":", 1) for line in hash_file.read_text().splitlines() if ":" in line)
    )
    pkg = site / "pkg"
    gzipped = lambda path: len(gzip.compress(path.read_bytes(), 9))
    main_module = pkg / f"ledgerlock.{hashes['wasm']}.wasm"
    main_gz = gzipped(main_module)
    print(f"served WASM, main module: {main_module.stat().st_size // 1024} KB raw, {main_gz // 1024} KB gzipped")
    manifest = json.loads((pkg / f"__wasm_split_manifest.{hashes['manifest']}.json").read_text())
    files_of = {}
    for split, stems in manifest.items():
        group = split.rsplit("_", 1)[0]
        files_of[group] = set(stems)
    for page, groups in PAGES.items():
        stems = set().union(*(files_of.get(group, set()) for group in groups))
        total = main_gz + sum(gzipped(pkg / f"{stem}.wasm") for stem in stems)
        print(f"initial WASM, {page}: {total // 1024} KB gzipped in {len(stems) + 1} files")


if __name__ == "__main__":
    main()
