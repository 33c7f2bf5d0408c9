"""Local Sphinx helpers of the wcrnn_rc documentation (loaded by docs/conf.py).

- ``GalleryOrder``: the order of the gallery's examples within a section, from
  introductory to advanced (sphinx-gallery's ``within_subsection_order``).
- A docstring hook that adds, as scikit-learn's reference does, a "Read more in the
  User Guide" line under an object's summary and a "See Also" section where the
  docstring has none. Both are kept here, next to the pages they point to, rather than
  in the library's docstrings, which are also read by ``help()`` outside the site.
"""

from pathlib import Path

# Within each gallery section, examples in this order; others follow by name.
GALLERY_ORDER = [
    "plot_pipeline_grid_search.py",
    "plot_special_cases.py",
    "plot_memory_curves.py",
    "plot_lyapunov_theory.py",
    "plot_edge_of_chaos.py",
    "plot_rotational_frequency.py",
    "plot_heterogeneous_timescales.py",
    "plot_lorenz_closed_loop.py",
    "plot_torch_adding.py",
]


class GalleryOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in GALLERY_ORDER:
            return (0, GALLERY_ORDER.index(name), name)
        return (1, 0, name)

    def __repr__(self):  # sphinx-gallery puts the key into its config hash
        return f"<{type(self).__name__}>"


# Object -> label of its user-guide section (the "(label)=" targets of the guide).
USER_GUIDE = {
    "wcrnn_rc.WCRNNReservoir": "ug-model",
    "wcrnn_rc.WCRNNRegressor": "ug-readouts",
    "wcrnn_rc.WCRNNClassifier": "ug-readouts",
    "wcrnn_rc.SupercriticalResidualWarning": "ug-regimes",
    "wcrnn_rc.DynamicsError": "ug-cached-attributes",
    "wcrnn_rc.DynamicsOverflowError": "ug-cached-attributes",
    "wcrnn_rc.estimators.ridge_from_state_windows": "ug-long-series",
    "wcrnn_rc.residuals.make_residual": "ug-residuals",
    "wcrnn_rc.residuals.BaseResidual": "ug-own-residual",
    "wcrnn_rc.residuals.MatrixResidual": "ug-own-residual",
    "wcrnn_rc.residuals.CallableResidual": "ug-own-residual",
    "wcrnn_rc.analysis.lyapunov_spectrum": "ug-lyapunov",
    "wcrnn_rc.analysis.max_lyapunov_exponent": "ug-lyapunov",
    "wcrnn_rc.analysis.memory_capacity": "ug-memory-capacity",
    "wcrnn_rc.sweeps.parameter_sweep": "ug-sweeps",
    "wcrnn_rc.sweeps.draw_seeds": "ug-sweeps",
    "wcrnn_rc.sweeps.memory_capacity_scorer": "ug-grid-search",
    "wcrnn_rc.sweeps.edge_of_chaos_scorer": "ug-grid-search",
    "wcrnn_rc.torch.WCRNNCell": "ug-torch-modules",
    "wcrnn_rc.torch.WCRNN": "ug-torch-modules",
    "wcrnn_rc.torch.WCRNNTorchRegressor": "ug-torch-estimators",
    "wcrnn_rc.torch.WCRNNTorchClassifier": "ug-torch-estimators",
    "wcrnn_rc.torch.weakly_coupled_init_": "ug-torch-modules",
}
for _name in (
    "IdentityResidual",
    "OrthogonalResidual",
    "RotationalResidual",
    "HeterogeneousResidual",
    "TanhResidual",
    "NoResidual",
):
    USER_GUIDE[f"wcrnn_rc.residuals.{_name}"] = "ug-residuals"
for _name in ("plot_memory_curve", "plot_lyapunov_spectrum", "plot_residual_eigenvalues"):
    USER_GUIDE[f"wcrnn_rc.plotting.{_name}"] = "ug-memory-and-chaos"
USER_GUIDE["wcrnn_rc.plotting.plot_sweep"] = "ug-sweeps"

