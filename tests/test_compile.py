"""``torch.compile(fullgraph=True)`` (inductor) of every loss equals eager, values and gradients.

Registry-driven: each loss's default case and its saturated cases (the matrix cases whose
id says so: saturated logits, logits of 1e4, huge residuals ...), their arrays tiled to at
least 256 rows, all in one compiled graph per loss (inductor takes ~15 s per compile
here). The compiled value and gradient must match eager float32 and be finite wherever
eager's are; compiling must print no warning (array-api-compat's ``lru_cache`` helpers
are never traced).

The gradient of an input that broadcasts (``general_robust``'s ``alpha`` of shape ``(C,)``
or ``scale`` of shape ``()`` against a ``(256, C)`` residual) is a float32 sum of ``n``
per-element terms ``t``, which inductor adds in another order than eager (eager's is more
accurate: 5e-7 against 6e-6 on the same terms). Summed in any order, such a sum is within
``gamma_{n-1} sum|t|`` (``gamma_k = k u / (1 - k u)``, ``u = 2**-24``) of the exact one
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §4.2), so compiled and
eager may differ by twice that; ``sum|t|`` comes from an eager pass with the input
expanded to the broadcast shape (no reduction left in autograd). The objective's
cotangents are positive so that the terms do not cancel and the bound stays relative to
the gradient (see ``_objective``).

Every loss is also compiled as the first call of a fresh process (``--backend eager``:
Dynamo's trace of what a first call makes). Every loss: ``ANYLOSS_COMPILE_ALL=1`` (``nox -s
compile``, outside the default sessions). Otherwise a representative subset runs (the
default CI run).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss import _checker
from anyloss._registry import spec
from tests.cases import EXTREME_IDS, Case, all_cases

torch = pytest.importorskip("torch")

SUBSET = ("cross_entropy", "softmax_focal", "log_cosh", "binary_cross_entropy_with_logits")
LOSSES = anyloss.available() if os.environ.get("ANYLOSS_COMPILE_ALL") else SUBSET
ROWS = 256


def _cases(name: str) -> list[Case]:
    return [
        c
        for c in all_cases()
        if c.loss == name and (c.id == "default" or any(k in c.id for k in EXTREME_IDS))
    ]


def _tiled(arrays: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Arrays sharing the first array's leading axis, repeated to at least ``ROWS`` rows."""
    first = arrays[0]
    n = first.shape[0] if getattr(first, "ndim", 0) else 0

    def tile(a: Any) -> Any:
        if not isinstance(a, np.ndarray) or not n or a.ndim == 0 or a.shape[0] != n:
            return a
        return np.concatenate([a] * math.ceil(ROWS / n), axis=0)

    def tensor(a: Any) -> Any:
        if not isinstance(a, np.ndarray):
            return a
        t = torch.from_numpy(tile(a))
        return t.float() if t.is_floating_point() else t

    return [tensor(a) for a in arrays], {k: tensor(v) for k, v in kwargs.items()}


def _objective(name: str, inputs: list[tuple[list[Any], dict[str, Any]]]) -> Any:
    """Sum over the cases of "mean" plus the "none" output weighted by fixed cotangents.

    The cotangents differ per element but are all positive (0.5 to 1.5): signed ones
    would make the gradient of a broadcast input (a sum over the batch) cancel, to a
    relative error of 1e-4 in float32 whatever the summation order (``general_robust``'s
    ``scale``: terms of total magnitude 800 summing to 0.06)."""
    fn = getattr(anyloss, name)
    wrt = _checker.wrt(name)

    def objective(*leaves: Any) -> Any:
        total = 0
        it = iter(leaves)
        for args, kwargs in inputs:
            a, k = list(args), dict(kwargs)
            for key in wrt:
                (a if isinstance(key, int) else k)[key] = next(it)
            none = fn(*a, reduction="none", **k)
            cot = torch.linspace(0.5, 1.5, none.numel()).reshape(none.shape)
            total = total + fn(*a, **k) + (none * cot).sum()
        return total

    return objective


def _leaves(name: str, inputs: list[tuple[list[Any], dict[str, Any]]]) -> list[Any]:
    out = []
    for args, kwargs in inputs:
        for key in _checker.wrt(name):
            x = args[key] if isinstance(key, int) else kwargs[key]
            out.append(x.detach().clone().requires_grad_(True))
    return out


