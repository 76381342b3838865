"""Robust family (Barron 2019): references written out from the paper, natives from scipy.

The reference of rho is the paper's eq. 1 evaluated in extended precision (``np.longdouble``
with expm1/log1p, which has no cancellation except at alpha = 0 and 2 exactly, where the
closed forms are used). log Z(alpha) is integrated afresh with ``scipy.integrate.quad``
on [0, 1] and, with x = 1/t, on the remaining half-line: independent of the table anyloss
ships and of the script that built it.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from tests.cases import Case, Native, elementwise

INF = math.inf

# --- independent float64 references ----------------------------------------------------


def rho_reference(x: Any, alpha: Any, scale: Any) -> np.ndarray:
    """rho(x, alpha, c), elementwise with broadcasting, in extended precision."""
    x, a, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, alpha, scale)))
    z = (x.astype(np.longdouble) / c.astype(np.longdouble)) ** 2
    a = a.astype(np.longdouble)
    with np.errstate(all="ignore"):
        b = np.abs(a - 2)
        general = (b / a) * np.expm1(a / 2 * np.log1p(z / b))
        out = np.select(
            [a == 2, a == 0, a == -INF, a == INF],
            [z / 2, np.log1p(z / 2), -np.expm1(-z / 2), np.expm1(z / 2)],
            general,
        )
        return out.astype(np.float64)  # inf where rho leaves float64, as anyloss's


def _rho_scalar(x: float, a: float) -> float:
    """rho(x, alpha, 1) for one alpha in [0, 4] (used inside the integrals)."""
    z = x * x
    if a == 0.0:
        return math.log1p(z / 2)
    if a == 2.0:
        return z / 2
    b = abs(a - 2)
    return b / a * math.expm1(a / 2 * math.log1p(z / b))


@functools.lru_cache(maxsize=4096)
def log_z_reference(alpha: float) -> float:
    """log ∫ exp(-rho(x, alpha, 1)) dx by quad: ∫_0^1 f(x) dx + ∫_0^1 f(1/t) / t² dt, doubled."""
    from scipy.integrate import quad

    def inner(x: float) -> float:
        return math.exp(-_rho_scalar(x, alpha))

    def outer(t: float) -> float:
        if t < 1e-150:
            return 0.0 if alpha > 0 else 2.0  # the limit of f(1/t)/t² (2 for Cauchy's tail)
        return math.exp(-_rho_scalar(1.0 / t, alpha)) / (t * t)

    opts = {"epsabs": 1e-16, "epsrel": 1e-13, "limit": 500}  # Z ~ 1: no roundoff warnings
    total = quad(inner, 0.0, 1.0, **opts)[0] + quad(outer, 0.0, 1.0, **opts)[0]
    return math.log(2.0 * total)


@elementwise
def ref_general_robust(p: Any, t: Any, alpha: Any = 1.0, scale: Any = 1.0) -> Any:
    return rho_reference(p - t, alpha, scale)


@elementwise
def ref_adaptive_robust(p: Any, t: Any, alpha: Any, scale: Any) -> Any:
    log_z = np.vectorize(lambda a: log_z_reference(float(a)), otypes=[np.float64])(alpha)
    return rho_reference(p - t, alpha, scale) + np.log(scale) + log_z


@elementwise
def ref_charbonnier(p: Any, t: Any, scale: Any = 1.0) -> Any:
    return np.sqrt(((p - t) / scale) ** 2 + 1) - 1


@elementwise
def ref_pseudo_huber(p: Any, t: Any, delta: Any = 1.0) -> Any:
    return delta**2 * (np.sqrt(1 + ((p - t) / delta) ** 2) - 1)


@elementwise
def ref_cauchy(p: Any, t: Any, scale: Any = 1.0) -> Any:
    return np.log(0.5 * ((p - t) / scale) ** 2 + 1)


@elementwise
def ref_geman_mcclure(p: Any, t: Any, scale: Any = 1.0) -> Any:
    z = ((p - t) / scale) ** 2
    return 2 * z / (z + 4)


@elementwise
def ref_welsch(p: Any, t: Any, scale: Any = 1.0) -> Any:
    return 1 - np.exp(-0.5 * ((p - t) / scale) ** 2)


# --- natives -------------------------------------------------------------------------------


def _scipy_pseudo_huber(charbonnier: bool = False) -> Native:
    def fn(p: Any, t: Any, reduction: str = "mean", **kw: Any) -> Any:
        from scipy.special import pseudo_huber

        c = kw.get("scale" if charbonnier else "delta", 1.0)
        out = pseudo_huber(c, p - t)
        out = out / c**2 if charbonnier else out
        return out if reduction == "none" else (out.sum() if reduction == "sum" else out.mean())

    name = "scipy.special.pseudo_huber" + (" / scale**2" if charbonnier else "")
    return Native(name, fn, ("scipy",))


# --- inputs ----------------------------------------------------------------------------------


def _pair(shape: tuple[int, ...] = (6, 5), spread: float = 2.0) -> Any:
    return lambda r: (spread * r.standard_normal(shape), r.standard_normal(shape))


def _zero_residual(r: np.random.Generator) -> tuple[Any, ...]:
    p = r.standard_normal((4, 6))
    return p, p.copy()


def _spread_residual(r: np.random.Generator) -> tuple[Any, ...]:
    """Residuals from 0 to 1e6 along the last axis (values only: a FD of the mean of
    numbers from 1e-7 to 1e23 cannot see the small ones)."""
    x = np.array([0.0, 1e-3, 1.0, 1e2, 1e4, 1e6])
    return np.stack([x, -x, x, -x]), np.zeros((4, 6))


def _huge_residual(r: np.random.Generator) -> tuple[Any, ...]:
    """Residuals of about ±1e6."""
    return 1e6 * r.choice([-1.0, 1.0], (4, 6)), r.standard_normal((4, 6))


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


_S = np.array(1.0)
_SPECIAL = _a(-INF, -2.0, 0.0, 1.0, 2.0, INF)  # the exact limits, one per column

CASES: list[Case] = [
    # general_robust: alpha/scale are NumPy arrays so the matrix differentiates them too
    Case("general_robust", ref_general_robust),
    Case(
        "general_robust",
        ref_general_robust,
        _pair((4, 6)),
        {"alpha": _SPECIAL, "scale": _S},
        id="exact-limits",
        grad=False,
        half=False,
    ),  # FD cannot step around ±inf
    Case(
        "general_robust",
        ref_general_robust,
        _pair((4, 3)),
        {"alpha": _a(-2.0, 0.0, 1.0), "scale": np.array(0.8)},
        id="named-alphas",
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _pair((4, 4)),
        {"alpha": _a(-1e-7, 1e-7, 1e-12, -1e-12), "scale": _S},
        id="near-zero",
    ),
    # within 1e-7 of 2, drho/dalpha ~ (z/4) log(z/|alpha-2|): a FD step of 2e-6 straddles
    # alpha = 2, where the derivative is infinite (values are still compared)
    Case(
        "general_robust",
        ref_general_robust,
        _pair((4, 4)),
        {"alpha": _a(2 - 1e-7, 2 + 1e-7, 2 - 1e-12, 2.0), "scale": _S},
        id="near-two",
        grad=False,
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _pair((3, 5)),
        {
            "alpha": np.linspace(-6.0, 6.0, 15).reshape(3, 5),
            "scale": np.array([[0.5], [1.0], [2.5]]),
        },
        id="array-alpha-scale",
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _pair((2, 3, 4)),
        {"alpha": _a(-1.0, 0.5, 1.5, 3.5), "scale": _a(0.3, 0.9, 1.4, 2.2)},
        id="3d-broadcast",
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _zero_residual,
        {"alpha": _a(-INF, -2.0, 0.0, 1.0, 2.0, INF), "scale": _S},
        id="zero-residual",
        grad=False,
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _zero_residual,
        {"alpha": _a(-5.0, -1e-7, 0.5, 1.0, 1.9, 3.0), "scale": np.array(0.5)},
        id="zero-residual-finite-alpha",
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _spread_residual,
        {"alpha": _a(-INF, 0.0, 2.0, INF)[:, None], "scale": _S},
        id="spread-residual-limits",
        grad=False,
        half=False,
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _spread_residual,
        {"alpha": _a(-2.0, 1e-7, 2.0 - 1e-7, 2.0 + 1e-7)[:, None], "scale": _S},
        id="spread-residual-near",
        grad=False,
        half=False,
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _spread_residual,
        {"alpha": _a(-3.0, 0.5, 1.0, 3.0)[:, None], "scale": np.array(2.0)},
        id="spread-residual",
        grad=False,
        half=False,
    ),
    Case(
        "general_robust",
        ref_general_robust,
        _huge_residual,
        {"alpha": _a(-3.0, 0.5, 1.0, 3.0)[:, None], "scale": np.array(2.0)},
        id="huge-residual",
        half=False,
    ),
    # rho of |x|^alpha growth, exact up to past float64 (inf there, on both sides): values
    # only (a FD of 1e26 - O(1) resolves nothing), float64 only (most of these leave float32)
    Case(
        "general_robust",
        ref_general_robust,
        _spread_residual,
        {"alpha": _a(4.0, 10.0, 50.0, 1e3)[:, None], "scale": _S},
        id="alpha-above-two",
        dtypes=("float64",),
        grad=False,
        half=False,
    ),
    # adaptive_robust: alpha in [0, 4]; FD needs alpha +- 1e-6 inside [0, 4] and off 2
    Case("adaptive_robust", ref_adaptive_robust),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _pair((3, 4)),
        {"alpha": _a(0.0, 1e-7, 2.0, 4.0), "scale": np.array(0.9)},
        id="edges",
        grad=False,
    ),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _pair((3, 4)),
        {"alpha": _a(2 - 1e-7, 2 + 1e-7, 1.999, 2.001), "scale": np.array(1.2)},
        id="near-two",
        grad=False,
    ),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _pair((3, 4)),
        {"alpha": _a(1e-3, 0.02, 1.0, 3.99), "scale": _a(0.5, 1.0, 1.5, 3.0)},
        id="near-ends",
    ),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _pair((2, 3)),
        {
            "alpha": np.array([[0.1, 1.0, 1.9], [2.1, 3.0, 3.9]]),
            "scale": np.array([[0.6, 1.1, 1.7], [0.4, 2.0, 1.3]]),
        },
        id="array-alpha-scale",
    ),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _zero_residual,
        {"alpha": _a(0.5, 1.0, 1.5, 2.5, 3.0, 3.5), "scale": _S},
        id="zero-residual",
    ),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _huge_residual,
        {"alpha": _a(0.5, 1.0, 3.0, 3.9)[:, None], "scale": np.array(2.0)},
        id="huge-residual",
        half=False,
    ),
    Case(
        "adaptive_robust",
        ref_adaptive_robust,
        _spread_residual,
        {"alpha": _a(0.0, 1.0, 2.0, 4.0)[:, None], "scale": np.array(2.0)},
        id="spread-residual",
        grad=False,
        half=False,
    ),
    # the named special cases
    Case("charbonnier", ref_charbonnier, native=(_scipy_pseudo_huber(charbonnier=True),)),
    Case(
        "charbonnier",
        ref_charbonnier,
        kwargs={"scale": 0.3},
        id="scale",
        native=(_scipy_pseudo_huber(charbonnier=True),),
    ),
    Case(
        "charbonnier",
        ref_charbonnier,
        kwargs={"scale": _a(0.5, 1.0, 1.5, 2.0, 4.0)},
        id="array-scale",
    ),
    Case("charbonnier", ref_charbonnier, _zero_residual, id="zero-residual"),
    Case("charbonnier", ref_charbonnier, _huge_residual, id="huge-residual", half=False),
    Case("pseudo_huber", ref_pseudo_huber, native=(_scipy_pseudo_huber(),)),
    Case(
        "pseudo_huber",
        ref_pseudo_huber,
        kwargs={"delta": 2.5},
        id="delta",
        native=(_scipy_pseudo_huber(),),
    ),
    Case(
        "pseudo_huber",
        ref_pseudo_huber,
        kwargs={"delta": _a(0.5, 1.0, 1.5, 2.0, 4.0)},
        id="array-delta",
    ),
    Case("pseudo_huber", ref_pseudo_huber, _zero_residual, id="zero-residual"),
    Case("pseudo_huber", ref_pseudo_huber, _huge_residual, id="huge-residual", half=False),
    Case("cauchy", ref_cauchy),
    Case("cauchy", ref_cauchy, kwargs={"scale": 0.4}, id="scale"),
    Case("cauchy", ref_cauchy, kwargs={"scale": _a(0.5, 1.0, 1.5, 2.0, 4.0)}, id="array-scale"),
    Case("cauchy", ref_cauchy, _zero_residual, id="zero-residual"),
    Case("cauchy", ref_cauchy, _huge_residual, id="huge-residual", half=False),
    Case("geman_mcclure", ref_geman_mcclure),
    Case("geman_mcclure", ref_geman_mcclure, kwargs={"scale": 3.0}, id="scale"),
    Case(
        "geman_mcclure",
        ref_geman_mcclure,
        kwargs={"scale": _a(0.5, 1.0, 1.5, 2.0, 4.0)},
        id="array-scale",
    ),
    Case("geman_mcclure", ref_geman_mcclure, _zero_residual, id="zero-residual"),
    # the slope at 1e6 is 1e-17 on a value of 2: below what a FD of the reference resolves
    Case(
        "geman_mcclure",
        ref_geman_mcclure,
        _huge_residual,
        id="huge-residual",
        grad=False,
        half=False,
    ),
    Case("welsch", ref_welsch),
    Case("welsch", ref_welsch, kwargs={"scale": 0.6}, id="scale"),
    Case("welsch", ref_welsch, kwargs={"scale": _a(0.5, 1.0, 1.5, 2.0, 4.0)}, id="array-scale"),
    Case("welsch", ref_welsch, _zero_residual, id="zero-residual"),
    Case("welsch", ref_welsch, _huge_residual, id="huge-residual", half=False),
]

INVALID: dict[str, list[dict[str, Any]]] = {
    "general_robust": [{"alpha": math.nan}, {"scale": 0.0}, {"scale": -1.0}],
    "adaptive_robust": [{"alpha": -0.5}, {"alpha": 4.5}, {"scale": 0.0}, {"scale": -2.0}],
    "charbonnier": [{"scale": 0.0}],
    "pseudo_huber": [{"delta": 0.0}, {"delta": -1.0}],
    "cauchy": [{"scale": 0.0}],
    "geman_mcclure": [{"scale": -1.0}],
    "welsch": [{"scale": 0.0}],
}
