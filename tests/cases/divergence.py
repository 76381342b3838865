"""Divergences (kl_div, js_div): float64 NumPy references from the formulas, natives from
torch.nn.functional and SciPy."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.cases import Case, Native, reduce_ref, reduced, simplex, torch_tensor

# --- independent float64 references ---------------------------------------------------


def ref_kl_div(
    p: Any,
    t: Any,
    reduction: str = "mean",
    axis: int = -1,
    log_pred: bool = False,
    log_target: bool = False,
) -> Any:
    p, t = np.moveaxis(p, axis, -1), np.moveaxis(t, axis, -1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_p = p if log_pred else np.log(p)
        log_t = t if log_target else np.log(t)
        tt = np.exp(t) if log_target else t
        terms = np.where(tt == 0, 0.0, tt * (log_t - log_p))
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


CASES: list[Case] = [*KL_DIV, *JS_DIV]

INVALID: dict[str, list[dict[str, Any]]] = {
    "kl_div": [{"log_pred": "yes"}, {"log_target": 1}, {"axis": None}],
    "js_div": [{"axis": "last"}],
}
