"""Regression losses: elementwise, ``pred`` and ``target`` of equal shape.

``reduction="none"`` returns one value per element; ``"mean"`` averages them (for
Keras-style losses that average the last axis first, the overall mean is the same).
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import absolute, scalar_like
from ._namespace import resolve, resolve_floats
from ._primitives import KERAS_EPSILON, SERIES_RADIUS, bregman_terms, clamp_min, log_ratio
from ._reduction import reduce
from ._registry import loss
from ._types import Array, Reduction
from ._validation import (
    HyperparameterTypeError,
    at_least,
    boolean,
    check_in_range,
    check_same_shape,
    fmt_shape,
    greater_than,
    in_interval,
    is_eager,
    least_value,
)

__all__ = [
    "gaussian_nll",
    "huber",
    "log_cosh",
    "mae",
    "mape",
    "mse",
    "msle",
    "poisson_nll",
    "quantile",
    "smooth_l1",
    "tweedie_deviance",
]


@loss()
def mse(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Mean squared error, :math:`\ell = (p - t)^2`.

    Matches ``torch.nn.functional.mse_loss`` and ``sklearn.metrics.mean_squared_error``.

    Parameters
    ----------
    pred, target
        Arrays of equal shape.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    # operators, not xp.square: NumPy then squares the temporary difference in place
    return reduce((p - t) ** 2, reduction, ns.xp)


@loss()
def mae(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Mean absolute error, :math:`\ell = |p - t|`.

    Matches ``torch.nn.functional.l1_loss`` and ``sklearn.metrics.mean_absolute_error``.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    return reduce(absolute(p - t, ns.xp), reduction, ns.xp)  # gradient 0 at 0, as torch's


def _huber_core(x: Any, delta: Any, xp: Any) -> Any:
    """``0.5 x²`` for ``|x| < delta``, else ``delta (|x| - delta / 2)``.

    As ``m (|x| - m / 2)`` with ``m = min(|x|, delta)``: one expression for both sides, so
    no mask and no second branch are held for the backward pass (two full-size
    temporaries instead of six). The slope is exact on both sides and ``delta`` at the
    joint, whatever a backend's ``minimum`` does with ties.
    """
    a = xp.abs(x)
    m = xp.minimum(a, scalar_like(delta, a, xp) if isinstance(delta, (int, float)) else delta)
    return m * (a - 0.5 * m)


@loss(rules={"delta": greater_than(0.0)})
def huber(
    pred: Array, target: Array, *, delta: float = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Huber loss: quadratic near zero, linear beyond ``delta``.

    .. math:: \ell = \begin{cases} \tfrac12 x^2 & |x| < \delta \\
              \delta(|x| - \tfrac12\delta) & \text{otherwise} \end{cases},\quad x = p - t

    Matches ``torch.nn.functional.huber_loss`` and ``keras.losses.Huber``.

    Parameters
    ----------
    delta
        Where the quadratic turns linear; must be > 0.

    References
    ----------
    Huber, "Robust Estimation of a Location Parameter", Ann. Math. Stat., 1964.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    return reduce(_huber_core(p - t, delta, ns.xp), reduction, ns.xp)


@loss(rules={"beta": at_least(0.0)})
def smooth_l1(
    pred: Array, target: Array, *, beta: float = 1.0, reduction: Reduction = "mean"
) -> Array:
    r"""Smooth L1: ``huber(delta=beta) / beta``; ``beta = 0`` is plain L1 (as in torch).

    .. math:: \ell = \begin{cases} \tfrac{1}{2\beta} x^2 & |x| < \beta \\
              |x| - \tfrac12\beta & \text{otherwise} \end{cases}

    Matches ``torch.nn.functional.smooth_l1_loss``.

    Parameters
    ----------
    beta
        Width of the quadratic zone; must be >= 0.

    References
    ----------
    Girshick, "Fast R-CNN", ICCV 2015.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    x = p - t
    if beta == 0:
        return reduce(absolute(x, ns.xp), reduction, ns.xp)
    return reduce(_huber_core(x, beta, ns.xp) / beta, reduction, ns.xp)


_LOG_COSH_LINEAR = 20.0
"""Past this ``|x|``, ``log cosh x = |x| - log 2`` to the last float64 bit (the rest,
``log1p(e^{-2|x|})``, is below ``4e-18``): ``log_cosh`` continues linearly from there."""


