"""Run every wcrnn_rc benchmark in turn and print a combined summary.

Each benchmark runs in its own fresh interpreter (``python benchmarks/<name>.py``),
so one cannot warm caches or thread pools for the next; its output streams through
as it runs. The summary is then read back from ``benchmarks/results/<name>.json``:
each benchmark's headline figures with their targets and verdicts.

Usage::

    python benchmarks/run_all.py                    # all benchmarks
    python benchmarks/run_all.py bench_digits       # a subset, by name
    python benchmarks/run_all.py --summary-only     # re-print the last results
    python benchmarks/run_all.py --markdown         # also print Markdown tables

The Markdown output is what ``docs/benchmarks.md`` shows.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    RESULTS_DIR,
    SUMMARY_HEADERS,
    format_summary,
    format_table,
    machine_line,
    summary_rows,
)

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "bench_single_series",
    "bench_digits",
    "bench_dense_large",
    "bench_first_call",
    "bench_sparse",
    "bench_dynamics",
    "bench_sweep",
    "bench_forecasting",
)


def run_benchmark(name):
    """Run one benchmark script in a fresh interpreter; return (exit code, seconds)."""
    print(f"\n{'=' * 88}\n{name}\n{'=' * 88}", flush=True)
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, str(HERE / f"{name}.py")], check=False)
    return completed.returncode, time.perf_counter() - start


def load_result(name):
    """The saved results of one benchmark, or None if there are none."""
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def markdown_table(headers, rows):
    """A GitHub Markdown table; ``None`` cells print as ``-``."""

    def cell(value):
        return "-" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def print_summary(names, runs, *, markdown):
    """Print each benchmark's headline figures (and Markdown tables if asked)."""
    print(f"\n{'=' * 88}\nSummary\n{'=' * 88}")
    for name in names:
        result = load_result(name)
        status = ""
        if name in runs:
            code, seconds = runs[name]
            status = f" (ran {seconds:.0f} s" + (f", exit code {code})" if code else ")")
        print(f"\n{name}{status}")
        if result is None:
            print("  no results file")
            continue
        print("  " + machine_line(result["machine"]))
        source = result.get("source", {})
        revision = source.get("commit") or "unknown commit"
        if source.get("wcrnn_rc_modified"):
            revision += " with uncommitted changes in wcrnn_rc/"
        print(f"  measured {result['timestamp']} on {revision}")
        print(f"  regenerate with: {result['command']}")
        print("  " + format_summary(result.get("summary", [])).replace("\n", "\n  "))
        if markdown:
            table = result["table"]
            print("\nMarkdown:\n")
            print(markdown_table(table["headers"], table["rows"]))
            print()
            print(markdown_table(SUMMARY_HEADERS, summary_rows(result.get("summary", []))))


def report(names, runs, *, markdown):
    """Print the summary; exit with 1 if any benchmark that ran failed."""
    print_summary(names, runs, markdown=markdown)
    failed = [name for name, (code, _) in runs.items() if code]
    if failed:
        print("\n" + format_table(["failed benchmark"], [[name] for name in failed]))
        sys.exit(1)


def main():
    """Parse the arguments, run the benchmarks, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {BENCHMARKS}")
    parser.add_argument("--summary-only", action="store_true", help="do not run, only print")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    runs = {} if args.summary_only else {name: run_benchmark(name) for name in names}
    report(names, runs, markdown=args.markdown)


if __name__ == "__main__":
    main()
