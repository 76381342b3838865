"""Fit a line to data with outliers while learning the robust loss's shape (PyTorch).

The residuals go through ``anyloss.torch.AdaptiveLossFunction``, whose alpha and scale
are trained with the line (Barron, "A General and Adaptive Robust Loss Function",
CVPR 2019). A fifth of the points are outliers: least squares is pulled away from the
true line, the adaptive loss lowers alpha towards Cauchy and ignores them.

    python examples/robust_torch.py --steps 1500
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from anyloss.torch import AdaptiveLossFunction

TRUE_SLOPE, TRUE_INTERCEPT = 2.0, 1.0


def make_data(n: int = 300, outliers: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on y = 2x + 1 with small noise; a fraction replaced by far-off outliers."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + 0.3 * rng.standard_normal(n)
    bad = rng.random(n) < outliers
    y[bad] = rng.uniform(10.0, 30.0, bad.sum())  # all above the line: they bias least squares
    return x, y


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def main(steps: int = 1500, seed: int = 0, verbose: bool = True) -> dict[str, float]:
    """Fit and return the learned slope, intercept, alpha and scale."""
    x_np, y_np = make_data(seed=seed)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    line = torch.zeros(2, dtype=torch.float64, requires_grad=True)  # slope, intercept
    adaptive = AdaptiveLossFunction(num_dims=1, dtype=torch.float64)
    optimizer = torch.optim.Adam([line, *adaptive.parameters()], lr=0.05)
    for _ in range(steps):
        residual = (line[0] * x + line[1] - y)[:, None]  # (n, 1): one alpha, one scale
        loss = adaptive(residual).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        result = {
            "slope": float(line[0]),
            "intercept": float(line[1]),
            "alpha": float(adaptive.alpha()[0]),
            "scale": float(adaptive.scale()[0]),
        }
    if verbose:
        ls = least_squares(x_np, y_np)
        print(f"true line:      y = {TRUE_SLOPE:.3f} x + {TRUE_INTERCEPT:.3f}")
        print(f"least squares:  y = {ls[0]:.3f} x + {ls[1]:.3f}")
        print(f"adaptive loss:  y = {result['slope']:.3f} x + {result['intercept']:.3f}")
        print(f"learned alpha = {result['alpha']:.3f}, scale = {result['scale']:.3f}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="optimizer steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(steps=args.steps, seed=args.seed)
