"""Fit a line to data with outliers while learning the robust loss's shape (JAX + Optax).

The negative log-likelihood ``anyloss.adaptive_robust`` is differentiable in alpha and
scale, so they are trained with the line by ``optax.adam`` under ``jax.jit``: alpha is an
affine sigmoid of a latent in (0.001, 1.999), the scale a softplus (Barron, "A General and
Adaptive Robust Loss Function", CVPR 2019). A fifth of the points are outliers.

    python examples/robust_jax.py --steps 1500
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import anyloss

TRUE_SLOPE, TRUE_INTERCEPT = 2.0, 1.0
ALPHA_LO, ALPHA_HI, SCALE_LO = 0.001, 1.999, 1e-5
SOFTPLUS_SHIFT = math.log(math.expm1(1.0))  # a zero latent scale means scale 1


def make_data(n: int = 300, outliers: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on y = 2x + 1 with small noise; a fraction replaced by far-off outliers."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + 0.3 * rng.standard_normal(n)
    bad = rng.random(n) < outliers
    y[bad] = rng.uniform(10.0, 30.0, bad.sum())
    return x, y


def alpha_and_scale(params: dict[str, Any]) -> tuple[Any, Any]:
    alpha = ALPHA_LO + (ALPHA_HI - ALPHA_LO) * jax.nn.sigmoid(params["latent_alpha"])
    scale = SCALE_LO + (1.0 - SCALE_LO) * jax.nn.softplus(params["latent_scale"] + SOFTPLUS_SHIFT)
    return alpha, scale


def nll(params: dict[str, Any], x: Any, y: Any) -> Any:
    alpha, scale = alpha_and_scale(params)
    pred = params["slope"] * x + params["intercept"]
    return anyloss.adaptive_robust(pred, y, alpha=alpha, scale=scale, reduction="mean")


def main(steps: int = 1500, seed: int = 0, verbose: bool = True) -> dict[str, float]:
    """Fit and return the learned slope, intercept, alpha and scale."""
    x_np, y_np = make_data(seed=seed)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    params = {
        name: jnp.zeros((), dtype=x.dtype)
        for name in ("slope", "intercept", "latent_alpha", "latent_scale")
    }
    optimizer = optax.adam(0.05)
    state = optimizer.init(params)

    @jax.jit
    def step(params: dict[str, Any], state: Any) -> tuple[dict[str, Any], Any]:
        grads = jax.grad(nll)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(steps):
        params, state = step(params, state)
    alpha, scale = alpha_and_scale(params)
    result = {
        "slope": float(params["slope"]),
        "intercept": float(params["intercept"]),
        "alpha": float(alpha),
        "scale": float(scale),
    }
    if verbose:
        ls_slope, ls_intercept = np.polyfit(x_np, y_np, 1)
        print(f"true line:      y = {TRUE_SLOPE:.3f} x + {TRUE_INTERCEPT:.3f}")
        print(f"least squares:  y = {ls_slope:.3f} x + {ls_intercept:.3f}")
        print(f"adaptive loss:  y = {result['slope']:.3f} x + {result['intercept']:.3f}")
        print(f"learned alpha = {result['alpha']:.3f}, scale = {result['scale']:.3f}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="optimizer steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(steps=args.steps, seed=args.seed)
