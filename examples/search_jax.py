"""Search a loss with AM-LFS while an MLP trains on noisy digits (JAX + Optax).

The same search as ``search_torch.py`` with a pytree model. The train step is jitted
once per family: the sampled loss parameters are arguments of the jitted function
(``loss.arrays(x)``), not constants baked into it, so no member recompiles.

    python examples/search_jax.py --epochs 30 --noise 0.4
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import anyloss
from anyloss.search import SearchResult, search

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits_data import NUM_CLASSES, Digits, Split, cli, compare, score, shuffle_seed

BATCH = 64
# A sampled AM-LFS member can be undefined (τ(p_y) <= 0, a NaN loss) on a batch:
# apply_if_finite skips such updates (the copy never diverges) and counts them; a copy
# with a skipped update in its epoch gets reward 0, so the controller learns to avoid
# such members (skipping alone would let the search exploit skipping as early stopping).
OPTIMIZER = optax.apply_if_finite(optax.sgd(0.1, momentum=0.9), max_consecutive_errors=10**9)
Model = tuple[Any, Any, bool]  # (params, opt_state, undefined): immutable, copying is free


def make_model(seed: int) -> Model:
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    params = {
        "w1": jax.random.normal(k1, (64, 64)) / 8.0,
        "b1": jnp.zeros(64),
        "w2": jax.random.normal(k2, (64, NUM_CLASSES)) / 8.0,
        "b2": jnp.zeros(NUM_CLASSES),
    }
    return params, OPTIMIZER.init(params), False


def forward(params: Any, x: Any) -> Any:
    return jax.nn.relu(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]


_STEPS: dict[Callable[..., Any], Callable[..., Any]] = {}


def step_for(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A jitted SGD step for the loss function ``fn(logits, y, **loss_params)``."""
    if fn not in _STEPS:

        @jax.jit
        def step(params: Any, opt_state: Any, x: Any, y: Any, loss_params: Any) -> Any:
            grads = jax.grad(lambda p: fn(forward(p, x), y, **loss_params))(params)
            updates, opt_state = OPTIMIZER.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state

        _STEPS[fn] = step
    return _STEPS[fn]


def train_epoch(model: Model, fn: Any, loss_params: Any, data: Split, seed: int) -> Model:
    params, opt_state, _ = model
    skipped = int(opt_state.total_notfinite)
    step = step_for(fn)
    order = np.random.default_rng(seed).permutation(len(data.y))
    for start in range(0, len(order), BATCH):
        idx = order[start : start + BATCH]
        params, opt_state = step(params, opt_state, data.x[idx], data.y[idx], loss_params)
    return params, opt_state, int(opt_state.total_notfinite) > skipped


def reward(model: Model, data: Split) -> float:
    """Balanced validation accuracy; 0 for a copy whose sampled loss was undefined."""
    return 0.0 if model[2] else accuracy(model, data, balanced=True)


def accuracy(model: Model, data: Split, balanced: bool = False) -> float:
    pred = np.asarray(jnp.argmax(forward(model[0], data.x), axis=1))
    return score(pred, data.y, balanced=balanced)


def run_search(data: Digits, seed: int = 0, epochs: int = 30, **kw: Any) -> SearchResult:
    def train_step(model: Model, loss: Any) -> Model:
        params = loss.arrays(jnp.zeros((), jnp.float32))  # float32 jax arrays: jit arguments
        s = shuffle_seed(seed, loss.epoch, loss.index)
        return train_epoch(model, loss.family.fn, params, data.train, s)

    return search(
        train_step,
        lambda model: reward(model, data.val),
        make_model(seed),
        epochs=epochs,
        seed=seed,
        copy=lambda model: model,  # train_epoch returns new arrays; nothing is mutated
        **kw,
    )


def run_cross_entropy(data: Digits, seed: int = 0, epochs: int = 30) -> Model:
    model = make_model(seed)
    for epoch in range(epochs):
        model = train_epoch(
            model, anyloss.cross_entropy, {}, data.train, shuffle_seed(seed, epoch, 0)
        )
    return model


def main(**options: Any) -> dict[str, float]:
    """Search, and train plain cross-entropy alongside; return both test accuracies.

    ``options``: ``epochs``, ``noise``, ``imbalance``, ``seed``, ``verbose``.
    """
    return compare(run_search, run_cross_entropy, accuracy, **options)


if __name__ == "__main__":
    main(**cli(__doc__))
