"""Robust losses: Barron's general and adaptive loss and its named special cases.

All are elementwise in the residual ``x = pred - target``. ``alpha`` and ``scale`` may be
Python floats or arrays that broadcast to the residual's shape (so they can be learned);
the result of ``reduction="none"`` has the residual's shape.

References
----------
Barron, "A General and Adaptive Robust Loss Function", CVPR 2019 (arXiv:1701.03077).
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

import numpy as np

from ._compat import scalar_like
from ._namespace import Namespace, resolve
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    check_broadcasts,
    check_same_shape,
    check_values,
    greater_than,
    in_interval,
    is_eager,
    value_span,
)

__all__ = [
    "adaptive_robust",
    "cauchy",
    "charbonnier",
    "geman_mcclure",
    "general_robust",
    "pseudo_huber",
    "welsch",
]

_LOG_LARGE = 60.0
"""For alpha > 2, where ``rho + |alpha-2|/alpha`` passes e^60 (the ``-1`` of ``expm1`` below
the last bit), it is one ``exp`` of its log: exact while rho fits the dtype (``inf``
beyond, as the value is), where an ``expm1`` times a factor below 1 would overflow first."""
_NEAR_TWO = 1.95
"""alpha below this uses the form exact through 0, at or above it the one exact through 2."""
_SERIES = 1e-2
"""|u| below which exprel(u) = expm1(u)/u is evaluated by its Taylor series (to u^5)."""
_EXPREL_COEFFS = tuple(1.0 / math.factorial(k + 1) for k in range(6))


# --- parameters ---------------------------------------------------------------------------


def _param(value: Any, name: str, shape: tuple[Any, ...], ns: Namespace) -> Any:
    """``value`` (a Python number or an array broadcasting to ``shape``) in the float dtype."""
    if isinstance(value, (int, float)):
        return float(value)
    check_broadcasts(name, value, shape, "the residual")
    return ns.float(value)


def _check_eager(value: Any, name: str, lo: float, hi: float, xp: Any, *, open_lo: bool) -> None:
    """On eager arrays, ``ValueError`` unless every value lies in the interval (NaN fails)."""
    interval = f"({lo}, {hi}]" if open_lo else f"[{lo}, {hi}]"

    def outside(v: Any) -> Any:
        low = v <= lo if open_lo else v < lo
        return xp.logical_or(xp.logical_or(low, v > hi), xp.isnan(v))

    check_values(
        value, xp, outside, lambda: f"{name} must lie in {interval}; {value_span(value, xp)}"
    )


def _residual(pred: Any, target: Any, params: dict[str, Any]) -> tuple[Namespace, Any, dict]:
    """Resolve the inputs; the residual and the parameters in the float dtype."""
    arrays_ = [v for v in params.values() if not isinstance(v, (int, float))]
    ns = resolve(pred, target, *arrays_)
    check_same_shape(pred, target, "pred", "target")
    shape = tuple(pred.shape)
    out = {k: _param(v, k, shape, ns) for k, v in params.items()}
    return ns, ns.float(pred) - ns.float(target), out


def _barron_inputs(
    pred: Any, target: Any, alpha: Any, scale: Any, alpha_range: tuple[float, float]
) -> tuple[Namespace, Any, Any, Any]:
    """The namespace, ``alpha`` and ``scale`` (checked on eager arrays) and ``(x / c)²``,
    in the working dtype (float32 for half precision: the log/exp compositions need it)."""
    ns, x, p = _residual(pred, target, {"alpha": alpha, "scale": scale})
    _check_eager(p["scale"], "scale", 0.0, math.inf, ns.xp, open_lo=True)
    _check_eager(p["alpha"], "alpha", *alpha_range, ns.xp, open_lo=False)
    a, c = ns.widen(p["alpha"]), ns.widen(p["scale"])
    return ns, a, c, _squared_scaled(ns.widen(x), c)


def _squared_scaled(x: Any, scale: Any) -> Any:
    scaled = x / scale
    return scaled * scaled


# --- rho ----------------------------------------------------------------------------------


def _exprel(u: Any, xp: Any) -> Any:
    """``expm1(u) / u`` (1 at u = 0): Taylor series for |u| < 0.01, finite gradient everywhere."""
    near = xp.abs(u) < _SERIES
    far_u = xp.where(near, xp.ones_like(u), u)
    far = xp.expm1(far_u) / far_u
    un = xp.where(near, u, xp.zeros_like(u))
    series = xp.full_like(u, _EXPREL_COEFFS[-1])
    for c in reversed(_EXPREL_COEFFS[:-1]):
        series = series * un + c
    return xp.where(near, series, far)


def _rho_small(z: Any, a: Any, xp: Any) -> Any:
    """rho for finite alpha < 1.95: ``(b L / 2) exprel(alpha L / 2)``, exact through alpha = 0.

    With b = 2 - alpha and L = log1p(z / b) this equals (b / alpha) expm1(alpha L / 2), the
    paper's eq. 1, without dividing by alpha.
    """
    b = 2 - a
    log_term = xp.log1p(z / b)
    return (b * log_term / 2) * _exprel(a * log_term / 2, xp)


def _rho_large(z: Any, a: Any, xp: Any) -> Any:
    """rho for finite alpha >= 1.95: ``z / alpha + ((b + z) / alpha) expm1(v)``, exact through 2.

    With d = alpha - 2, b = |d| and v = (d / 2) log1p(z / b): no term is large near alpha = 2
    (v -> 0), so neither the value nor its gradient cancels. At alpha = 2 exactly, v = 0
    and rho = z / 2 (b is replaced by 1 inside the log so nothing divides by zero). For
    alpha > 2, past e^60 (``_LOG_LARGE``), rho = exp(v + log((b + z) / alpha)) - b / alpha.
    """
    d = a - 2
    b = xp.abs(d)
    b_safe = xp.where(b == 0, xp.ones_like(b), b)
    v = d * xp.log1p(z / b_safe) / 2
    above = d > 0
    a_above = xp.where(above, a, xp.full_like(a, 4.0))
    # rho + b / alpha = ((b + z) / alpha) e^v <= e^60  <=>  v <= 60 - log((b + z) / alpha)
    log_factor = xp.log1p((z - 2) / a_above)  # log((b + z) / alpha) where alpha > 2
    large = xp.logical_and(above, v > _LOG_LARGE - log_factor)
    small_v = xp.where(large, xp.zeros_like(v), v)
    rho = z / a + (b_safe + z) / a * xp.expm1(small_v)  # (b + z) / alpha < 1 + z: no overflow
    big = xp.exp(xp.where(large, v + log_factor, xp.zeros_like(v))) - b_safe / a
    return xp.where(large, big, rho)


def _rho_pos_inf(z: Any, xp: Any) -> Any:
    return xp.expm1(z / 2)


def _rho_neg_inf(z: Any, xp: Any) -> Any:
    return -xp.expm1(-z / 2)


def _rho_fixed(z: Any, alpha: float, xp: Any) -> Any:
    """rho for a Python-float alpha (nothing to differentiate in alpha): one formula.

    Away from alpha = 0 the paper's form (b / alpha) expm1((alpha / 2) log1p(z / b)) is exact
    to float precision (expm1 and log1p leave nothing to cancel) also next to alpha = 2;
    only its alpha-gradient would cancel there, which a float alpha does not need.
    """
    if alpha == -math.inf:
        return _rho_neg_inf(z, xp)
    if alpha == math.inf:
        return _rho_pos_inf(z, xp)
    if alpha == 0:
        return xp.log1p(z / 2)
    if alpha == 2:
        return z / 2
    b = abs(alpha - 2)
    log_term = xp.log1p(z / b)
    if abs(alpha) < 1e-3:  # b / alpha would overflow for subnormal alpha
        return (b / 2) * log_term * _exprel(alpha / 2 * log_term, xp)
    u = alpha / 2 * log_term
    if alpha < 2:
        return (b / alpha) * xp.expm1(u)
    large = u > _LOG_LARGE - math.log(b / alpha)  # rho + b / alpha > e^60
    small_u = xp.where(large, xp.zeros_like(u), u)
    big = xp.exp(xp.where(large, u + math.log(b / alpha), xp.zeros_like(u))) - b / alpha
    return xp.where(large, big, (b / alpha) * xp.expm1(small_u))


def _rho(z: Any, alpha: Any, xp: Any, *, infinite: bool = True) -> Any:
    """rho(x, alpha, c) from z = (x / c)^2, for a float or an array ``alpha``.

    An array alpha computes every branch on harmless inputs and selects ("double where":
    no NaN reaches the gradients). ``infinite=False`` promises finite alphas
    (adaptive_robust) and skips those branches.
    """
    if isinstance(alpha, float):
        return _rho_fixed(z, alpha, xp)
    if not infinite:
        small = alpha < _NEAR_TWO
        a_small = xp.where(small, alpha, xp.zeros_like(alpha))
        a_large = xp.where(small, xp.full_like(alpha, 3.0), alpha)
        return xp.where(small, _rho_small(z, a_small, xp), _rho_large(z, a_large, xp))
    neg, pos = alpha == -math.inf, alpha == math.inf
    small = xp.logical_and(alpha < _NEAR_TWO, xp.logical_not(neg))
    large = xp.logical_and(alpha >= _NEAR_TWO, xp.logical_not(pos))
    a_small = xp.where(small, alpha, xp.zeros_like(alpha))
    a_large = xp.where(large, alpha, xp.full_like(alpha, 3.0))
    out = xp.where(small, _rho_small(z, a_small, xp), _rho_large(z, a_large, xp))
    z_pos = xp.where(pos, z, xp.zeros_like(z))  # e^(z/2) overflows elsewhere: no NaN grad
    out = xp.where(pos, _rho_pos_inf(z_pos, xp), out)
    return xp.where(neg, _rho_neg_inf(z, xp), out)


# --- log Z(alpha) ---------------------------------------------------------------------------


def _logz_table() -> dict[str, Any]:
    """The log Z table, loaded when this module is imported (about 10 ms): under
    ``torch.compile`` Dynamo cannot trace the loader (``importlib.resources``), so a loss
    compiled before any eager call must find the table loaded; a module constant it
    traces as a constant."""
    return _LOGZ_TABLE


def _load_logz_table() -> dict[str, Any]:
    """The table written by ``scripts/make_robust_logz.py``, as per-cell polynomials.

    Each cell's quintic Hermite (end values, slopes and curvatures in the warped coordinate)
    becomes the six monomial coefficients of a polynomial in the cell's local coordinate
    s in [0, 1], so that evaluating it is one ``take`` and a Horner scheme.
    """
    with (
        resources.files("anyloss").joinpath("_robust_logz.npz").open("rb") as f,
        np.load(f, allow_pickle=False) as data,
    ):
        raw = {k: data[k] for k in data.files}
    n1, n = int(raw["n1"]), raw["value"].shape[0] - 1
    h = np.where(np.arange(n) < n1, raw["h1"], raw["h2"])
    v0, v1 = raw["value"][:-1], raw["value"][1:]
    a1 = h * raw["slope"][:-1]
    a2 = h * h * raw["curv_lo"] / 2
    rest = v1 - v0 - a1 - a2  # p(1), p'(1), p''(1) fix a3, a4, a5
    slope = h * raw["slope"][1:] - a1 - 2 * a2
    curv = h * h * raw["curv_hi"] - 2 * a2
    coeffs = np.stack(
        [
            v0,
            a1,
            a2,
            10 * rest - 4 * slope + curv / 2,
            -15 * rest + 7 * slope - curv,
            6 * rest - 3 * slope + curv / 2,
        ],
        axis=1,
    )
    table: dict[str, Any] = {
        k: float(raw[k]) for k in ("c2", "delta2", "c0", "delta0", "c1", "t0", "t2", "h1", "h2")
    }
    table.update(n1=n1, cells=n, coeffs=np.ascontiguousarray(coeffs))
    return table


_LOGZ_TABLE = _load_logz_table()


_COEFFS_CACHE: dict[tuple[int, Any, Any], Any] = {}  # keyed by id(xp): see _index_dtype


def _coeffs_on(xp: Any, dtype: Any, device: Any) -> Any:
    """The coefficient table as an array of ``xp``, kept when it is a concrete array (so a
    GPU gets it copied once); never kept while tracing (jax.jit) or lazy (dask)."""
    try:
        key = (id(xp), dtype, device)
        return _COEFFS_CACHE[key]
    except TypeError:  # an unhashable dtype or device
        return xp.asarray(_logz_table()["coeffs"], dtype=dtype, device=device)
    except KeyError:
        pass
    coeffs = xp.asarray(_logz_table()["coeffs"], dtype=dtype, device=device)
    if is_eager(coeffs) and len(_COEFFS_CACHE) < 32:
        _COEFFS_CACHE[key] = coeffs
    return coeffs


def _log_z(alpha: Any, ns: Namespace, dtype: Any) -> Any:
    """log Z(alpha) for alpha in [0, 4]: the table's quintic Hermite plus the terms at 2.

    log Z(2 + d) = g(alpha) + d log|d| / 4 + (sign(d)/2 - 1/4) d^2 (log|d| / 2 - 3/4): the
    two explicit terms carry the non-smoothness at alpha = 2 (the slope is -inf there;
    at alpha = 2 exactly the gradient returned is g'(2), finite); g is interpolated in the
    warped coordinate t(alpha) = c2 asinh(d / delta2) + 3 c0 (alpha + delta0)^(1/3) + c1 alpha,
    on knots uniform in t, with floor / take / arithmetic only (differentiable in alpha,
    traceable by jax.jit, lazy on dask).
    """
    xp, tb = ns.xp, _logz_table()
    a = xp.where(alpha < 0, xp.zeros_like(alpha), alpha)  # out-of-range values (lazy inputs)
    a = xp.where(a > 4, xp.full_like(a, 4.0), a)  # are clamped; eager ones raise earlier
    d = a - 2
    t = (
        tb["c2"] * xp.asinh(d / tb["delta2"])
        + 3 * tb["c0"] * xp.pow(a + tb["delta0"], 1 / 3)
        + tb["c1"] * a
    )
    pos = xp.where(t < tb["t2"], (t - tb["t0"]) / tb["h1"], tb["n1"] + (t - tb["t2"]) / tb["h2"])
    cell = xp.clip(xp.floor(pos), scalar_like(0.0, pos, xp), scalar_like(tb["cells"] - 1, pos, xp))
    s = pos - cell
    coeffs = _coeffs_on(xp, dtype, ns.device)
    index_dtype = xp.__array_namespace_info__().default_dtypes(device=ns.device)["indexing"]
    rows = xp.take(coeffs, xp.reshape(xp.astype(cell, index_dtype), (-1,)), axis=0)
    s_flat, g = xp.reshape(s, (-1,)), rows[:, 5]
    for j in (4, 3, 2, 1, 0):
        g = g * s_flat + rows[:, j]
    g = xp.reshape(g, tuple(s.shape))
    at_two = d == 0
    ld = xp.log(xp.abs(xp.where(at_two, xp.ones_like(d), d)))
    c = xp.where(d > 0, xp.full_like(d, 0.25), xp.full_like(d, -0.75))
    singular = d * (ld / 4 + c * d * (ld / 2 - 0.75))
    return g + xp.where(at_two, xp.zeros_like(d), singular)


# --- public losses ------------------------------------------------------------------------


@loss(
    rules={
        "alpha": in_interval(-math.inf, math.inf, finite=False, shaped=True),
        "scale": greater_than(0.0, shaped=True),
    },
)
def general_robust(
    pred: Array, target: Array, *, alpha: Any = 1.0, scale: Any = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Barron's general robust loss :math:`\rho(x, \alpha, c)`, ``x = pred - target``.

    .. math:: \rho(x, \alpha, c) = \frac{|\alpha - 2|}{\alpha}
              \left(\left(\frac{(x/c)^2}{|\alpha - 2|} + 1\right)^{\alpha/2} - 1\right)

    with its limits: :math:`\tfrac12 (x/c)^2` at :math:`\alpha = 2`,
    :math:`\log(\tfrac12 (x/c)^2 + 1)` at 0, :math:`1 - e^{-(x/c)^2/2}` at :math:`-\infty`
    and :math:`e^{(x/c)^2/2} - 1` at :math:`+\infty`. It is evaluated as
    :math:`(bL/2)\,\mathrm{exprel}(\alpha L/2)` with :math:`b = |\alpha-2|,
    L = \log(1 + (x/c)^2/b)` below :math:`\alpha = 1.95` and as
    :math:`(z + (b + z)\,\mathrm{expm1}(\tfrac{\alpha-2}{2}L))/\alpha` above, so value and
    gradients (w.r.t. ``x``, ``alpha`` and ``scale``) are exact to float precision through
    :math:`\alpha = 0` and :math:`\alpha = 2` (the reference code clamps alpha within 1e-7
    of them). For :math:`\alpha > 2`, where :math:`\rho` grows like :math:`|x|^\alpha`
    (exponentially at :math:`+\infty`), a large :math:`\rho` is one ``exp`` of its log,
    exact while it fits the dtype and ``inf`` beyond (as the true value is there). At
    :math:`\alpha = 2` exactly the true :math:`\partial\rho/\partial\alpha` is :math:`+\infty`
    (:math:`\rho \approx z/2 + \tfrac{z}{4}(\alpha-2)\log\tfrac{z}{|\alpha-2|}`); a finite
    value is returned there.

    Matches the reference code's ``general.lossfun`` away from alpha = 0 and 2.

    Parameters
    ----------
    pred, target
        Arrays of equal shape.
    alpha
        Shape parameter in [-inf, +inf]: a float or an array broadcasting to the residual.
        -inf Welsch, -2 Geman-McClure, 0 Cauchy, 1 Charbonnier, 2 L2.
    scale
        Scale c > 0 (the width of the quadratic bowl): a float or an array broadcasting to
        the residual.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (the residual's shape).

    References
    ----------
    Barron, "A General and Adaptive Robust Loss Function", CVPR 2019 (arXiv:1701.03077).
    """
    ns, a, _, z = _barron_inputs(pred, target, alpha, scale, (-math.inf, math.inf))
    xp = ns.xp
    if isinstance(a, float) and abs(a) > float(xp.finfo(ns.wide_dtype).max):
        a = math.copysign(math.inf, a)  # as the same alpha given as an array would round
    return reduce(ns.narrow(_rho(z, a, xp)), reduction, xp)


@loss(rules={"alpha": in_interval(0.0, 4.0, shaped=True), "scale": greater_than(0.0, shaped=True)})
def adaptive_robust(
    pred: Array, target: Array, *, alpha: Any, scale: Any, reduction: Reduction = "mean"
) -> Array:
    r"""Negative log-likelihood of Barron's distribution, for learning ``alpha`` and ``scale``.

    .. math:: -\log p(x \mid \alpha, c) = \rho(x, \alpha, c) + \log c + \log Z(\alpha),
              \qquad Z(\alpha) = \int_{-\infty}^{\infty} e^{-\rho(x, \alpha, 1)}\,dx

    for :math:`\alpha \in [0, 4]` (``ValueError`` outside, on eager arrays), ``x = pred -
    target``. :math:`\rho` is :func:`general_robust`. :math:`\log Z` comes from a table that
    ``scripts/make_robust_logz.py`` computes by numerical integration (a quintic Hermite in a
    warped alpha, with the non-smooth terms at alpha = 2 added analytically); it is
    accurate to about 1e-10 and reproduces :math:`Z(0) = \pi\sqrt2` and
    :math:`Z(2) = \sqrt{2\pi}`. Differentiable in ``alpha`` (torch autograd, ``jax.grad``).

    Matches the reference code's ``distribution.nllfun``. For a learnable torch module
    see ``anyloss.torch.AdaptiveLossFunction``.

    Parameters
    ----------
    pred, target
        Arrays of equal shape.
    alpha
        Shape parameter in [0, 4]: a float or an array broadcasting to the residual.
    scale
        Scale c > 0: a float or an array broadcasting to the residual.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (the residual's shape).

    References
    ----------
    Barron, "A General and Adaptive Robust Loss Function", CVPR 2019 (arXiv:1701.03077).
    """
    ns, a, c, z = _barron_inputs(pred, target, alpha, scale, (0.0, 4.0))
    xp, work = ns.xp, ns.wide_dtype
    a_arr = xp.asarray(a, dtype=work, device=ns.device) if isinstance(a, float) else a
    log_c = math.log(c) if isinstance(c, float) else xp.log(c)
    nll = _rho(z, a, xp, infinite=False) + log_c + _log_z(a_arr, ns, work)
    return reduce(ns.narrow(nll), reduction, xp)


def _scaled_pair(
    pred: Any, target: Any, scale: Any, name: str = "scale"
) -> tuple[Namespace, Any, Any]:
    """Namespace, ``(x / scale)^2`` and ``scale`` (a float, or an array in the float dtype)."""
    ns, x, p = _residual(pred, target, {name: scale})
    _check_eager(p[name], name, 0.0, math.inf, ns.xp, open_lo=True)
    return ns, _squared_scaled(x, p[name]), p[name]


_SCALE_RULE = {"scale": greater_than(0.0, shaped=True)}


@loss(rules=_SCALE_RULE)
def charbonnier(
    pred: Array, target: Array, *, scale: Any = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Charbonnier loss, :math:`\rho` at :math:`\alpha = 1`: :math:`\sqrt{(x/c)^2 + 1} - 1`.

    Computed as :math:`z / (\sqrt{z + 1} + 1)`, :math:`z = (x/c)^2`, which has no
    cancellation for small residuals. ``scale`` is a float > 0 or an array broadcasting to
    the residual.

    References
    ----------
    Charbonnier, Blanc-Féraud, Aubert & Barlaud, "Two deterministic half-quadratic
    regularization algorithms for computed imaging", ICIP 1994; Barron, CVPR 2019.
    """
    ns, z, _ = _scaled_pair(pred, target, scale)
    return reduce(z / (ns.xp.sqrt(z + 1) + 1), reduction, ns.xp)


@loss(rules={"delta": greater_than(0.0, shaped=True)})
def pseudo_huber(
    pred: Array, target: Array, *, delta: Any = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Pseudo-Huber loss, :math:`\delta^2 (\sqrt{1 + (x/\delta)^2} - 1)`.

    Equals ``delta**2 * general_robust(alpha=1, scale=delta)``; computed as
    :math:`\delta^2 z / (\sqrt{1 + z} + 1)`, :math:`z = (x/\delta)^2`. Matches
    ``scipy.special.pseudo_huber(delta, x)``.

    References
    ----------
    Charbonnier et al., ICIP 1994; Hartley & Zisserman, "Multiple View Geometry in
    Computer Vision", 2nd ed., Cambridge University Press, 2004 (appendix 6.8).
    """
    ns, z, d = _scaled_pair(pred, target, delta, "delta")
    return reduce(d * d * z / (ns.xp.sqrt(z + 1) + 1), reduction, ns.xp)


@loss(rules=_SCALE_RULE)
def cauchy(pred: Array, target: Array, *, scale: Any = 1.0, reduction: Reduction = "mean") -> Array:
    r"""Cauchy (Lorentzian) loss, :math:`\rho` at :math:`\alpha = 0`.

    .. math:: \ell = \log(\tfrac12 (x/c)^2 + 1)

    References
    ----------
    Black & Anandan, "The robust estimation of multiple motions", CVIU 1996; Barron, CVPR 2019.
    """
    ns, z, _ = _scaled_pair(pred, target, scale)
    return reduce(ns.xp.log1p(z / 2), reduction, ns.xp)


@loss(rules=_SCALE_RULE)
def geman_mcclure(
    pred: Array, target: Array, *, scale: Any = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Geman-McClure loss, :math:`\rho` at :math:`\alpha = -2`: :math:`2 (x/c)^2 / ((x/c)^2 + 4)`.

    References
    ----------
    Geman & McClure, "Bayesian image analysis: an application to single photon emission
    tomography", Proc. American Statistical Association, 1985; Barron, CVPR 2019.
    """
    ns, z, _ = _scaled_pair(pred, target, scale)
    return reduce(2 * z / (z + 4), reduction, ns.xp)


@loss(rules=_SCALE_RULE)
def welsch(pred: Array, target: Array, *, scale: Any = 1.0, reduction: Reduction = "mean") -> Array:
    r"""Welsch (Leclerc) loss, :math:`\rho` at :math:`\alpha = -\infty`: :math:`1 - e^{-(x/c)^2/2}`.

    References
    ----------
    Dennis & Welsch, "Techniques for nonlinear least squares and robust regression",
    Communications in Statistics - Simulation and Computation, 1978; Barron, CVPR 2019.
    """
    ns, z, _ = _scaled_pair(pred, target, scale)
    return reduce(-ns.xp.expm1(-z / 2), reduction, ns.xp)
