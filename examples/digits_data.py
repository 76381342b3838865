"""scikit-learn's ``load_digits``, made hard the way AM-LFS motivates: noisy labels and
class imbalance in the training and validation data; a clean, balanced test set.

Shared by ``search_torch.py``, ``search_jax.py`` and ``scripts/search_digits.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

NUM_CLASSES = 10


class Split(NamedTuple):
    x: np.ndarray  # (n, 64) float32 in [0, 1]
    y: np.ndarray  # (n,) int64


class Digits(NamedTuple):
    train: Split  # noisy (and imbalanced): what the model trains on
    val: Split  # noisy (and imbalanced) too: the search's reward, no clean labels needed
    test: Split  # clean and balanced: held out, reported only


def _flip(y: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Symmetric label noise: with probability ``noise`` a label becomes another class."""
    flip = rng.random(len(y)) < noise
    other = (y + rng.integers(1, NUM_CLASSES, len(y))) % NUM_CLASSES
    return np.where(flip, other, y)


def _keep_imbalanced(y: np.ndarray, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Indices kept so that class c keeps a fraction ``ratio ** (-c / 9)`` (long tail)."""
    keep = rng.random(len(y)) < ratio ** (-y / (NUM_CLASSES - 1))
    return np.flatnonzero(keep)


def noisy_digits(
    seed: int = 0, noise: float = 0.4, imbalance: float = 1.0, test_fraction: float = 0.3
) -> Digits:
    """Split the digits (seeded), then corrupt the training and validation labels.

    ``noise`` is the fraction of flipped labels; ``imbalance`` the ratio between the
    most and the least frequent class (1: balanced).
    """
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    x, y = (x[order] / 16.0).astype(np.float32), y[order].astype(np.int64)
    n_test = int(test_fraction * len(y))
    test = Split(x[:n_test], y[:n_test])
    rest = _keep_imbalanced(y[n_test:], imbalance, rng) + n_test
    x_rest, y_rest = x[rest], _flip(y[rest], noise, rng)
    n_val = len(rest) // 4
    return Digits(
        train=Split(x_rest[n_val:], y_rest[n_val:]),
        val=Split(x_rest[:n_val], y_rest[:n_val]),
        test=test,
    )


def score(pred: np.ndarray, y: np.ndarray, *, balanced: bool = False) -> float:
    """Accuracy, or balanced accuracy (the mean of the per-class recalls).

    The search's reward and the early stopping use the balanced one on the validation
    split: with imbalanced training data, plain accuracy rewards losses that give up the
    rare classes, which the balanced test split then punishes.
    """
    if not balanced:
        return float(np.mean(pred == y))
    return float(np.mean([np.mean(pred[y == c] == c) for c in np.unique(y)]))


def shuffle_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of one copy's shuffling: distinct per (run seed, epoch, sample)."""
    return seed * 1_000_003 + epoch * 101 + index


def cli(doc: str | None) -> dict[str, Any]:
    """The examples' command line: ``--epochs --noise --imbalance --seed``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--noise", type=float, default=0.4, help="fraction of flipped labels")
    parser.add_argument("--imbalance", type=float, default=1.0, help="largest/smallest class")
    parser.add_argument("--seed", type=int, default=0)
    return vars(parser.parse_args())


def compare(
    run_search: Callable[..., Any],
    run_cross_entropy: Callable[..., Any],
    accuracy: Callable[[Any, Split], float],
    *,
    epochs: int = 30,
    noise: float = 0.4,
    imbalance: float = 1.0,
    seed: int = 0,
    verbose: bool = True,
) -> dict[str, float]:
    """An example's run: search and plain cross-entropy on one split; test accuracies."""
    data = noisy_digits(seed, noise=noise, imbalance=imbalance)
    result = run_search(data, seed=seed, epochs=epochs, progress=verbose)
    ce = run_cross_entropy(data, seed=seed, epochs=epochs)
    out = {
        "search": accuracy(result.best_model, data.test),
        "cross_entropy": accuracy(ce, data.test),
    }
    if verbose:
        print("learned means:", {k: np.round(v, 3).tolist() for k, v in result.mean.items()})
        print(", ".join(f"test accuracy {k}: {v:.4f}" for k, v in out.items()))
    return out
