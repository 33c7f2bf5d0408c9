"""The ``wcrnn-rc`` command line: the main job, the dynamics tools and the benchmarks.

Commands (``wcrnn-rc COMMAND --help`` lists each one's options):

``wcrnn-rc demo``
    The main job, offline, on built-in defaults (under half a minute on 2 cores). It sweeps
    the memory capacity (MC) and the largest Lyapunov exponent (lambda_max) over the
    residual scale and the coupling; picks the *best reservoir*: the grid point with the
    highest mean MC among those with mean lambda_max < 0 (perturbations fade); compares
    that network's numeric Lyapunov spectrum with the theory ``log|eig R|``; and fits
    ``reservoir -> StandardScaler -> RidgeClassifier`` with its parameters on permuted
    sequential digits (:func:`wcrnn_rc.datasets.load_sequential_digits`), reporting the
    held-out accuracy next to chance. It writes ``sweep.csv``, ``sweep_memory.png``,
    ``sweep_lyapunov.png``, ``memory_curve.png``, ``lyapunov_spectrum.png`` and
    ``summary.json`` into ``--output`` (default ``./wcrnn-rc-demo``).
``wcrnn-rc memory``
    The memory capacity and memory curve of one reservoir (or ``--seeds`` networks).
``wcrnn-rc lyapunov``
    The numeric Lyapunov spectrum of one reservoir against the theory.
``wcrnn-rc sweep``
    The memory capacity and largest exponent over a grid of residual families, scales
    and couplings, on ``--n-jobs`` processes or a dask.distributed cluster
    (``--scheduler ADDRESS``); with the same options it writes the same ``sweep.csv``
    as the demo.
``wcrnn-rc bench``
    Lists the peer libraries that are installed and runs the benchmark scripts of a
    source tree (``benchmarks/run_all.py``, not part of the installed package; without
    a source tree it says how to get one).

Every command prints a table; the long ones show a progress bar on stderr, which
``--quiet`` turns off. ``--seed`` fixes every random draw (the same seed gives the same
CSV files, whatever ``--n-jobs`` or cluster); ``--output DIR`` (created if missing,
checked for writing before any work) receives CSV tables and PNG figures (the demo
always writes). Network ``j`` of a command uses the seed that
:func:`~wcrnn_rc.sweeps.parameter_sweep` gives its network ``j``, so ``memory`` and
``sweep`` report the same numbers for the same parameters. The library checks the
parameters' ranges and its message is printed as is.

Exit status: 0 on success; 1 when the work fails, for instance states that overflow, a
parameter out of range, an unwritable ``--output`` or memory running out (a one-line
message; ``--debug`` adds the traceback); 2 for a usage error; 130 on Ctrl-C and 143 on
SIGTERM, after the worker processes are shut down.

The package's parts: ``_parser`` (options and help; it imports nothing heavy, so that
``--help`` answers at once), ``_main`` (the entry point), ``_errors`` (what is
shortened, SIGTERM), ``_output`` (tables, the output folder, CSV, figures),
``_common`` (what the commands share), ``_cluster`` (the dask client), and one module
per command: ``_demo``, ``_memory``, ``_lyapunov``, ``_sweep``, ``_bench``.

Examples
--------
With coupling 0 the exponents are exactly the theory, log 0.5 here:

>>> from wcrnn_rc.cli import main
>>> main(["lyapunov", "--units", "8", "--residual", "identity", "--scale", "0.5",
...       "--coupling", "0", "--steps", "100", "--rows", "1", "--quiet"])  # doctest: +ELLIPSIS
Lyapunov spectrum: identity residual, scale 0.5, coupling 0, 8 units, tanh; seed 0
 index  numeric   theory  numeric - theory
     1  -0.6931  -0.6931  ...
 lambda_max = -0.6931, theory log max|eig R| = -0.6931
0
"""

from ._main import main
from ._parser import build_parser

__all__ = ["build_parser", "main"]
