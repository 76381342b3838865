"""Divergences (kl_div, js_div, generalized_kl_div, distillation_kl): float64 NumPy
references from the formulas, natives from torch.nn.functional, SciPy and Optax."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Domain, Native, reduce_ref, reduced, simplex, torch_tensor

# --- independent float64 references ---------------------------------------------------


def _kl_terms(
    p: Any, t: Any, axis: int, log_pred: bool, log_target: bool, dtype: Any
) -> tuple[Any, Any, Any]:
    """The measures ``p``, ``t`` (from logs where flagged), class axis last, in ``dtype``,
    and ``t (log t - log p)`` with 0 where ``t == 0``."""
    p, t = (np.moveaxis(a, axis, -1).astype(dtype) for a in (p, t))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_p, log_t = (p if log_pred else np.log(p)), (t if log_target else np.log(t))
        pp, tt = (np.exp(p) if log_pred else p), (np.exp(t) if log_target else t)
        return pp, tt, np.where(tt == 0, 0.0, tt * (log_t - log_p))


def ref_kl_div(
    p: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    log_pred: bool = False,
    log_target: bool = False,
) -> Any:
    _, _, terms = _kl_terms(p, t, axis, log_pred, log_target, np.float64)
    return reduce_ref(terms.sum(-1), reduction)


def ref_js_div(p: Any, q: Any, reduction: str = "mean", axis: int = -1) -> Any:
    p, q = np.moveaxis(p, axis, -1), np.moveaxis(q, axis, -1)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_pm = np.where(p == 0, 0.0, p * np.log(p / m)).sum(-1)
        kl_qm = np.where(q == 0, 0.0, q * np.log(q / m)).sum(-1)
    return reduce_ref((kl_pm + kl_qm) / 2, reduction)


def _torch_kl_div() -> Native:
    """``F.kl_div(log p, t)``: "batchmean" for "mean", the "none" output summed per row."""

    def fn(
        p: Any, t: Any, reduction: str = "mean", log_pred: bool = False, log_target: bool = False
    ) -> Any:
        import torch.nn.functional as F

        log_p = torch_tensor(p if log_pred else np.log(p))
        r = {"mean": "batchmean", "sum": "sum", "none": "none"}[reduction]
        out = F.kl_div(log_p, torch_tensor(t), reduction=r, log_target=log_target)
        return out.sum(-1) if reduction == "none" else out

    return Native("torch.nn.functional.kl_div", fn, ("torch",))


def _scipy_js() -> Native:
    def fn(p: Any, q: Any, reduction: str = "mean", axis: int = -1) -> Any:
        from scipy.spatial.distance import jensenshannon

        return reduced(jensenshannon(p, q, axis=axis) ** 2, reduction)

    return Native("scipy.spatial.distance.jensenshannon**2", fn, ("scipy",))


def _kl_zeros(rng: np.random.Generator) -> tuple[Any, ...]:
    """Zero target probabilities, some where pred is 0 too, some where pred is positive."""
    p, t = simplex(rng, (6, 5)), simplex(rng, (6, 5))
    t[:, 0] = 0.0
    p[:3, 0] = 0.0
    t[2, 4] = 0.0
    return p / p.sum(-1, keepdims=True), t / t.sum(-1, keepdims=True)


def _js_zeros(rng: np.random.Generator) -> tuple[Any, ...]:
    p, q = _kl_zeros(rng)
    q[4, 2] = 0.0
    return p, q / q.sum(-1, keepdims=True)


def _logs(make: Any, log_p: bool = True, log_t: bool = True) -> Any:
    def logs(rng: np.random.Generator) -> tuple[Any, ...]:
        p, t = make(rng)
        with np.errstate(divide="ignore"):
            return (np.log(p) if log_p else p), (np.log(t) if log_t else t)

    return logs


_TORCH_KL = _torch_kl_div()

KL_DIV = [
    Case("kl_div", ref_kl_div, native=(_TORCH_KL,)),
    Case(
        "kl_div",
        ref_kl_div,
        _logs(lambda r: (simplex(r, (6, 5)), simplex(r, (6, 5)))),
        {"log_pred": True, "log_target": True},
        id="logs",
        native=(_TORCH_KL,),
    ),
    Case(
        "kl_div",
        ref_kl_div,
        _logs(lambda r: (simplex(r, (6, 5)), simplex(r, (6, 5))), log_t=False),
        {"log_pred": True},
        id="log-pred",
        native=(_TORCH_KL,),
    ),
    Case(
        "kl_div",
        ref_kl_div,
        lambda r: (simplex(r, (2, 4, 3), axis=1), simplex(r, (2, 4, 3), axis=1)),
        {"axis": 1},
        id="axis1",
    ),
    # 0·log 0 = 0: zero targets, also where pred is 0 (torch gives NaN there)
    Case("kl_div", ref_kl_div, _kl_zeros, id="zero-target"),
    Case(
        "kl_div",
        ref_kl_div,
        _logs(_kl_zeros, log_p=False),
        {"log_target": True},
        id="zero-target-log-target",
    ),
    Case(
        "kl_div",
        ref_kl_div,
        _logs(_kl_zeros),
        {"log_pred": True, "log_target": True},
        id="zero-target-logs",
        grad=False,
    ),
]

JS_DIV = [
    Case("js_div", ref_js_div, native=(_scipy_js(),)),
    Case(
        "js_div",
        ref_js_div,
        lambda r: (simplex(r, (2, 4, 3), axis=1), simplex(r, (2, 4, 3), axis=1)),
        {"axis": 1},
        id="axis1",
        native=(_scipy_js(),),
    ),
    # p = t: the minimum, value 0 and gradient 0 (finite differences there are all noise)
    Case("js_div", ref_js_div, lambda r: (simplex(r, (6, 5)),) * 2, id="equal", grad=False),
    # a zero probability: finite value and gradient (d/dp at p = 0 is -inf one-sided)
    Case("js_div", ref_js_div, _js_zeros, id="zeros", grad=False, native=(_scipy_js(),)),
]


# --- generalized and distillation KL ----------------------------------------------------


def ref_generalized_kl_div(
    p: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    log_pred: bool = False,
    log_target: bool = False,
) -> Any:
    # long double: the direct form cancels for nearly equal measures (case "near")
    pp, tt, kl = _kl_terms(p, t, axis, log_pred, log_target, np.longdouble)
    return reduce_ref((kl - tt + pp).sum(-1), reduction)


def _log_softmax(x: Any) -> Any:
    m = x.max(-1, keepdims=True)
    return (x - m) - np.log(np.exp(x - m).sum(-1, keepdims=True))


def ref_distillation_kl(
    s: Any, t: Any, reduction: str = "mean", temperature: float = 1.0, axis: int = -1
) -> Any:
    # long double: Σ q (log q - log p) cancels for nearly equal logits (case "near")
    s, t = (np.moveaxis(a, axis, -1).astype(np.longdouble) for a in (s, t))
    log_p, log_q = _log_softmax(s / temperature), _log_softmax(t / temperature)
    q = np.exp(log_q)
    return reduce_ref(temperature**2 * np.sum(q * (log_q - log_p), axis=-1), reduction)


# --- native references -------------------------------------------------------------------


def _reduced(out: Any, reduction: str) -> Any:
    out = np.asarray(out, dtype=np.float64)
    return out if reduction == "none" else (out.sum() if reduction == "sum" else out.mean())


def _optax_generalized_kl() -> Native:
    """``optax.generalized_kl_divergence(log_predictions, targets)``: pred as logs."""

    def fn(
        p: Any,
        t: Any,
        reduction: str = "mean",
        axis: int = -1,
        log_pred: bool = False,
        log_target: bool = False,
    ) -> Any:
        import jax

        jax.config.update("jax_enable_x64", True)
        import optax

        log_p = p if log_pred else np.log(p)
        targets = np.exp(t) if log_target else t
        return _reduced(optax.generalized_kl_divergence(log_p, targets, axis=axis), reduction)

    return Native("optax.generalized_kl_divergence", fn, ("optax", "jax"))


def _torch_distillation(
    reductions: tuple[str, ...] = ("mean", "sum", "none"), tolerance: float | None = None
) -> Native:
    """``T² · F.kl_div(log_softmax(s/T), log_softmax(t/T), log_target=True)`` ("batchmean"
    for "mean", the "none" output summed over the class axis). "batchmean" divides by the
    size of dim 0 only: the mean over samples on 2-D inputs alone."""

    def fn(
        s: Any, t: Any, reduction: str = "mean", temperature: float = 1.0, axis: int = -1
    ) -> Any:
        import torch.nn.functional as F

        log_p = F.log_softmax(torch_tensor(s) / temperature, dim=axis)
        log_q = F.log_softmax(torch_tensor(t) / temperature, dim=axis)
        r = {"mean": "batchmean", "sum": "sum", "none": "none"}[reduction]
        out = temperature**2 * F.kl_div(log_p, log_q, reduction=r, log_target=True)
        return out.sum(axis) if reduction == "none" else out

    why = "" if tolerance is None else _TORCH_NEAR_WHY
    return Native(
        "torch.nn.functional.kl_div",
        fn,
        ("torch",),
        reductions=reductions,
        tolerance=tolerance,
        why=why,
    )


_TORCH_NEAR_WHY = (
    "torch sums q (log q - log p) directly: each log-probability rounds at 2e-16 log C, "
    "1e-9 of a divergence of 1e-7 (measured 1.4e-9 against a long-double reference)"
)


# --- inputs ---------------------------------------------------------------------------------


def _measures(shape: tuple[int, ...]) -> Any:
    return lambda r: (r.uniform(0.05, 2.0, shape), r.uniform(0.05, 2.0, shape))


def _zeros(rng: np.random.Generator) -> tuple[Any, ...]:
    """Zero target entries, some where pred is 0 too (there the term is p = 0)."""
    p, t = _measures((6, 5))(rng)
    t[:, 0] = 0.0
    p[:3, 0] = 0.0
    t[2, 4] = 0.0
    return p, t


def _logs(make: Any, log_p: bool = True, log_t: bool = True) -> Any:
    def logs(rng: np.random.Generator) -> tuple[Any, ...]:
        p, t = make(rng)
        with np.errstate(divide="ignore"):
            return (np.log(p) if log_p else p), (np.log(t) if log_t else t)

    return logs


def _near(rng: np.random.Generator) -> tuple[Any, ...]:
    t = rng.uniform(0.05, 2.0, (6, 5))
    return t * (1 + 1e-3 * rng.standard_normal((6, 5))), t


def _near_logits(rng: np.random.Generator) -> tuple[Any, ...]:
    t = rng.standard_normal((6, 5))
    return t + 1e-3 * rng.standard_normal((6, 5)), t


def _saturated(rng: np.random.Generator) -> tuple[Any, ...]:
    """Logits of ±1e4, one +1e4 per row; the teacher's top class differs in some rows."""
    s, t = np.full((4, 5), -1e4), np.full((4, 5), -1e4)
    s[np.arange(4), [0, 1, 2, 3]] = 1e4
    t[np.arange(4), [0, 2, 2, 4]] = 1e4
    return s, t


