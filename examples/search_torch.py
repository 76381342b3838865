"""Search a loss with AM-LFS while an MLP trains on noisy digits (PyTorch).

Each search epoch samples 4 members of AM-LFS's piecewise-linear cross-entropy family,
trains a copy of the current MLP one epoch with each, rewards each with its accuracy on
the (equally noisy) validation split and carries the best copy forward; the controller
learns from the rewards which losses help. The clean test split is only reported.

    python examples/search_torch.py --epochs 30 --noise 0.4
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch

import anyloss
from anyloss.search import SearchResult, search

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits_data import NUM_CLASSES, Digits, Split, cli, compare, score, shuffle_seed

BATCH = 64


def make_model(seed: int) -> dict[str, Any]:
    """A 64-64-10 MLP and its SGD optimizer, in one dict: ``copy.deepcopy`` of the dict
    copies both and keeps the optimizer bound to the copied parameters."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, NUM_CLASSES)
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    return {"net": net, "opt": opt, "undefined": False}


def train_epoch(model: dict[str, Any], loss: Any, data: Split, shuffle_seed: int) -> Any:
    """One epoch of minibatch SGD on ``loss(logits, labels)``.

    A sampled AM-LFS member can be undefined (τ(p_y) <= 0, a NaN loss) on a batch; then
    the epoch stops before any NaN step and the copy is flagged ``undefined``, which
    :func:`reward` scores 0, so the controller learns to avoid such members and a
    diverged model is never carried forward.
    """
    net, opt = model["net"], model["opt"]
    model["undefined"] = False
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(shuffle_seed))
    for start in range(0, len(y), BATCH):
        idx = order[start : start + BATCH]
        value = loss(net(x[idx]), y[idx])
        if not torch.isfinite(value):  # τ(p_y) <= 0 on this batch: the loss is undefined
            model["undefined"] = True
            break
        opt.zero_grad()
        value.backward()
        opt.step()
    return model


def accuracy(model: dict[str, Any], data: Split, balanced: bool = False) -> float:
    with torch.no_grad():
        pred = model["net"](torch.from_numpy(data.x)).argmax(dim=1).numpy()
    return score(pred, data.y, balanced=balanced)


def reward(model: dict[str, Any], data: Split) -> float:
    """Balanced validation accuracy; 0 for a copy whose sampled loss was undefined."""
    return 0.0 if model["undefined"] else accuracy(model, data, balanced=True)


def run_search(
    data: Digits, seed: int = 0, epochs: int = 30, samples: int = 4, **kw: Any
) -> SearchResult:
    """AM-LFS on ``data``; ``kw`` goes to :func:`anyloss.search.search`."""

    def train_step(model: dict[str, Any], loss: Any) -> Any:
        return train_epoch(model, loss, data.train, shuffle_seed(seed, loss.epoch, loss.index))

    return search(
        train_step,
        lambda model: reward(model, data.val),
        make_model(seed),
        samples=samples,
        epochs=epochs,
        seed=seed,
        **kw,
    )


def run_cross_entropy(data: Digits, seed: int = 0, epochs: int = 30) -> dict[str, Any]:
    """Plain cross-entropy for the same epochs, shuffles and initial weights."""
    model = make_model(seed)
    for epoch in range(epochs):
        train_epoch(model, anyloss.cross_entropy, data.train, shuffle_seed(seed, epoch, 0))
    return model


def main(**options: Any) -> dict[str, float]:
    """Search, and train plain cross-entropy alongside; return both test accuracies.

    ``options``: ``epochs``, ``noise``, ``imbalance``, ``seed``, ``verbose``.
    """
    torch.set_num_threads(1)
    return compare(run_search, run_cross_entropy, accuracy, **options)


if __name__ == "__main__":
    main(**cli(__doc__))
