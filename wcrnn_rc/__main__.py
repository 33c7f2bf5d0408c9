"""``python -m wcrnn_rc``: the main job on built-in data, with no network access.

Fits ``Pipeline([("res", WCRNNReservoir()), ("ridge", RidgeClassifier())])`` on
scikit-learn's bundled 8x8 digits read as 64-step pixel sequences, and prints the
held-out accuracy and the fitted reservoir's memory capacity and largest Lyapunov
exponent. The ``wcrnn-rc`` command line of a
later release replaces this entry point.
"""

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from . import WCRNNReservoir


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv=None):
    """Run the demo and return the test accuracy.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments (``--n-units``, ``--seed``); None reads ``sys.argv``.

    Returns
    -------
    accuracy : float
        Held-out accuracy of the reservoir pipeline.
    """
    parser = argparse.ArgumentParser(prog="python -m wcrnn_rc", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n-units", type=_positive_int, default=200, help="reservoir size (default 200)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    sequences = (X / 16.0).reshape(-1, 64, 1)  # one pixel per time step
    X_train, X_test, y_train, y_test = train_test_split(
        sequences, y, test_size=0.25, random_state=args.seed, stratify=y
    )
    pipe = Pipeline(
        [
            (
                "res",
                WCRNNReservoir(
                    n_units=args.n_units, sequence_features="both", random_state=args.seed
                ),
            ),
            ("ridge", RidgeClassifier()),
        ]
    )
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    accuracy = pipe.score(X_test, y_test)
    elapsed = time.perf_counter() - start
    print("Sequential digits: 1797 images of 8x8 pixels as 64-step sequences, 10 classes")
    print(f"  {'model':<46}{'test accuracy':>14}")
    print(f"  {'chance':<46}{0.1:>14.3f}")
    name = f"WCRNNReservoir({args.n_units} units) + RidgeClassifier"
    print(f"  {name:<46}{accuracy:>14.3f}")
    print(f"  fit + score in {elapsed:.2f} s (n_units={args.n_units}, seed={args.seed})")
    reservoir = pipe.named_steps["res"]
    print("The fitted reservoir's dynamics (i.i.d. drive):")
    print(
        f"  memory capacity            {reservoir.memory_capacity_:8.1f}  (at most {args.n_units})"
    )
    print(
        f"  largest Lyapunov exponent  {reservoir.lyapunov_exponents_[0]:8.4f}  "
        f"(theory: log max|eig R| = {reservoir.residual_lyapunov_exponents_[0]:.4f})"
    )
    return accuracy


if __name__ == "__main__":
    main()
