"""``wcrnn-rc bench``: the benchmark scripts of a source tree, against the peers.

The scripts (``benchmarks/``) are not part of the installed package; without a source
tree the command says where to get one and exits with status 1.
"""

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

from ._errors import CommandError
from ._output import print_table
from ._parser import BENCH_HELP

PEERS = ("reservoirpy", "echoes", "PyRCN")


def benchmark_candidates():
    package = Path(__file__).resolve().parents[1]
    # An editable install runs from the source tree; otherwise try the current folder.
    return [package.parent / "benchmarks", Path.cwd() / "benchmarks"]


def _is_benchmarks(folder):
    return (folder / "run_all.py").is_file() and (folder / "_common.py").is_file()


def _source_urls():
    """The project's URLs from its installed metadata (``Project-URL``), if any."""
    try:
        metadata = importlib.metadata.metadata("wcrnn-rc")
    except importlib.metadata.PackageNotFoundError:
        return []
    return [entry.split(",", 1)[-1].strip() for entry in metadata.get_all("Project-URL") or []]


def _benchmarks_dir(args):
    if args.path is not None:
        if not _is_benchmarks(args.path):
            args.parser.error(
                f"--path {args.path}: no benchmarks/run_all.py there; give the benchmarks/ "
                "folder of a wcrnn-rc source tree"
            )
        return args.path.resolve()
    for folder in benchmark_candidates():
        if _is_benchmarks(folder):
            return folder
    searched = ", ".join(str(folder) for folder in benchmark_candidates())
    where = "".join(f"\n    {url}" for url in _source_urls())
    where = f"\nThe project's addresses:{where}" if where else ""
    raise CommandError(
        f"bench needs the wcrnn-rc source tree; no benchmark scripts found (looked in "
        f"{searched}).\n{BENCH_HELP}{where}"
    )


def _print_peers():
    rows = []
    for peer in PEERS:
        try:
            rows.append([peer, importlib.metadata.version(peer)])
        except importlib.metadata.PackageNotFoundError:
            rows.append([peer, "not installed"])
    print("Peer libraries in this environment:")
    print_table(["peer", "version"], rows)
    if any(version == "not installed" for _, version in rows):
        print(' (pip install -e ".[bench]" installs them; missing ones are reported as failed)')


def run(args):
    """``wcrnn-rc bench``: list the peers, run benchmarks/run_all.py, copy the results."""
    folder = _benchmarks_dir(args)
    _print_peers()
    command = [sys.executable, str(folder / "run_all.py"), *args.names]
    command += ["--summary-only"] * args.summary_only + ["--markdown"] * args.markdown
    print(f"Running: {' '.join(command)}", flush=True)
    status = subprocess.run(command, cwd=folder.parent, check=False).returncode
    if args.output is not None:
        results = folder / "results"
        paths = (
            [results / f"{name}.json" for name in args.names]
            if args.names
            else sorted(results.glob("bench_*.json"))
        )
        copied = [shutil.copy2(path, args.output) for path in paths if path.is_file()]
        print(f"Copied {len(copied)} results file(s) to {args.output}")
    return status