# Object -> its numpydoc "See Also" entries, used only where the docstring has none.
_RESIDUALS = [
    "IdentityResidual",
    "OrthogonalResidual",
    "RotationalResidual",
    "HeterogeneousResidual",
    "TanhResidual",
    "NoResidual",
    "MatrixResidual",
    "CallableResidual",
]
SEE_ALSO = {
    "wcrnn_rc.SupercriticalResidualWarning": [
        "wcrnn_rc.WCRNNReservoir : The reservoir that warns at fit.",
        "wcrnn_rc.DynamicsOverflowError : What a diverging network raises instead.",
    ],
    "wcrnn_rc.DynamicsError": [
        "wcrnn_rc.DynamicsOverflowError : The overflow case.",
        "wcrnn_rc.analysis.memory_capacity : The measurement behind ``memory_capacity_``.",
    ],
    "wcrnn_rc.DynamicsOverflowError": [
        "wcrnn_rc.DynamicsError : Its base class.",
        "wcrnn_rc.SupercriticalResidualWarning : The warning given at fit.",
    ],
    "wcrnn_rc.reservoir.recurrent_weight_matrix": [
        "input_weight_matrix : The input weights U.",
        "random_bias : The bias b.",
    ],
    "wcrnn_rc.reservoir.input_weight_matrix": [
        "recurrent_weight_matrix : The recurrent weights W.",
        "random_bias : The bias b.",
    ],
    "wcrnn_rc.reservoir.random_bias": [
        "recurrent_weight_matrix : The recurrent weights W.",
        "input_weight_matrix : The input weights U.",
    ],
    "wcrnn_rc.estimators.ridge_from_state_windows": [
        "wcrnn_rc.WCRNNRegressor : The estimator that uses it for long series.",
    ],
    "wcrnn_rc.residuals.make_residual": [
        f"{name} : One of the families it builds." for name in _RESIDUALS[:4]
    ],
    "wcrnn_rc.residuals.BaseResidual": [
        "MatrixResidual : A residual from your own matrix.",
        "CallableResidual : A residual from your own function.",
    ],
    "wcrnn_rc.residuals.haar_orthogonal": ["OrthogonalResidual : The residual it draws."],
    "wcrnn_rc.residuals.block_rotation": ["RotationalResidual : The residual it builds."],
    "wcrnn_rc.residuals.spread_angles": [
        "dominant_angles : Angles from the data's spectrum instead.",
        "RotationalResidual : The residual that uses them.",
    ],
    "wcrnn_rc.residuals.dominant_angles": [
        "spread_angles : Evenly spread angles instead.",
        "RotationalResidual : The residual that uses them.",
    ],
    "wcrnn_rc.residuals.log_uniform_timescales": [
        "HeterogeneousResidual : The residual that uses them.",
    ],
    "wcrnn_rc.analysis.max_lyapunov_exponent": [
        "lyapunov_spectrum : The leading exponents, not just the largest.",
        "wcrnn_rc.sweeps.edge_of_chaos_scorer : It as a scorer.",
    ],
    "wcrnn_rc.analysis.memory_capacity": [
        "wcrnn_rc.sweeps.memory_capacity_scorer : It as a scorer.",
        "wcrnn_rc.plotting.plot_memory_curve : Plot its curve.",
    ],
    "wcrnn_rc.sweeps.draw_seeds": ["parameter_sweep : The sweep that uses them."],
    "wcrnn_rc.sweeps.memory_capacity_scorer": [
        "edge_of_chaos_scorer : Distance from the edge of chaos.",
        "wcrnn_rc.analysis.memory_capacity : The measurement.",
    ],
    "wcrnn_rc.sweeps.edge_of_chaos_scorer": [
        "memory_capacity_scorer : Memory capacity.",
        "wcrnn_rc.analysis.max_lyapunov_exponent : The measurement.",
    ],
    "wcrnn_rc.datasets.make_adding_problem": [
        "make_copy_task : Another long-memory task.",
        "wcrnn_rc.torch.WCRNNTorchRegressor : Trained on it by BPTT in the gallery.",
    ],
    "wcrnn_rc.datasets.make_copy_task": ["make_adding_problem : Another long-memory task."],
    "wcrnn_rc.datasets.make_delay_task": [
        "wcrnn_rc.analysis.memory_capacity : Recall over all delays at once.",
    ],
    "wcrnn_rc.datasets.make_narma": ["make_mackey_glass : Another forecasting benchmark."],
    "wcrnn_rc.datasets.make_mackey_glass": ["make_narma : Another benchmark series."],
    "wcrnn_rc.datasets.make_frequency_task": [
        "wcrnn_rc.residuals.dominant_angles : Rotations tuned to such frequencies.",
    ],
    "wcrnn_rc.datasets.load_sequential_digits": [
        "fetch_sequential_mnist : The full-size version (downloads MNIST).",
    ],
    "wcrnn_rc.datasets.fetch_sequential_cifar10": [
        "fetch_sequential_mnist : Sequential MNIST.",
    ],
    "wcrnn_rc.plotting.plot_memory_curve": ["wcrnn_rc.analysis.memory_capacity : The data."],
    "wcrnn_rc.plotting.plot_lyapunov_spectrum": [
        "wcrnn_rc.analysis.lyapunov_spectrum : The data.",
        "plot_residual_eigenvalues : The theory's eigenvalues.",
    ],
    "wcrnn_rc.plotting.plot_residual_eigenvalues": [
        "plot_lyapunov_spectrum : The spectrum they predict.",
    ],
    "wcrnn_rc.plotting.plot_sweep": ["wcrnn_rc.sweeps.parameter_sweep : The data."],
    "wcrnn_rc.torch.WCRNNCell": ["WCRNN : The layer over whole sequences."],
    "wcrnn_rc.torch.WCRNN": [
        "WCRNNCell : One step.",
        "weakly_coupled_init_ : The same initialisation for torch.nn.RNN.",
    ],
    "wcrnn_rc.torch.weakly_coupled_init_": ["WCRNN : The model itself as a module."],
    "wcrnn_rc.cli.main": ["build_parser : Its parser."],
    "wcrnn_rc.cli.build_parser": ["main : Run it."],
}
for _name in _RESIDUALS:
    SEE_ALSO[f"wcrnn_rc.residuals.{_name}"] = [
        "make_residual : Build one from the reservoir's ``residual`` argument.",
        "wcrnn_rc.WCRNNReservoir : The reservoir that uses it.",
    ]

