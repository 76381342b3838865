"""Generate ``src/anyloss/_robust_logz.npz``: the log-partition function of Barron's loss.

The robust loss ρ(x, α, 1) of Barron (CVPR 2019) defines, for α in [0, 4], the density
``p(x) = exp(-ρ(x, α, 1)) / Z(α)``. This script computes, with ``scipy.integrate.quad``,

    Z(α)  = ∫ exp(-ρ(x, α, 1)) dx
    Z'(α) = -∫ exp(-ρ(x, α, 1)) ∂ρ/∂α(x, α, 1) dx   (differentiated under the integral)

on a grid of α, the second derivative by central differences of the first, and stores a
quintic Hermite interpolant (values, first and second derivatives) as float64 arrays.

Two places need care:

* α → 2: ρ, and with it log Z, is not smooth in α there. log Z(2 + d) = log √(2π)
  + ¼ d log|d| + (σ/2 - ¼)(½ d² log|d| - ¾ d²) + g(α), σ = sign(d), with g continuously
  differentiable (its second derivative jumps at d = 0 and varies like |d|^½ next to it):
  the slope of log Z is -∞ at α = 2. The ¼ is E[x²]/4 under the normal density (ρ ≈
  x²/2 - (x²/4) d log|d|); the second-order coefficients were read off (log Z)'', whose
  slope against log|d| tends to +¼ (right) and -¾ (left). ``--probe`` shows that g'' then
  converges on both sides. The table interpolates g; anyloss adds the two singular terms
  back analytically. The jump of g'' is kept by storing each cell's end curvatures apart.
* α → 0: the Cauchy-like tail makes the higher derivatives of log Z large (the
  4th is ~1e4 at α = 0).

Knots are uniform in the warped coordinate
``t(α) = c2 asinh((α-2)/δ2) + 3 c0 cbrt(α + δ0) + c1 α`` (one uniform step on [0, 2],
another on [2, 4], so that α = 2 is a knot): geometric in |α-2| near 2, dense at 0.
``anyloss.robust`` evaluates the same warp and the quintic with floor / clip / take /
arithmetic only, so it is differentiable in α and runs under jax.jit and on dask.

Run from the repository root:  ``python scripts/make_robust_logz.py [--check N]``.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.integrate import IntegrationWarning, quad

OUT = Path(__file__).resolve().parents[1] / "src" / "anyloss" / "_robust_logz.npz"

WARP = {"c2": 5.0, "delta2": 4e-6, "c0": 10.0, "delta0": 0.02, "c1": 8.0}
"""Knot density dt/dα = c2/√((α-2)² + δ2²) + c0 (α + δ0)^(-2/3) + c1, one knot per unit t."""

_SERIES = 0.1  # |u| below which exprel(u) = expm1(u)/u and its derivative use the series


def _exprel(u: float) -> tuple[float, float]:
    """``expm1(u) / u`` and its derivative, accurate also for tiny |u|."""
    if abs(u) < _SERIES:
        f = sum(u**k / math.factorial(k + 1) for k in range(12))
        df = sum(k * u ** (k - 1) / math.factorial(k + 1) for k in range(1, 12))
        return f, df
    em1 = math.expm1(u)
    return em1 / u, (math.exp(u) * u - em1) / (u * u)


def rho_drho(x: float, a: float) -> tuple[float, float]:
    """ρ(x, α, 1) and ∂ρ/∂α for finite α ≠ 2, both accurate to a few ulp.

    α < 1.95 uses ρ = (b L / 2) exprel(α L / 2), L = log1p(z / b), b = 2 - α
    (exact through α = 0); α ≥ 1.95 uses ρ = (z + (b + z) expm1(v)) / α,
    v = (α - 2) L / 2, b = |α - 2| (no cancellation near α = 2).
    """
    z = x * x
    if a < 1.95:
        b = 2.0 - a
        L = math.log1p(z / b)
        u = 0.5 * a * L
        e, de = _exprel(u)
        p = 0.5 * b * L
        dp = -0.5 * L + 0.5 * z / (b + z)
        du = 0.5 * L + 0.5 * a * z / (b * (b + z))
        return p * e, dp * e + p * de * du
    d = a - 2.0
    b = abs(d)
    L = math.log1p(z / b)
    v = 0.5 * d * L
    em1 = math.expm1(v)
    num = z + (b + z) * em1
    dnum = math.copysign(1.0, d) * em1 + (b + z) * (em1 + 1.0) * 0.5 * (L - z / (b + z))
    return num / a, dnum / a - num / (a * a)


def _integrate(f: Callable[[float], float]) -> float:
    """∫_0^∞ f(x) dx: [0, 1] and [1, 10] directly, the tail as ∫ f(e^y) e^y dy.

    Substituting x = e^y turns the Cauchy-like tail at α ≈ 0 (which decays as 1/x², times
    powers of log x for the α-derivative) into an exponentially decaying integrand.
    """
    opts = {"epsabs": 1e-16, "epsrel": 1e-13, "limit": 400}  # Z, |Z'| ~ 1
    head = quad(f, 0.0, 1.0, **opts)[0] + quad(f, 1.0, 10.0, **opts)[0]
    # beyond x = e^60 even the α = 0 tail (2/x², times log² x for Z') adds below 1e-20
    tail = quad(lambda y: f(math.exp(y)) * math.exp(y), math.log(10.0), 60.0, **opts)[0]
    return head + tail


def log_z(a: float) -> float:
    """log Z(α) by numerical integration (closed forms at α = 0 and 2 are not used)."""
    if a == 2.0:
        return 0.5 * math.log(2 * math.pi)
    return math.log(2.0 * _integrate(lambda x: math.exp(-rho_drho(x, a)[0])))


def log_z_and_slope(a: float) -> tuple[float, float]:
    """log Z(α) and d log Z / dα (for α ≠ 2)."""
    z = 2.0 * _integrate(lambda x: math.exp(-rho_drho(x, a)[0]))

    def dens_drho(x: float) -> float:
        r, dr = rho_drho(x, a)
        return math.exp(-r) * dr

    dz = -2.0 * _integrate(dens_drho)
    return math.log(z), dz / z


def singular(a: float) -> tuple[float, float]:
    """s(α) and s'(α): the non-smooth terms of log Z at α = 2 (both 0 at α = 2)."""
    d = a - 2.0
    if d == 0.0:
        return 0.0, 0.0
    ld = math.log(abs(d))
    c = math.copysign(0.5, d) - 0.25
    s = 0.25 * d * ld + c * d * d * (0.5 * ld - 0.75)
    ds = 0.25 * (ld + 1.0) + c * d * (ld - 1.0)
    return s, ds


