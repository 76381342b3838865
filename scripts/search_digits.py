"""Reproduction: AM-LFS search against plain cross-entropy on noisy digits, over seeds.

For each seed (a new split, label noise, initial weights and shuffles) it trains the same
MLP (``examples/search_torch.py``) for the same number of epochs four ways and reports
the accuracy on the clean held-out test split:

- ``cross-entropy``: plain cross-entropy, the model after the last epoch;
- ``CE, early stop``: plain cross-entropy, the epoch with the best validation score;
- ``CE, best of B``: B copies per epoch trained with plain cross-entropy on different
  shuffles, the best on validation carried forward: the search's selection without the
  loss search (it isolates what the searched loss adds);
- ``AM-LFS search``: :func:`anyloss.search.search` (B samples per epoch).

Validation scores (the search's reward, early stopping, the best-of-B choice) are
balanced accuracies on the noisy validation split; test scores are plain accuracies.
It prints a Markdown table (mean ± standard deviation over seeds, then per seed) and
writes a plot of the controller's means over epochs. Not a test: about 30 s per seed on
one CPU thread.

    python scripts/search_digits.py --seeds 0 1 2 3 4 --epochs 30 \
        --plot docs/_static/search_trajectory.png
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import anyloss
from anyloss.search import SearchResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from digits_data import Digits, noisy_digits, shuffle_seed
from search_torch import accuracy, make_model, run_search, train_epoch

COLUMNS = ("cross-entropy", "CE, early stop", "CE, best of B", "AM-LFS search")


def cross_entropy_runs(data: Digits, seed: int, epochs: int) -> tuple[float, float]:
    """Test accuracy after the last epoch, and at the epoch with the best validation."""
    model, best_val, early = make_model(seed), -1.0, 0.0
    for epoch in range(epochs):
        train_epoch(model, anyloss.cross_entropy, data.train, shuffle_seed(seed, epoch, 0))
        val = accuracy(model, data.val, balanced=True)
        if val > best_val:
            best_val, early = val, accuracy(model, data.test)
    return accuracy(model, data.test), early


def best_of_copies(data: Digits, seed: int, epochs: int, samples: int) -> float:
    """The search's scheme with the loss fixed to cross-entropy."""
    parent = make_model(seed)
    for epoch in range(epochs):
        trained = [
            train_epoch(copy.deepcopy(parent), anyloss.cross_entropy, data.train,
                        shuffle_seed(seed, epoch, i))
            for i in range(samples)
        ]  # fmt: skip
        parent = max(trained, key=lambda m: accuracy(m, data.val, balanced=True))
    return accuracy(parent, data.test)


def run_seed(seed: int, epochs: int, samples: int, noise: float, imbalance: float) -> Any:
    data = noisy_digits(seed, noise=noise, imbalance=imbalance)
    last, early = cross_entropy_runs(data, seed, epochs)
    best_of = best_of_copies(data, seed, epochs, samples)
    result = run_search(data, seed=seed, epochs=epochs, samples=samples)
    accs = (last, early, best_of, accuracy(result.best_model, data.test))
    return np.array(accs), result


def table(seeds: list[int], accs: np.ndarray) -> str:
    head = "| | " + " | ".join(COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS) + "\n"
    mean, std = accs.mean(axis=0), accs.std(axis=0, ddof=1) if len(seeds) > 1 else 0 * accs[0]
    rows = [
        "| **mean ± std** | "
        + " | ".join(f"**{m:.3f} ± {s:.3f}**" for m, s in zip(mean, std, strict=True))
        + " |"
    ]
    rows += [
        f"| seed {s} | " + " | ".join(f"{a:.3f}" for a in row) + " |"
        for s, row in zip(seeds, accs, strict=True)
    ]
    gain = accs[:, 3] - accs[:, 0]
    spread = gain.std(ddof=1) if len(seeds) > 1 else 0.0
    summary = (
        f"search − cross-entropy: {gain.mean():+.3f} ± {spread:.3f} "
        f"(better on {int((gain > 0).sum())} of {len(seeds)} seeds)"
    )
    return head + "\n".join(rows) + "\n\n" + summary


def plot(results: list[SearchResult], seeds: list[int], path: Path) -> None:
    """Controller means per bin over epochs: slopes, intercepts, and their ratio b/a
    (only b/a shapes the gradient in the logits). First seed bold, the others faint."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharex=True)
    bins = results[0].mean["slopes"].size
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, bins))
    for r_i, result in enumerate(results):
        a, b = result.trajectory["slopes"], result.trajectory["intercepts"]
        for ax, traj in zip(axes, (a, b, b / a), strict=True):
            for k in range(bins):
                label = f"bin {k}: [{k}/{bins}, {k + 1}/{bins})" if r_i == 0 else None
                alpha = 1.0 if r_i == 0 else 0.25
                ax.plot(traj[:, k], color=colors[k], alpha=alpha, label=label)
    titles = ("slopes $a_k$", "intercepts $b_k$", "$b_k / a_k$ (shapes the gradient)")
    for title, ax in zip(titles, axes, strict=True):
        ax.set_title(f"controller mean: {title}", fontsize=10)
        ax.set_xlabel("search epoch")
    axes[1].legend(fontsize=7, ncol=2)
    fig.suptitle(
        f"AM-LFS on digits with noisy labels: seed {seeds[0]} bold, seeds {seeds[1:]} faint",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--noise", type=float, default=0.4)
    parser.add_argument("--imbalance", type=float, default=1.0)
    parser.add_argument("--plot", type=Path, default=None, help="write the trajectory plot here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    accs, results = [], []
    for seed in args.seeds:
        t0 = time.perf_counter()
        a, result = run_seed(seed, args.epochs, args.samples, args.noise, args.imbalance)
        accs.append(a)
        results.append(result)
        print(f"seed {seed}: " + ", ".join(f"{c} {v:.3f}" for c, v in zip(COLUMNS, a, strict=True))
              + f"  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)  # fmt: skip
    print(f"noise {args.noise}, imbalance {args.imbalance}, {args.epochs} epochs, "
          f"B = {args.samples}; clean test accuracy\n")  # fmt: skip
    print(table(args.seeds, np.array(accs)))
    for seed, result in zip(args.seeds, results, strict=True):
        means = {k: np.round(v, 2).tolist() for k, v in result.mean.items()}
        print(f"seed {seed} learned means: {means}")
    if args.plot is not None:
        plot(results, args.seeds, args.plot)


if __name__ == "__main__":
    main()