@loss()
def log_cosh(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Log-cosh loss, :math:`\ell = \log\cosh(p - t)`.

    With :math:`a = \min(|x|, 20)`, from :math:`\cosh a - 1 = 2\sinh^2(a/2)`:

    .. math:: \log\cosh x = \operatorname{log1p}\big(2\sinh^2(a/2)\big)
              + \max(|x|, 20) - 20

    One expression for every residual: full relative precision for tiny ones (no
    cancellation against :math:`\log 2`, as in :math:`|x| + \log(1 + e^{-2|x|}) - \log 2`),
    finite for any (``cosh`` itself overflows past :math:`|x| \approx 710` in float64, 89
    in float32; here :math:`\sinh^2 \le \sinh^2 10`), within 3 ulps of the exact value
    and gradient in float32 and float64, and two transcendental functions per element,
    as many as the textbook ``logaddexp(x, -x) - log 2``. ``sinh``, not ``expm1``:
    inductor's ``expm1`` loses float32 precision at small arguments (40% at 1e-7). The
    linear tail is a ``max`` on :math:`|x|`, not :math:`|x| - a`, so a tiny residual's
    gradient never meets the tail's slope 1 (which would round it away); at
    :math:`|x| = 20` the ``min`` and the ``max`` share the slope, 1 in all.

    Matches ``optax.log_cosh`` and ``keras.losses.LogCosh``.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    a = abs(p - t)
    cap = scalar_like(_LOG_COSH_LINEAR, a, xp)
    # one expression, operators where they apply: NumPy reuses every temporary in place
    # (three full-size arrays alive at most, as in the textbook formula)
    out = xp.log1p(2 * xp.sinh(xp.minimum(a, cap) / 2) ** 2) + (xp.maximum(a, cap) - cap)
    return reduce(out, reduction, xp)


@loss()
def msle(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Mean squared logarithmic error.

    .. math:: \ell = \big(\log(1 + \max(p, \epsilon)) - \log(1 + \max(t, \epsilon))\big)^2

    with :math:`\epsilon = 10^{-7}`: inputs below it are clipped, as
    ``keras.losses.MeanSquaredLogarithmicError`` does (which this matches). The log ratio
    is computed as ``log1p((p - t) / (1 + t))``, accurate also when ``p`` is close to ``t``.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    floor = scalar_like(KERAS_EPSILON, p, xp)
    pc, tc = xp.maximum(p, floor), xp.maximum(t, floor)
    # log(1 + p) - log(1 + t) as one log1p: no cancellation between two close logs
    d = xp.log1p((pc - tc) / (1 + tc))
    return reduce(xp.square(d), reduction, xp)


@loss()
def mape(pred: Array, target: Array, *, reduction: Reduction = "mean") -> Array:
    r"""Mean absolute percentage error, in percent.

    .. math:: \ell = 100\,\frac{|t - p|}{\max(|t|, \epsilon)},\quad \epsilon = 10^{-7}

    Matches ``keras.losses.MeanAbsolutePercentageError`` (same epsilon).
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    floor = scalar_like(KERAS_EPSILON, t, xp)
    return reduce(100 * absolute(t - p, xp) / xp.maximum(xp.abs(t), floor), reduction, xp)


@loss(rules={"q": in_interval(0.0, 1.0)})
def quantile(pred: Array, target: Array, *, q: float = 0.5, reduction: Reduction = "mean") -> Array:
    r"""Quantile (pinball) loss for the ``q``-th quantile.

    .. math:: \ell = \max\big(q\,(t - p),\ (q - 1)(t - p)\big)

    Matches ``sklearn.metrics.mean_pinball_loss(alpha=q)``.

    Parameters
    ----------
    q
        The quantile, in [0, 1]; 0.5 gives half the absolute error.

    References
    ----------
    Koenker & Bassett, "Regression Quantiles", Econometrica, 1978.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    d = t - p
    return reduce(xp.where(d >= 0, q * d, (q - 1) * d), reduction, xp)


@loss(rules={"log_input": boolean, "full": boolean, "eps": at_least(0.0)})
def poisson_nll(
    pred: Array,
    target: Array,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    reduction: Reduction = "mean",
) -> Array:
    r"""Negative log-likelihood of a Poisson target.

    .. math:: \ell = e^{p} - t\,p \quad(\text{log_input}),\qquad
              \ell = p - t \log(p + \epsilon) \quad(\text{otherwise})

    With ``full=True`` the Stirling term
    :math:`t\log t - t + \tfrac12\log(2\pi t)` is added where ``t > 1``.
    Matches ``torch.nn.functional.poisson_nll_loss``.

    Parameters
    ----------
    log_input
        ``pred`` is the log of the rate (default) or the rate itself.
    full
        Add the Stirling approximation of ``log(t!)``.
    eps
        Added inside the log when ``log_input=False``; must be >= 0.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    out = xp.exp(p) - t * p if log_input else p - t * xp.log(p + eps)
    if full:
        big = t > 1
        ts = xp.where(big, t, xp.ones_like(t))
        stirling = ts * xp.log(ts) - ts + 0.5 * xp.log(2 * math.pi * ts)
        out = out + xp.where(big, stirling, xp.zeros_like(stirling))
    return reduce(out, reduction, xp)


def _gaussian_var(var: Any, pred: Any, ns: Any) -> Any:
    """``var`` shaped for ``pred`` under torch's rules, else ``ValueError`` naming shapes."""
    xp = ns.xp
    if isinstance(var, (int, float)):
        return var
    v_shape, p_shape = tuple(var.shape), tuple(pred.shape)
    if v_shape == p_shape:
        return ns.float(var)
    if p_shape[:-1] == v_shape:  # one variance per sample (homoscedastic)
        return xp.expand_dims(ns.float(var), axis=-1)
    if p_shape[:-1] == v_shape[:-1] and v_shape[-1:] == (1,):
        return ns.float(var)
    raise ValueError(
        f"var of shape {fmt_shape(v_shape)} does not fit pred of shape {fmt_shape(p_shape)}: "
        "it must equal it, drop its last axis, or have 1 there"
    )


@loss(rules={"full": boolean, "eps": greater_than(0.0)}, scalars=("var",))
def gaussian_nll(
    pred: Array,
    target: Array,
    var: Array,
    *,
    full: bool = False,
    eps: float = 1e-6,
    reduction: Reduction = "mean",
) -> Array:
    r"""Gaussian negative log-likelihood with predicted variance ``var``.

    .. math:: \ell = \tfrac12\Big(\log\max(v, \epsilon) + \frac{(p - t)^2}{\max(v, \epsilon)}\Big)
              \;[+\ \tfrac12\log 2\pi \text{ if full}]

    Matches ``torch.nn.functional.gaussian_nll_loss``: ``var`` has ``pred``'s shape, or
    that shape without its last axis, or with 1 there (one variance per sample); it may
    be a Python float. Negative variances raise ``ValueError`` (on eager arrays).
    Variances below ``eps`` are clamped; there the gradient w.r.t. ``var`` is 0 (torch
    clamps under ``no_grad`` and passes the gradient through unchanged).

    Parameters
    ----------
    var
        Predicted variances, >= 0.
    full
        Add the constant ``0.5 log(2 pi)``.
    eps
        Lower clamp on ``var``; must be > 0.
    """
    ns = resolve(pred, target, var)
    check_same_shape(pred, target, "pred", "target")
    xp, p, t = ns.xp, ns.float(pred), ns.float(target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"var must be >= 0; got {var}")
    else:
        check_in_range(var, 0.0, math.inf, "var", xp)
    v = _gaussian_var(var, p, ns)
    v = max(v, eps) if isinstance(v, float | int) else clamp_min(v, eps, xp)
    log_v = math.log(v) if isinstance(v, float | int) else xp.log(v)
    out = 0.5 * (log_v + xp.square(p - t) / v)
    if full:
        out = out + 0.5 * math.log(2 * math.pi)
    return reduce(out, reduction, xp)


def _tweedie_power(name: str, value: Any) -> None:
    """Rule: 0 or a finite number >= 1 (no Tweedie distribution has a power in (0, 1);
    below 0 the deviance is not used as a loss)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HyperparameterTypeError(f"{name} must be a number; got {value!r}")
    if value == 0:
        return
    at_least(1.0)(name, value)  # "must be finite" for inf and NaN


def _check_tweedie_domain(p: Any, t: Any, power: float, xp: Any) -> None:
    """On eager arrays: pred > 0, and target >= 0 (power < 2) or > 0 (power >= 2)."""
    if power == 0 or not is_eager(p, t) or math.prod(p.shape) == 0:
        return
    if bool(xp.any(p <= 0)):
        raise ValueError(
            f"pred must be > 0 for tweedie_deviance with power={power}; "
            f"got a minimum of {least_value(p)}"
        )
    bad, need = (t < 0, ">= 0") if power < 2 else (t <= 0, "> 0")
    if bool(xp.any(bad)):
        raise ValueError(
            f"target must be {need} for tweedie_deviance with power={power}; "
            f"got a minimum of {least_value(t)}"
        )


_TWEEDIE_TERMS = 14  # series terms: the remainder at |L| max(1, |2 - q|) = 1/4 is < 1e-17


def _tweedie_series(gap: Any, b: float, xp: Any) -> Any:
    """``G(L) = sum_{m >= 2} (1 + b + ... + b^(m-2)) L^m / m!`` by Horner's rule."""
    coeffs = [sum(b**j for j in range(m - 1)) / math.factorial(m) for m in range(2, _TWEEDIE_TERMS)]
    poly = coeffs[-1] * gap + coeffs[-2]
    for c in reversed(coeffs[:-2]):
        poly = poly * gap + c
    return gap * gap * poly


def _tweedie_general(p: Any, t: Any, power: float, xp: Any) -> Any:
    """``2 p^b G(L)`` with ``a = 1 - q``, ``b = 2 - q``, ``L = log(t/p)``, q not 0, 1, 2.

    ``G = (e^L expm1(aL)/a - expm1(L)) / b`` for q <= 1.5 and ``(expm1(bL)/b - expm1(L))
    / a`` above: each divides by the one of ``a``, ``b`` that stays away from 0, so no
    precision is lost as q nears 1 or 2 (sklearn's form loses eps/|1 - q|). Where
    ``|L| max(1, |b|) <= 1/4`` (t close to p) ``G`` is its series, free of the
    cancellation of the L terms. A zero target gives ``2 p^b / b`` (q < 2).
    """
    a, b = 1 - power, 2 - power
    positive = t > 0
    gap = log_ratio(t, p, xp)  # 0 where t == 0
    near = xp.abs(gap) * max(1.0, abs(b)) <= SERIES_RADIUS
    g_near = xp.where(near, gap, xp.zeros_like(gap))
    g_far = xp.where(near, xp.ones_like(gap), gap)
    if power <= 1.5:
        far = (xp.exp(g_far) * xp.expm1(a * g_far) / a - xp.expm1(g_far)) / b
    else:
        far = (xp.expm1(b * g_far) / b - xp.expm1(g_far)) / a
    g = xp.where(near, _tweedie_series(g_near, b, xp), far)
    g = xp.where(positive, g, xp.full_like(g, 1 / b))
    return 2 * p**b * g


@loss(rules={"power": _tweedie_power})
def tweedie_deviance(
    pred: Array, target: Array, *, power: float = 1.5, reduction: Reduction = "mean"
) -> Array:
    r"""Unit deviance of a Tweedie distribution with mean ``pred`` and variance power ``q``.

    .. math:: \ell = 2\Big(\frac{t^{2-q}}{(1-q)(2-q)} - \frac{t\,p^{1-q}}{1-q}
              + \frac{p^{2-q}}{2-q}\Big)

    and its limits: :math:`(t - p)^2` at :math:`q = 0` (normal),
    :math:`2(t \log(t/p) - t + p)` at :math:`q = 1` (Poisson, :math:`0 \log 0 = 0`),
    :math:`2(\log(p/t) + t/p - 1)` at :math:`q = 2` (gamma). The last two are taken
    from the log-ratio (``log1p`` where ``t`` is close to ``p``) and, where it is below
    1/4, by a series (no cancellation), with finite gradients. Other powers are taken as
    :math:`2 p^{2-q} G(\log(t/p))` with :math:`G` written through ``expm1`` so that it
    keeps full precision as :math:`q` nears 1 or 2 and as :math:`t` nears :math:`p`
    (the formula as written, used by scikit-learn, cancels to about
    :math:`\epsilon / |1 - q|` of its size: 3e-4 relative in float32 at :math:`q = 1.2`).
    Matches
    ``sklearn.metrics.mean_tweedie_deviance(target, pred, power=q)`` ("mean").

    Parameters
    ----------
    pred, target
        Arrays of equal shape: the predicted mean and the observation. For
        :math:`q \ge 1`, ``pred`` must be > 0 and ``target`` >= 0 (> 0 for
        :math:`q \ge 2`), checked on eager arrays (``ValueError``); at :math:`q = 0`
        any real values.
    power
        The variance power :math:`q`: 0 or >= 1 (1 < q < 2 is compound Poisson–gamma,
        3 inverse Gaussian); no Tweedie distribution has :math:`0 < q < 1`.
    reduction
        ``"mean"`` (default), ``"sum"`` or ``"none"`` (one value per element).

    References
    ----------
    Jørgensen, "The Theory of Dispersion Models", Chapman & Hall, 1997, ch. 4.
    """
    ns, (p, t) = resolve_floats(pred, target, names=("pred", "target"))
    xp = ns.xp
    _check_tweedie_domain(p, t, power, xp)
    if power == 0:
        out = xp.square(t - p)
    elif power == 1:  # 2 × the generalized KL term of t from p
        out = 2 * bregman_terms(p, t, log_ratio(t, p, xp), xp)
    elif power == 2:  # the same term of 1 from t/p: log(p/t) + t/p - 1
        out = 2 * bregman_terms(t / p, xp.ones_like(p), log_ratio(p, t, xp), xp)
    else:
        out = _tweedie_general(p, t, power, xp)
    return reduce(out, reduction, xp)