_OPTAX = (_optax_generalized_kl(),)
_TORCH = (_torch_distillation(),)

# --- cases ------------------------------------------------------------------------------


GENERALIZED = [
    Case("generalized_kl_div", ref_generalized_kl_div, native=_OPTAX),
    Case(
        "generalized_kl_div",
        ref_generalized_kl_div,
        _logs(_measures((6, 5))),
        {"log_pred": True, "log_target": True},
        id="logs",
        native=_OPTAX,
    ),
    Case(
        "generalized_kl_div",
        ref_generalized_kl_div,
        _measures((2, 4, 3)),
        {"axis": 1},
        id="axis1",
        native=_OPTAX,
    ),
    # 0·log 0 = 0: a zero target adds p (Optax gives NaN where p is 0 too)
    Case("generalized_kl_div", ref_generalized_kl_div, _zeros, id="zero-target"),
    Case(
        "generalized_kl_div",
        ref_generalized_kl_div,
        _logs(_zeros, log_p=False),
        {"log_target": True},
        id="zero-target-log-target",
    ),
    # nearly equal measures: the terms by their series (the direct form cancels in float32);
    # the divergences (~1e-7) are float16 subnormals (spacing 6e-8): no half precision
    Case("generalized_kl_div", ref_generalized_kl_div, _near, id="near", half=False),
    Case("distillation_kl", ref_distillation_kl, native=_TORCH),
    Case(
        "distillation_kl",
        ref_distillation_kl,
        _near_logits,
        id="near",
        half=False,
        native=(_torch_distillation(tolerance=1e-8),),
    ),
    Case(
        "distillation_kl",
        ref_distillation_kl,
        lambda r: (r.standard_normal((2, 4, 3)), r.standard_normal((2, 4, 3))),
        {"axis": 1, "temperature": 0.5},
        id="axis1",
        native=(_torch_distillation(("sum", "none")),),
    ),
    Case("distillation_kl", ref_distillation_kl, _saturated, id="saturated", native=_TORCH),
    # logits near 1e4 (float32 spacing 1e-3 there): both log-softmaxes taken after the shift.
    # Finite differences step 1e-2 there: too coarse (grad off)
    Case(
        "distillation_kl",
        ref_distillation_kl,
        lambda r: (1e4 + r.standard_normal((6, 5)), 1e4 + r.standard_normal((6, 5))),
        id="offset",
        grad=False,
        native=_TORCH,
    ),
]

CASES: list[Case] = [*KL_DIV, *JS_DIV, *GENERALIZED]

INVALID: dict[str, list[dict[str, Any]]] = {
    "kl_div": [{"log_pred": "yes"}, {"log_target": 1}, {"axis": None}],
    "js_div": [{"axis": "last"}],
    "generalized_kl_div": [{"axis": 0.5}, {"log_pred": "yes"}, {"log_target": 1}],
    "distillation_kl": [{"axis": "0"}, {"temperature": 0.0}, {"temperature": -1.0}],
}


# arguments whose values are checked on eager arrays (tests/test_errors.py); inputs given
# as logs are not checked
DOMAINS: dict[str, list[Domain]] = {
    "kl_div": [
        Domain(0, "pred"),
        Domain(1, "target"),
        Domain(1, "target", kwargs={"log_pred": True}),
        Domain(0, "pred", kwargs={"log_target": True}),
    ],
    "js_div": [Domain(0, "pred"), Domain(1, "target")],
    "generalized_kl_div": [
        Domain(0, "pred", bad=(-0.1,)),
        Domain(1, "target", bad=(-0.1,)),
        Domain(1, "target", bad=(-0.1,), kwargs={"log_pred": True}),
    ],
}