def _summation_bounds(
    objective: Any, leaves: list[Any], inputs: list[tuple[list[Any], dict[str, Any]]], name: str
) -> list[float]:
    """Per gradient, the largest ``2 gamma_{n-1} sum|t|`` of its entries: how far two
    float32 sums of the same ``n`` terms ``t`` may differ (0 for an input that does not
    broadcast to the loss's elementwise output, or that the loss takes only unexpanded,
    as ``clip_contrastive``'s 0-d ``temperature``)."""
    fn = getattr(anyloss, name)
    shapes = [
        tuple(fn(*a, reduction="none", **k).shape) for a, k in inputs for _ in _checker.wrt(name)
    ]
    bounds = []
    for i, (leaf, shape) in enumerate(zip(leaves, shapes, strict=True)):
        try:
            full = torch.broadcast_shapes(leaf.shape, shape)
        except RuntimeError:
            full = leaf.shape
        if full != shape or full == leaf.shape or leaf.numel() == 0:
            bounds.append(0.0)  # no reduction over a broadcast axis to bound
            continue
        expanded = leaf.detach().expand(full).clone().requires_grad_(True)
        try:
            (terms,) = torch.autograd.grad(
                objective(*leaves[:i], expanded, *leaves[i + 1 :]), expanded
            )
        except (TypeError, ValueError):  # the loss refuses the expanded shape
            bounds.append(0.0)
            continue
        n = terms.numel() // leaf.numel()
        gamma = (n - 1) * 2.0**-24 / (1 - (n - 1) * 2.0**-24)
        bound = 2 * gamma * terms.abs().sum_to_size(leaf.shape)
        finite = bound[torch.isfinite(bound)]
        bounds.append(float(finite.max()) if finite.numel() else 0.0)
    return bounds


@pytest.mark.parametrize("name", LOSSES)
def test_compiled_equals_eager(name: str) -> None:
    inputs = [_tiled(*c.inputs()) for c in _cases(name)]
    objective = _objective(name, inputs)
    leaves = _leaves(name, inputs)
    eager = objective(*leaves)
    eager_grads = torch.autograd.grad(eager, leaves)
    sums = _summation_bounds(objective, leaves, inputs, name)
    torch._dynamo.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled_fn = torch.compile(objective, fullgraph=True, dynamic=False)
        compiled = compiled_fn(*leaves)
        grads = torch.autograd.grad(compiled, leaves)
    noisy = [str(w.message)[:120] for w in caught if "lru_cache" in str(w.message)]
    assert not noisy, f"{name}: compiling warned: {noisy}"
    if torch.isfinite(eager):
        assert torch.isfinite(compiled), f"{name}: compiled value {compiled}"
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-5, equal_nan=True)
    for i, (g, e) in enumerate(zip(grads, eager_grads, strict=True)):
        finite = torch.isfinite(e)
        assert torch.isfinite(g[finite]).all(), f"{name}: compiled gradient {i} not finite"
        # float32 sums reordered by inductor: errors scale with the largest gradient
        atol = 1e-5 * float(e[finite].abs().max()) if finite.any() else 0.0
        torch.testing.assert_close(g, e, rtol=1e-4, atol=atol + 1e-6 + sums[i], equal_nan=True)


FIRST = anyloss.available() if os.environ.get("ANYLOSS_COMPILE_ALL") else ("linear_cross_entropy",)
_COMPILED_FIRST = """
import sys
import numpy as np
import torch
import anyloss
from anyloss import _checker

name = sys.argv[1]
args, kwargs = _checker.example(name)(np.random.default_rng(0))
args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
wrt = [i for i in _checker.wrt(name) if isinstance(i, int)]
for i in wrt:
    args[i] = args[i].clone().requires_grad_(True)
loss = getattr(anyloss, name)
compiled = torch.compile(lambda *a: loss(*a, **kwargs), fullgraph=True, backend="eager")
out = compiled(*args)
grads = torch.autograd.grad(out.sum(), [args[i] for i in wrt]) if wrt else ()
torch.testing.assert_close(out, loss(*args, **kwargs), equal_nan=True)
print("ok", all(bool(g.isfinite().all()) for g in grads))
"""


