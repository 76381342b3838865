"""Draw Barron's robust loss ρ(x, α) and its derivative ψ = dρ/dx (the paper's figure 1).

Both come from ``anyloss.general_robust`` itself: the derivative by torch autograd or
jax.grad when one is installed, by central finite differences otherwise.

    python examples/plot_robust.py [robust.png]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

import anyloss

ALPHAS = (-math.inf, -2.0, 0.0, 1.0, 2.0)
LABELS = {
    -math.inf: "α = -∞ (Welsch)",
    -2.0: "α = -2 (Geman-McClure)",
    0.0: "α = 0 (Cauchy)",
    1.0: "α = 1 (Charbonnier)",
    2.0: "α = 2 (L2)",
}
DEFAULT_OUT = Path("robust.png")


def rho(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.asarray(anyloss.general_robust(x, np.zeros_like(x), alpha=alpha, reduction="none"))


def rho_derivative(x: np.ndarray, alpha: float) -> tuple[np.ndarray, str]:
    """dρ/dx at ``x`` and how it was obtained."""
    try:
        import torch

        t = torch.from_numpy(x).requires_grad_(True)
        out = anyloss.general_robust(t, torch.zeros_like(t), alpha=alpha, reduction="sum")
        (grad,) = torch.autograd.grad(out, t)
        return grad.numpy(), "torch autograd"
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        def total(v: Any) -> Any:
            return anyloss.general_robust(v, jnp.zeros_like(v), alpha=alpha, reduction="sum")

        return np.asarray(jax.grad(total)(jnp.asarray(x))), "jax.grad"
    except ImportError:
        h = 1e-5
        return (rho(x + h, alpha) - rho(x - h, alpha)) / (2 * h), "finite differences"


def main(out: Path = DEFAULT_OUT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.linspace(-6.0, 6.0, 1201)
    fig, (ax_rho, ax_psi) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    how = ""
    for alpha in ALPHAS:
        ax_rho.plot(x, rho(x, alpha), label=LABELS[alpha])
        psi, how = rho_derivative(x, alpha)
        ax_psi.plot(x, psi, label=LABELS[alpha])
    ax_rho.set(title="loss ρ(x, α, 1)", xlabel="x", ylim=(0, 4), xlim=(-6, 6))
    ax_psi.set(title=f"derivative ∂ρ/∂x ({how})", xlabel="x", ylim=(-3, 3), xlim=(-6, 6))
    for ax in (ax_rho, ax_psi):
        ax.grid(alpha=0.3)
    ax_rho.legend(loc="upper center", fontsize=8)
    fig.suptitle("anyloss.general_robust (Barron, CVPR 2019)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="PNG to write")
    print(f"wrote {main(parser.parse_args().out)}")