_SECTIONS_AFTER_SEE_ALSO = ("Notes", "References", "Examples")


def _add_user_guide_and_see_also(app, what, name, obj, options, lines):
    if what not in ("class", "function", "exception"):
        return
    label = USER_GUIDE.get(name)
    if label and lines:
        # After the summary paragraph, as scikit-learn places it.
        end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
        lines[end:end] = ["", f"Read more in the :ref:`User Guide <{label}>`."]
    entries = SEE_ALSO.get(name)
    if entries and not any(line.strip() == "See Also" for line in lines):
        block = ["See Also", "--------", *entries, ""]
        at = next(
            (
                i
                for i, line in enumerate(lines[:-1])
                if line.strip() in _SECTIONS_AFTER_SEE_ALSO and set(lines[i + 1].strip()) == {"-"}
            ),
            len(lines),
        )
        if at == len(lines):
            block = ["", *block]
        lines[at:at] = block


def _keep_values_together(app, doctree):
    # In table cells, "0.957 ± 0.004" wraps as one value: wide tables then scroll
    # sideways (docs/_static/wcrnn.css) instead of stacking each number over three lines.
    from docutils import nodes

    for cell in doctree.findall(nodes.entry):
        for text in list(cell.findall(nodes.Text)):
            if " ± " in text:
                text.parent.replace(text, nodes.Text(str(text).replace(" ± ", "\u00a0±\u00a0")))


def setup(app):
    # Before numpydoc (priority 500) parses the sections.
    app.connect("autodoc-process-docstring", _add_user_guide_and_see_also, priority=400)
    app.connect("doctree-read", _keep_values_together)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