@pytest.mark.parametrize("name", FIRST)
def test_compiled_first_in_a_fresh_process(name: str) -> None:
    """The first call of the loss in a fresh process is compiled (``fullgraph``; Dynamo
    only, the graph is the other tests' concern): nothing the first call makes (caches,
    the ``autograd.Function`` of a custom gradient: Dynamo cannot trace a class
    definition) may break the trace. The default run: ``linear_cross_entropy``, whose
    custom gradient failed this way."""
    done = subprocess.run(
        [sys.executable, "-c", _COMPILED_FIRST, name], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", "True"]


_NOT_RECOMPILED = """
import sys
import numpy as np
import torch
import torch._dynamo
import anyloss
import anyloss.torch
from anyloss import _checker


def inputs(name, convert):
    args, kwargs = _checker.example(name)(np.random.default_rng(0))
    return [convert(a) for a in args], {k: convert(v) for k, v in kwargs.items()}


def tensor(a):
    return torch.from_numpy(a) if isinstance(a, np.ndarray) else a


def float32(a):
    t = tensor(a)
    return t.float() if isinstance(t, torch.Tensor) and t.is_floating_point() else t


torch._dynamo.config.error_on_recompile = True
names = sys.argv[1:]
calls = []
for name in names:  # each loss's first call in the process is a compiled one
    args, kwargs = inputs(name, tensor)
    module = anyloss.torch.LOSS_MODULES[name](**kwargs)
    for fn, hyperparameters in ((getattr(anyloss, name), kwargs), (module, {})):
        calls.append((torch.compile(fn, fullgraph=True, backend="eager"), args, hyperparameters))
for fn, args, kwargs in calls:  # the first trace's own cache writes must not fail its guards
    fn(*args, **kwargs)
    fn(*args, **kwargs)
for name in anyloss.available():  # every per-type cache filled with other entries
    for convert in (lambda a: a, tensor, float32):
        args, kwargs = inputs(name, convert)
        getattr(anyloss, name)(*args, **kwargs)
for fn, args, kwargs in calls:
    fn(*args, **kwargs)
print("ok", len(calls))
"""


def test_compiled_losses_are_not_compiled_again() -> None:
    """Every loss, and its torch module, compiled directly (``torch.compile(anyloss.mse)``)
    as its first call in a fresh process (Dynamo only), called again, then every loss
    used eagerly on NumPy arrays and torch tensors of two dtypes, then the compiled ones
    once more: nothing is compiled a second time (``error_on_recompile``).

    A trace that read one of anyloss's per-type caches guarded on the whole dict (its
    length), so the trace's own cache write, or any entry added later, made every
    compiled graph that had called a loss compile again. And the wrappers of all losses
    (of all modules) shared one code object, of which torch.compile keeps at most eight
    graphs: a ninth loss compiled directly ran eagerly."""
    done = subprocess.run(
        [sys.executable, "-c", _NOT_RECOMPILED, *anyloss.available()],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ok", str(2 * len(anyloss.available()))]


FLOAT_HYPERPARAMETERS = [
    (name, key)
    for name in anyloss.available()
    for key, default in spec(name).hyperparameters.items()
    if type(default) is float
]


@pytest.mark.parametrize(("name", "key"), FLOAT_HYPERPARAMETERS)
def test_compiled_with_a_float_hyperparameter_that_changes(name: str, key: str) -> None:
    """A float hyperparameter passed into the compiled function, another value at each
    call (a schedule): Dynamo traces it as a symbol after the first change, and the
    graph must still compile whole and equal eager. ``math.isfinite`` and ``hasattr`` on
    such a symbol broke the trace of every loss with a float hyperparameter."""
    args, kwargs = _checker.example(name)(np.random.default_rng(0))
    args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    base = kwargs.get(key)
    if type(base) is not float:  # absent, or an array in the example: the default
        base = spec(name).hyperparameters[key]
    values = (base, base + 0.05, base + 0.1) if 0 <= base < 0.5 else (base, 0.9 * base, 0.8 * base)
    loss = getattr(anyloss, name)
    torch._dynamo.reset()  # one code object for every case: a fresh cache for each
    compiled = torch.compile(
        lambda h, *a: loss(*a, **{**kwargs, key: h}), fullgraph=True, backend="eager"
    )
    for value in values:
        eager = loss(*args, **{**kwargs, key: value})
        torch.testing.assert_close(compiled(value, *args), eager, equal_nan=True)


@pytest.mark.parametrize("name", ["cross_entropy", "multi_margin"])
def test_compiled_out_of_range_label_is_nan(name: str) -> None:
    """Under torch.compile labels are not checked: a bad label gives NaN for its sample,
    not the loss of class ``label mod C``."""
    x = torch.randn(4, 3)
    labels = torch.tensor([0, 3, 2, -1])
    torch._dynamo.reset()
    fn = torch.compile(lambda a, b: getattr(anyloss, name)(a, b, reduction="none"))
    out = fn(x, labels)
    assert torch.isnan(out[[1, 3]]).all(), out
    assert torch.isfinite(out[[0, 2]]).all(), out
