"""Write the intersphinx inventories that docs/conf.py reads, offline.

The documentation build has no network, so it cannot fetch the ``objects.inv`` files
of scikit-learn, NumPy, SciPy, joblib, matplotlib, PyTorch and dask.distributed.
Instead this script writes, for each project, a small inventory of just the names our
pages and docstrings reference, with the URLs of those names on the project's public
site. Sphinx turns each reference into a link to that site.

When ``sphinx-build -n`` reports ``reference target not found`` for a name of one of
these projects, add the name to ``INVENTORIES`` below (its page is where the project's
own docs put it; with the network, ``python -m sphinx.ext.intersphinx URL/objects.inv``
lists them), then run::

    python docs/_intersphinx/make_inventories.py

and commit the changed ``docs/_intersphinx/*.inv`` files. ``tests/test_docs.py``
checks that the committed files match this script.
"""

import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# key: (project, version, base URL, [(name, "domain:role", uri relative to base)]).
# A uri ending in "$" means "followed by the name" (Sphinx's own shorthand).
_SK = "modules/generated/{}.html#$"
INVENTORIES = {
    "sklearn": (
        "scikit-learn",
        "stable",
        "https://scikit-learn.org/stable/",
        [
            *(
                (name, "py:class", _SK.format(name))
                for name in (
                    "sklearn.model_selection.GridSearchCV",
                    "sklearn.model_selection.TimeSeriesSplit",
                    "sklearn.preprocessing.StandardScaler",
                    "sklearn.pipeline.Pipeline",
                    "sklearn.linear_model.Ridge",
                    "sklearn.linear_model.RidgeClassifier",
                    "sklearn.linear_model.RidgeClassifierCV",
                    "sklearn.linear_model.LogisticRegression",
                    "sklearn.multioutput.MultiOutputRegressor",
                    "sklearn.utils.Bunch",
                    "sklearn.exceptions.FitFailedWarning",
                )
            ),
            *(
                (name, "py:function", _SK.format(name))
                for name in (
                    "sklearn.datasets.fetch_openml",
                    "sklearn.datasets.load_digits",
                    "sklearn.model_selection.cross_validate",
                    "sklearn.metrics.r2_score",
                    "sklearn.metrics.accuracy_score",
                )
            ),
            ("accuracy_score", "std:label", "modules/model_evaluation.html#accuracy-score"),
            ("r2_score", "std:label", "modules/model_evaluation.html#r2-score"),
        ],
    ),
    "numpy": (
        "NumPy",
        "stable",
        "https://numpy.org/doc/stable/",
        [
            (
                "numpy.random.SeedSequence",
                "py:class",
                "reference/random/bit_generators/generated/numpy.random.SeedSequence.html#$",
            ),
            ("numpy.random.Generator", "py:class", "reference/random/generator.html#$"),
            ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#$"),
        ],
    ),
    "scipy": (
        "SciPy",
        "stable",
        "https://docs.scipy.org/doc/scipy/",
        [
            ("scipy.sparse.csr_matrix", "py:class", "reference/generated/$.html#$"),
        ],
    ),
    "joblib": (
        "joblib",
        "stable",
        "https://joblib.readthedocs.io/en/stable/",
        [
            ("joblib.Parallel", "py:class", "generated/joblib.Parallel.html#$"),
            # Classes that are used as functions: listed under both roles.
            *(
                (f"joblib.{name}", role, f"generated/joblib.{name}.html#$")
                for name in ("parallel_config", "parallel_backend")
                for role in ("py:class", "py:function")
            ),
        ],
    ),
    "matplotlib": (
        "Matplotlib",
        "stable",
        "https://matplotlib.org/stable/",
        [
            ("matplotlib.axes.Axes", "py:class", "api/_as_gen/matplotlib.axes.Axes.html#$"),
            (
                "matplotlib.axes.Axes.legend",
                "py:method",
                "api/_as_gen/matplotlib.axes.Axes.legend.html#$",
            ),
            ("matplotlib.figure.Figure", "py:class", "api/figure_api.html#$"),
        ],
    ),
    "torch": (
        "PyTorch",
        "stable",
        "https://docs.pytorch.org/docs/stable/",
        [
            ("torch.nn.Module", "py:class", "generated/torch.nn.Module.html#$"),
            ("torch.nn.RNN", "py:class", "generated/torch.nn.RNN.html#$"),
            ("torch.Tensor", "py:class", "tensors.html#$"),
            ("torch.device", "py:class", "tensor_attributes.html#$"),
        ],
    ),
    "distributed": (
        "Dask.distributed",
        "stable",
        "https://distributed.dask.org/en/stable/",
        [
            ("distributed.Client", "py:class", "api.html#$"),
            ("distributed.LocalCluster", "py:class", "api.html#$"),
        ],
    ),
}


def inventory_bytes(project, version, entries):
    """The ``objects.inv`` (version 2) bytes of ``entries``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    # A uri "...$" is expanded by Sphinx to the name; "$" inside a uri is the name too.
    lines = []
    for name, role, uri in sorted(entries):
        if uri.endswith("$"):
            uri = uri[:-1].replace("$", name) + "$"
        else:
            uri = uri.replace("$", name)
        lines.append(f"{name} {role} 1 {uri} -\n")
    return header + zlib.compress("".join(lines).encode(), 9)


def main(directory=HERE):
    for key, (project, version, _, entries) in INVENTORIES.items():
        (Path(directory) / f"{key}.inv").write_bytes(inventory_bytes(project, version, entries))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
