#!/usr/bin/env python3
"""Reads the output of .ci/bench.sh and prints issue 16's targets beside the
figures, as a Markdown table with each miss marked (the README keeps it).

Usage: bench_table.py bench.log
"""
import re
import sys


def millis(text):
    """wrk's latency ("21.11ms", "1.02s", "900.00us") in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# (figure, pattern, value from the match, target as text, whether met)
GENERAL = [
    ("WASM main module, gzipped (every page loads it)",
     r"served WASM, main module: \d+ KB raw, (\d+) KB gzipped", lambda m: float(m[1]), "≤ 300 KB", lambda v: v <= 300, "{:.0f} KB"),
    ("Initial WASM of the sign-in page (main module and its route's files)",
     r"initial WASM, /sign-in: (\d+) KB", lambda m: float(m[1]), "≤ 300 KB", lambda v: v <= 300, "{:.0f} KB"),
    ("Initial WASM of the dashboard",
     r"initial WASM, /app: (\d+) KB", lambda m: float(m[1]), "≤ 300 KB", lambda v: v <= 300, "{:.0f} KB"),
    ("Initial WASM of the invoice list",
     r"initial WASM, /app/invoices: (\d+) KB", lambda m: float(m[1]), "≤ 300 KB", lambda v: v <= 300, "{:.0f} KB"),
    ("Cold start to ready, fresh SQLite",
     r"cold start to ready \(fresh SQLite.*\): (\d+) ms", lambda m: float(m[1]), "≤ 1 s", lambda v: v <= 1000, "{:.0f} ms"),
    ("Signed-out landing page vs bare axum (same bytes)",
     r"ratio ([\d.]+)", lambda m: float(m[1]), "≥ 0.25", lambda v: v >= 0.25, "{:.2f}"),
    ("Signed-in dashboard p99, alone",
     r"signed-in dashboard p99: (\S+) alone", lambda m: millis(m[1]), "≤ 10 ms", lambda v: v <= 10, "{:.1f} ms"),
    ("Signed-in dashboard p99, while 20 sign-ins hash",
     r"signed-in dashboard p99: \S+ alone, (\S+) while", lambda m: millis(m[1]), "≤ 50 ms", lambda v: v <= 50, "{:.1f} ms"),
    ("Time to interactive, sign-in page (slow 4G, empty cache)",
     r"time to interactive, /sign-in: ([\d.]+) s", lambda m: float(m[1]), "≤ 3 s", lambda v: v <= 3, "{:.1f} s"),
    ("Time to interactive, dashboard",
     r"time to interactive, /app: ([\d.]+) s", lambda m: float(m[1]), "≤ 3 s", lambda v: v <= 3, "{:.1f} s"),
    ("Time to interactive, invoice list",
     r"time to interactive, /app/invoices: ([\d.]+) s", lambda m: float(m[1]), "≤ 3 s", lambda v: v <= 3, "{:.1f} s"),
]


def p99(name):
    return rf"{re.escape(name)}: p50 [\d.]+ ms, p99 ([\d.]+) ms"


PER_ENGINE = [
    ("Cold start to ready with the generated database",
     r"cold start to ready with this database: (\d+) ms", lambda m: float(m[1]), "≤ 1 s", lambda v: v <= 1000, "{:.0f} ms"),
    ("Totals per status p99 (kept summaries)",
     p99("totals per status (kept summaries)"), lambda m: float(m[1]), "≤ 20 ms", lambda v: v <= 20, "{:.2f} ms"),
    ("Invoice list, first page p99",
     p99("invoice list, first page"), lambda m: float(m[1]), "≤ 20 ms", lambda v: v <= 20, "{:.2f} ms"),
    ("Invoice list, a page halfway down p99",
     p99("invoice list, a page halfway down"), lambda m: float(m[1]), "≤ 20 ms", lambda v: v <= 20, "{:.2f} ms"),
    ("Invoice list, overdue only p99",
     p99("invoice list, overdue only"), lambda m: float(m[1]), "≤ 20 ms", lambda v: v <= 20, "{:.2f} ms"),
    ("Customer search p99",
     p99("customer search"), lambda m: float(m[1]), "≤ 50 ms", lambda v: v <= 50, "{:.2f} ms"),
    ("Audit page p99 (newest events, check since the last)",
     p99("audit page (newest events and the check since the last)"), lambda m: float(m[1]), "≤ 50 ms", lambda v: v <= 50, "{:.2f} ms"),
    ("CSV export of every invoice, time",
     r"CSV export: \d+ rows in ([\d.]+) s", lambda m: float(m[1]), "≤ 30 s", lambda v: v <= 30, "{:.1f} s"),
    ("CSV export, server peak memory",
     r"server peak memory (\d+) MB", lambda m: float(m[1]), "≤ 100 MB", lambda v: v <= 100, "{:.0f} MB"),
]


def cell(rule, text):
    _, pattern, value, _, met, shape = rule
    found = re.search(pattern, text)
    if not found:
        return "not measured"
    number = value(found)
    return shape.format(number) + ("" if met(number) else " **MISS**")


def main():
    log = open(sys.argv[1], encoding="utf-8").read()
    sections = dict(re.findall(r"^== (sqlite|postgres): (.*?)(?=^== |\Z)", log, re.M | re.S))
    size = re.search(r"^== sqlite: (\d+) invoices, (\d+) customers", log, re.M)
    print()
    print("| Figure | Value | Target |")
    print("| --- | --- | --- |")
    for rule in GENERAL:
        print(f"| {rule[0]} | {cell(rule, log)} | {rule[3]} |")
    print()
    if size:
        print(f"At {int(size[1]):,} invoices and {int(size[2]):,} customers:")
        print()
    print("| Figure | SQLite | PostgreSQL | Target |")
    print("| --- | --- | --- | --- |")
    for rule in PER_ENGINE:
        sqlite = cell(rule, sections.get("sqlite", ""))
        postgres = cell(rule, sections.get("postgres", ""))
        print(f"| {rule[0]} | {sqlite} | {postgres} | {rule[3]} |")


if __name__ == "__main__":
    main()