def g_slope(a: float) -> float:
    """g'(α) = (log Z)'(α) - s'(α) for α != 2."""
    return log_z_and_slope(a)[1] - singular(a)[1]


def g_curvature(a: float, side: float = 0.0) -> float:
    """g''(α) by differences of g' (one-sided at α = 0; at α = 2 the ``side`` limit)."""
    if a == 2.0:
        a = 2.0 + side * 1e-8  # g'' - g''(2±) ~ 1.6 |α-2|^½: 2e-4 here, cells are 1e-6 wide
    d = abs(a - 2.0)
    eps = min(1e-5, 1e-2 * d)
    if a - 2 * eps < 0.0:  # forward, second order
        return (-3 * g_slope(a) + 4 * g_slope(a + eps) - g_slope(a + 2 * eps)) / (2 * eps)
    return (g_slope(a + eps) - g_slope(a - eps)) / (2 * eps)


def warp(a: np.ndarray | float, w: dict[str, float] = WARP) -> np.ndarray:
    """The warped coordinate t(α), strictly increasing on α > -δ0."""
    a = np.asarray(a, dtype=np.float64)
    return (
        w["c2"] * np.arcsinh((a - 2.0) / w["delta2"])
        + 3.0 * w["c0"] * np.cbrt(a + w["delta0"])
        + w["c1"] * a
    )


