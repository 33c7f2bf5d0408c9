"""Benchmark: scale -- wide sparse reservoirs, batched harvests, long series, dask.

Runs the four parts of the scale benchmark, each in a fresh interpreter (as
``run_all.py`` does), then prints their headline figures with targets and verdicts:

- ``bench_scale_wide.py``: peak memory and time to fit and run 1000 steps at
  N = 10^4, 5*10^4 and 10^5 with 10 non-zeros per row, against reservoirpy on the
  same W and a bare SciPy CSR mat-vec loop (targets: peak memory within 2x of the
  CSR arrays; steps >= 2x faster than reservoirpy and within 1.3x of the bare loop);
- ``bench_scale_batched.py``: batched harvests (digits-sized, and 20,000 x 200) against
  the bare GEMMs, and sparse steps against a bare CSR loop (targets: <= 1.1x and
  <= 1.3x);
- ``bench_scale_long.py``: ``predict`` on one series of up to 10^7 steps (target: peak
  memory independent of T, beyond the input and the output);
- ``bench_scale_dask.py``: a harvest of 10^5 sequences on a 2-process ``LocalCluster``
  against one process, with the overheads (needs the ``distributed`` extra).

Each part writes ``benchmarks/results/<part>.json`` and can be run on its own.

Usage::

    python benchmarks/bench_scale.py                 # all four parts
    python benchmarks/bench_scale.py long dask       # some of them
    python benchmarks/bench_scale.py --summary-only  # re-print the last results
"""

import argparse

from run_all import report, run_benchmark

PARTS = ("wide", "batched", "long", "dask")


def main(argv=None):
    """Run the chosen parts, then print their summaries."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=[[], *PARTS], help=f"default: {PARTS}")
    parser.add_argument("--summary-only", action="store_true", help="do not run, only print")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    args = parser.parse_args(argv)
    names = [f"bench_scale_{part}" for part in (args.parts or PARTS)]
    runs = {} if args.summary_only else {name: run_benchmark(name) for name in names}
    report(names, runs, markdown=args.markdown)


if __name__ == "__main__":
    main()