def _warp_derivatives(a: np.ndarray, w: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    d, r = a - 2.0, np.cbrt(a + w["delta0"])
    q = d * d + w["delta2"] ** 2
    t1 = w["c2"] / np.sqrt(q) + w["c0"] / r**2 + w["c1"]
    t2 = -w["c2"] * d / q**1.5 - (2.0 / 3.0) * w["c0"] / r**5
    return t1, t2


def _unwarp(t: float, w: dict[str, float]) -> float:
    from scipy.optimize import brentq

    return brentq(lambda a: float(warp(a, w)) - t, 0.0, 4.0, xtol=1e-15, rtol=1e-15)


def build(w: dict[str, float] = WARP) -> dict[str, np.ndarray]:
    """The table: knots uniform in t on [0, 2] and on [2, 4], α = 2 one of them."""
    t0, t2, t4 = (float(warp(a, w)) for a in (0.0, 2.0, 4.0))
    n1, n2 = math.ceil(t2 - t0), math.ceil(t4 - t2)
    h1, h2 = (t2 - t0) / n1, (t4 - t2) / n2
    t = np.concatenate([t0 + h1 * np.arange(n1), t2 + h2 * np.arange(n2 + 1)])
    ends = (0, n1, n1 + n2)
    alpha = np.array([0.0 if k in ends else _unwarp(float(tk), w) for k, tk in enumerate(t)])
    alpha[0], alpha[n1], alpha[-1] = 0.0, 2.0, 4.0
    n = alpha.size
    g, dg = np.empty(n), np.empty(n)
    d2g_lo, d2g_hi = np.empty(n), np.empty(n)  # g'' seen from the cell right / left of a knot
    for k, a in enumerate(alpha):
        a = float(a)
        if a == 2.0:
            g[k] = 0.5 * math.log(2 * math.pi)
            dg[k] = 0.5 * (g_slope(2.0 - 1e-9) + g_slope(2.0 + 1e-9))
            d2g_lo[k], d2g_hi[k] = g_curvature(a, +1.0), g_curvature(a, -1.0)
        else:
            lz, dlz = log_z_and_slope(a)
            s, ds = singular(a)
            g[k], dg[k] = lz - s, dlz - ds
            d2g_lo[k] = d2g_hi[k] = g_curvature(a)
    # to the warped coordinate: dg/dt = g' α_t, d²g/dt² = g'' α_t² + g' α_tt
    t1, t2_ = _warp_derivatives(alpha, w)
    a_t, a_tt = 1.0 / t1, -t2_ / t1**3
    return {
        **{k: np.float64(v) for k, v in w.items()},
        "t0": np.float64(t0),
        "t2": np.float64(t2),
        "h1": np.float64(h1),
        "h2": np.float64(h2),
        "n1": np.int64(n1),
        "alpha": alpha,
        "value": g,
        "slope": dg * a_t,
        "curv_lo": (d2g_lo * a_t**2 + dg * a_tt)[:-1],  # at the left end of each cell
        "curv_hi": (d2g_hi * a_t**2 + dg * a_tt)[1:],  # at the right end of each cell
    }


def interpolate(table: dict[str, np.ndarray], a: np.ndarray) -> np.ndarray:
    """log Z(α) from the table (NumPy twin of anyloss.robust._log_z, for checking)."""
    w = {k: float(table[k]) for k in WARP}
    t0, t2, h1, h2 = (float(table[k]) for k in ("t0", "t2", "h1", "h2"))
    n1, n = int(table["n1"]), table["value"].shape[0] - 1
    a = np.asarray(a, dtype=np.float64)
    t = warp(a, w)
    pos = np.where(t < t2, (t - t0) / h1, n1 + (t - t2) / h2)
    k = np.clip(np.floor(pos), 0, n - 1).astype(np.int64)
    h = np.where(k < n1, h1, h2)
    s = pos - k
    s2, s3 = s * s, s * s * s
    b0 = 1 - s3 * (10 - 15 * s + 6 * s2)
    b1 = s - s3 * (6 - 8 * s + 3 * s2)
    b2 = 0.5 * s2 * (1 - s) ** 3
    b3 = 1 - b0
    b4 = -s3 * (4 - 7 * s + 3 * s2)
    b5 = 0.5 * s3 * (1 - s) ** 2
    v, m, c = table["value"], table["slope"], None
    g = (
        b0 * v[k]
        + b1 * h * m[k]
        + b2 * h * h * table["curv_lo"][k]
        + b3 * v[k + 1]
        + b4 * h * m[k + 1]
        + b5 * h * h * table["curv_hi"][k]
    )
    d = a - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ld = np.log(np.abs(d))
        c = np.where(d > 0, 0.25, -0.75)
        sing = np.where(d == 0, 0.0, 0.25 * d * ld + c * d * d * (0.5 * ld - 0.75))
    return g + sing


def check(table: dict[str, np.ndarray], n: int, seed: int = 0) -> float:
    """Largest |log Z error| of the table at ``n`` random α against fresh integration."""
    rng = np.random.default_rng(seed)
    alphas = np.concatenate(
        [rng.uniform(0, 4, n), 2 + rng.uniform(-1e-3, 1e-3, n // 10), rng.uniform(0, 0.05, n // 10)]
    )
    got = interpolate(table, alphas)
    want = np.array([log_z(float(a)) for a in alphas])
    err = np.abs(got - want)
    worst = int(np.argmax(err))
    print(
        f"max |log Z error| over {alphas.size} random alpha: {err.max():.3g} "
        f"(at alpha = {alphas[worst]:.6g})"
    )
    return float(err.max())


def probe() -> None:
    """Print the limits that fix the singular terms at α = 2 (see the module docstring)."""
    for d in (1e-4, 1e-5, 1e-6, 1e-7):
        lz = [log_z_and_slope(2.0 + sd)[1] for sd in (d, -d)]
        print(
            f"|α-2| = {d:.0e}: (log Z)' - ¼(log|d| + 1) = "
            f"{lz[0] - 0.25 * (math.log(d) + 1):+.8f} (right) "
            f"{lz[1] - 0.25 * (math.log(d) + 1):+.8f} (left); "
            f"g''= {g_curvature(2.0 + d):+.6f} / {g_curvature(2.0 - d):+.6f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=int, default=200, help="random alphas to verify")
    parser.add_argument("--probe", action="store_true", help="print the limits at alpha = 2")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    warnings.simplefilter("error", IntegrationWarning)  # an inaccurate integral stops the build
    if args.probe:
        probe()
        return
    start = time.perf_counter()
    table = build()
    print(f"built {table['value'].size} knots in {time.perf_counter() - start:.1f} s")
    if args.check:
        check(table, args.check)
    np.savez(args.out, **table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
