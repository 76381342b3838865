"""Native kernels: where a backend ships a loss with the catalog's semantics, call it.

As array-api-extra's ``_delegation.py``: the portable function over ``xp`` is the
definition and the fallback; this module is the one place that knows backends' own loss
kernels, keyed by (loss, backend). Loss bodies never ask which backend they run on: the
registry's wrapper (``_registry.loss``) calls ``native_call(name, args, kwargs)``
after the hyperparameter checks and before any other work, and calls the portable body
(through ``_inputs.guarded_call``) when there is no kernel or the kernel declines
(returns ``NotImplemented``). So a kernel checks every argument it takes itself.

A kernel declines every call whose semantics it would not reproduce exactly, so the
portable body raises the catalog's errors and covers the rest: mixed libraries,
devices or dtypes, half precision (the catalog computes it in float32), shapes torch
would broadcast, empty batches (torch's mean of nothing is NaN, the catalog's 0),
hyperparameters given as arrays, axes other than torch's. Where the catalog and torch
differ in a detail the kernel adapts: ``ignore_index=None`` ignores nothing, an
all-ignored "mean" is 0 (torch: NaN), and where labels are not value-checked an
out-of-range label gives NaN for its sample (torch: an error on the CPU, a device assert
on CUDA, a wrapped index under ``torch.compile``).

Delegated, for torch (``torch.nn.functional``'s kernels; where F's Python wrapper only
broadcasts, warns on unequal sizes and maps the reduction to its enum, the ATen function
it calls is called directly, ~2-5 µs less per tiny call): mse, mae, huber, smooth_l1,
binary_cross_entropy_with_logits, cross_entropy, nll, poisson_nll,
multilabel_soft_margin, margin_ranking, hinge_embedding, triplet_margin, ctc (adapted:
the catalog's label checks, a zero gradient at an infinite loss where torch's is NaN, and
the portable body under ``torch.compile`` and on meta tensors, where torch's kernel cannot
be traced), multilabel_margin and multi_margin (CPU tensors with finite scores and
weights only: torch's kernels skip a hinge whose gap is NaN, where the catalog's loss is
NaN, and check the labels themselves, multilabel_margin's also past the first -1, which
the catalog ignores; on a raise the portable body serves). Not delegated, because the
catalog's semantics differ from the kernel's: binary_cross_entropy (gradient at the log
clamp), soft_margin (torch's form overflows), kl_div (torch gives NaN where target and
pred are both 0), gaussian_nll (gradient of the clamped variance), cosine_embedding
(torch's ``1 - cos`` cancels in float32); cross_entropy with probability targets (torch:
NaN for a zero target at a ``-inf`` logit).

``anyloss.portable()`` (or ``ANYLOSS_NATIVE=0``) turns delegation off; the test matrix
runs every delegated case through both paths against the float64 reference.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

from ._compat import array_kind, cached, namespace_of, run_when_traced, tracing
from ._settings import State, checks_tensor

__all__ = ["delegated", "has_kernel", "kernel", "native", "native_call"]

Kernel = Callable[..., Any]

_KERNELS: dict[tuple[str, str], Kernel] = {}
_INT64_MIN = -(2**63)


def native(name: str, backend: str) -> Callable[[Kernel], Kernel]:
    """Register ``fn`` as loss ``name``'s kernel on ``backend`` (``"torch"``)."""

    def register(fn: Kernel) -> Kernel:
        _KERNELS[(name, backend)] = fn
        return fn

    return register


def delegated(name: str, backend: str) -> bool:
    """Whether loss ``name`` has a native kernel on ``backend`` (for the test matrix)."""
    return (name, backend) in _KERNELS


def has_kernel(name: str) -> bool:
    """Whether loss ``name`` has a native kernel on any backend (all register at import)."""
    return any(loss == name for loss, _ in _KERNELS)


def kernel(name: str, args: tuple[Any, ...]) -> Kernel | None:
    """The native kernel for loss ``name`` on the library of ``args[0]``, or None."""
    if not args or not State.native:
        return None
    return cached(_KERNEL_OF_TYPE, (name, type(args[0])), _kernel_for, name, args[0])


def native_call(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """Loss ``name`` by the native kernel for ``args``, or ``NotImplemented`` where there is
    none (another library, ``portable()``) or it declines the call. One dictionary lookup
    per call (the registry's wrapper runs this before anything else): ``kernel``'s, with
    ``_compat.cached`` written out, as this runs on every call."""
    if not args or not State.native:
        return NotImplemented
    if tracing():  # no cache read while torch.compile traces (``_compat.cached``)
        native = _kernel_for(name, args[0])
    else:
        key = (name, type(args[0]))
        try:
            native = _KERNEL_OF_TYPE[key]
        except KeyError:
            native = _KERNEL_OF_TYPE[key] = _kernel_for(name, args[0])
    return NotImplemented if native is None else native(*args, **kwargs)


_KERNEL_OF_TYPE: dict[tuple[str, type], Kernel | None] = {}
"""The kernel (or None) of each loss for each array type: ``kernel``'s answer, cached."""


def _kernel_for(name: str, x: Any) -> Kernel | None:
    """The kernel of loss ``name`` for the library of ``x``; torch bound first for a torch
    tensor (``_bind_torch`` runs for real also under a ``torch.compile`` trace, so the
    trace never reads ``torch`` unbound)."""
    kind = array_kind(x)
    if kind == "torch":
        _bind_torch()
    return _KERNELS.get((name, kind))


# --- torch --------------------------------------------------------------------------------

torch: Any = None
"""The torch module, bound (``_bind_torch``) when the first torch tensor reaches the
dispatch, so only torch users import it; every torch kernel runs after that and needs
no ``import`` per call."""
aten: Any = None
"""``torch._C._nn``: the ATen losses that ``torch.nn.functional`` calls after its own
argument handling (broadcasting, a size warning, the reduction's enum), which the kernels
here need not repeat: they take equal shapes only."""
sequence: Any = None
"""``anyloss.sequence`` (ctc's checks), bound with ``torch``: it imports the registry,
which imports this module."""
_INTEGERS: frozenset[Any] = frozenset()
"""torch's signed integer dtypes and uint8 (those its CTC kernel takes)."""
_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}
"""torch's reduction enum (``torch.nn._reduction.get_enum``), for its ATen loss functions."""


@run_when_traced
def _bind_torch() -> bool:
    """Bind ``torch``, ``aten``, ``sequence`` and ``_INTEGERS`` (on the first torch tensor;
    run for real also when a ``torch.compile`` trace reaches it)."""
    global torch, aten, sequence, _INTEGERS  # bound once, read on every call
    import torch as module

    from . import sequence as checks

    sequence = checks
    aten = module._C._nn
    _INTEGERS = frozenset((module.uint8, module.int8, module.int16, module.int32, module.int64))
    torch = module
    return True


def _float_tensors(*xs: Any) -> bool:
    """Torch tensors of one float32/float64 dtype and one device, non-empty, equal shapes.

    Inline tests, no helper calls: this runs on every call of most kernels."""
    first = xs[0]
    if not isinstance(first, torch.Tensor):
        return False
    dtype = first.dtype
    if (dtype is not torch.float32 and dtype is not torch.float64) or first.numel() == 0:
        return False
    shape, cpu = first.shape, first.is_cpu
    for x in xs[1:]:  # a loop, not all(generator): this runs on every call
        if not isinstance(x, torch.Tensor) or x.dtype is not dtype or x.shape != shape:
            return False
        if not (cpu and x.is_cpu) and x.device != first.device:
            return False
    return True


def _number(*values: Any) -> bool:
    """Python ints and floats (not bools, not arrays): what torch's kernels take."""
    for v in values:  # noqa: SIM110 (a loop, not all(generator): this runs on every call)
        if type(v) is not float and type(v) is not int:
            return False
    return True


@native("mse", "torch")
def _mse(pred: Any, target: Any, *, reduction: str = "mean") -> Any:
    if not _float_tensors(pred, target):
        return NotImplemented
    return aten.mse_loss(pred, target, _REDUCTIONS[reduction])


@native("mae", "torch")
def _mae(pred: Any, target: Any, *, reduction: str = "mean") -> Any:
    if not _float_tensors(pred, target):
        return NotImplemented
    return aten.l1_loss(pred, target, _REDUCTIONS[reduction])


@native("huber", "torch")
def _huber(pred: Any, target: Any, *, delta: Any = 1.0, reduction: str = "mean") -> Any:
    if not (_number(delta) and _float_tensors(pred, target)):
        return NotImplemented
    return aten.huber_loss(pred, target, _REDUCTIONS[reduction], float(delta))


@native("smooth_l1", "torch")
def _smooth_l1(pred: Any, target: Any, *, beta: Any = 1.0, reduction: str = "mean") -> Any:
    if not (_number(beta) and _float_tensors(pred, target)):
        return NotImplemented
    if beta == 0:  # as F.smooth_l1_loss: ATen's gradient divides by beta
        return aten.l1_loss(pred, target, _REDUCTIONS[reduction])
    return aten.smooth_l1_loss(pred, target, _REDUCTIONS[reduction], float(beta))


@native("poisson_nll", "torch")
def _poisson_nll(
    pred: Any,
    target: Any,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: Any = 1e-8,
    reduction: str = "mean",
) -> Any:
    if not (_number(eps) and _float_tensors(pred, target)):
        return NotImplemented
    return torch.poisson_nll_loss(pred, target, log_input, full, float(eps), _REDUCTIONS[reduction])


@native("binary_cross_entropy_with_logits", "torch")
def _bce_with_logits(
    pred: Any, target: Any, *, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> Any:
    if weight is not None or pos_weight is not None or not _float_tensors(pred, target):
        return NotImplemented
    return torch.binary_cross_entropy_with_logits(pred, target, None, None, _REDUCTIONS[reduction])


@native("multilabel_soft_margin", "torch")
def _multilabel_soft_margin(
    pred: Any, target: Any, *, axis: int = -1, weight: Any = None, reduction: str = "mean"
) -> Any:
    if weight is not None or axis not in (-1, 1) or not _float_tensors(pred, target):
        return NotImplemented
    if pred.ndim != 2:
        return NotImplemented
    return torch.nn.functional.multilabel_soft_margin_loss(pred, target, reduction=reduction)


@native("margin_ranking", "torch")
def _margin_ranking(
    x1: Any, x2: Any, target: Any, *, margin: Any = 0.0, reduction: str = "mean"
) -> Any:
    if not (_number(margin) and _float_tensors(x1, x2, target)):
        return NotImplemented
    if checks_tensor(target) and not _all_signs(target):
        return NotImplemented  # the portable body raises the catalog's error
    return torch.margin_ranking_loss(x1, x2, target, float(margin), _REDUCTIONS[reduction])


@native("hinge_embedding", "torch")
def _hinge_embedding(
    distances: Any, target: Any, *, margin: Any = 1.0, reduction: str = "mean"
) -> Any:
    if not (_number(margin) and _float_tensors(distances, target)):
        return NotImplemented
    if checks_tensor(target) and not _all_signs(target):
        return NotImplemented
    return torch.hinge_embedding_loss(distances, target, float(margin), _REDUCTIONS[reduction])


_FEW_SIGNS = 256
"""Up to this many values they are read as a list (~1 µs at 30, where torch's kernels
take ~5); more go through one ``aminmax``."""
_SIGNS = frozenset((1.0, -1.0))
_BITS_OF_ONE = {4: ("int32", 0x3F800000), 8: ("int64", 0x3FF0000000000000)}
"""The integer dtype of each float width (itemsize), and the bits of 1.0 read as it."""
_flatten = itertools.chain.from_iterable


def _all_signs(target: Any) -> bool:
    """Every value of ``target`` (float32 or float64) is -1 or +1: not NaN, 0, -0, 0.5,
    -1.5, 2 or inf.

    Up to ``_FEW_SIGNS`` values on the CPU, the values read as a list must all be in
    ``{1.0, -1.0}`` (NaN, -0 and inf are not: the set's lookup compares by value). The
    list costs less than any torch kernel, and, measured between a forward and a
    backward pass, a third of matching the raw bytes through ``numpy()``. More values,
    or values elsewhere: ``_bits_are_signs``."""
    if target.numel() > _FEW_SIGNS or not target.is_cpu:
        return _bits_are_signs(target)
    ndim = target.ndim
    if ndim == 1:
        return _SIGNS.issuperset(target.tolist())
    if ndim == 2:
        return _SIGNS.issuperset(_flatten(target.tolist()))
    return _SIGNS.issuperset(target.reshape(-1).tolist())


def _bits_are_signs(target: Any) -> bool:
    """``|t|`` (one temporary), then the least and the largest of its bits read as
    integers (one ``aminmax``, twice as fast as a float one, which must look for NaN):
    both are the bits of 1.0 only if every ``|t|`` is 1.0 (a NaN's bits are not).
    ``(|t| == 1).all()`` cost three kernels and two full-size temporaries, about three
    times as long."""
    integer, one = _BITS_OF_ONE[target.itemsize]
    lo, hi = target.abs().view(getattr(torch, integer)).aminmax()
    return bool(lo.item() == one and hi.item() == one)


@native("triplet_margin", "torch")
def _triplet_margin(
    anchor: Any,
    positive: Any,
    negative: Any,
    *,
    margin: Any = 1.0,
    p: Any = 2.0,
    eps: Any = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Any:
    if not (_number(margin, p, eps) and margin > 0 and p in (1, 2)):
        return NotImplemented
    if not _float_tensors(anchor, positive, negative) or anchor.ndim != 2:
        return NotImplemented
    return torch.triplet_margin_loss(
        anchor,
        positive,
        negative,
        float(margin),
        float(p),
        float(eps),
        swap,
        _REDUCTIONS[reduction],
    )


@native("multi_margin", "torch")
def _multi_margin(
    pred: Any,
    target: Any,
    *,
    axis: int = -1,
    p: int = 1,
    margin: Any = 1.0,
    weight: Any = None,
    reduction: str = "mean",
) -> Any:
    """``F.multi_margin_loss`` where ``_class_rows`` allows, and the class weights are
    finite too: with a NaN or infinite weight torch gives 0 to a sample without an active
    hinge (the catalog: NaN). Its gradient does not reach ``weight``: a weight that wants
    one stays portable. Compiled it stays portable (0.3x the compiled native's time)."""
    if not _number(margin):
        return NotImplemented
    rows = _class_rows(pred, target, axis, listed=False)
    if rows is None or (weight is not None and not _finite_weight(weight, pred)):
        return NotImplemented
    extra = (p, margin, weight)
    return _row_loss(aten.multi_margin_loss, rows, extra, pred.shape, reduction)


def _finite_weight(weight: Any, pred: Any) -> bool:
    """A CPU ``(C,)`` class weight of ``pred``'s dtype, finite, wanting no gradient."""
    return (
        isinstance(weight, torch.Tensor)
        and weight.dtype is pred.dtype
        and weight.shape == pred.shape[-1:]
        and weight.is_cpu
        and not weight.requires_grad
        and _finite(weight)
    )


@native("multilabel_margin", "torch")
def _multilabel_margin(scores: Any, target: Any, *, axis: int = -1, reduction: str = "mean") -> Any:
    """``F.multilabel_margin_loss`` where ``_class_rows`` allows. torch's CPU kernel
    range-checks every entry of ``target`` (in ``[-1, C)``, also past the first -1) and
    raises: the portable body then raises for a bad listed label, ignores a bad entry
    past the first -1, or, with values unchecked, gives the sample NaN. Compiled it stays
    portable (0.6x the compiled native's time)."""
    rows = _class_rows(scores, target, axis, listed=True)
    if rows is None:
        return NotImplemented
    return _row_loss(aten.multilabel_margin_loss, rows, (), scores.shape, reduction)


def _class_rows(scores: Any, target: Any, axis: int, *, listed: bool) -> Any:
    """``(rows, labels)`` for torch's margin kernels, or None where they would not give
    the catalog's answer: CPU float tensors with finite scores, the class axis last, more
    leading axes folded into the rows; integer labels on the CPU, one per row
    (``listed``: a list per row, the scores' shape), in int64.

    A NaN or infinite score goes to the portable body: torch's kernels skip a hinge whose
    gap is NaN (``z > 0`` is false; also +inf against +inf), where the catalog's loss is
    NaN. GPU tensors (torch asserts on the device where the CPU kernel raises, and the
    finiteness read would sync) and ``torch.compile`` traces stay portable too."""
    if not (_float_tensors(scores) and scores.is_cpu and type(axis) is int):
        return None
    shape = scores.shape
    ndim = len(shape)
    if ndim < (1 if listed else 2) or axis not in (-1, ndim - 1) or tracing():
        return None
    if not isinstance(target, torch.Tensor) or target.dtype not in _INTEGERS:
        return None
    if target.shape != (shape if listed else shape[:-1]) or not target.is_cpu:
        return None
    if not _finite(scores):
        return None
    if ndim > 2:
        scores = scores.reshape(-1, shape[-1])
        target = target.reshape(scores.shape if listed else (-1,))
    return scores, _as_dtype(target, torch.int64)


def _row_loss(
    aten_loss: Callable[..., Any], rows: Any, extra: tuple[Any, ...], shape: Any, reduction: str
) -> Any:
    """``aten_loss(scores, labels, *extra, reduction)`` on ``_class_rows``' rows,
    ``"none"`` reshaped to the scores' ``shape`` without its class axis;
    ``NotImplemented`` where torch's kernel rejects a label (the portable body says
    which, or gives NaN)."""
    try:
        out = aten_loss(*rows, *extra, _REDUCTIONS[reduction])
    except RuntimeError:
        return NotImplemented
    return out.reshape(shape[:-1]) if len(shape) > 2 and reduction == "none" else out


def _finite(x: Any) -> bool:
    """Whether every value of the CPU float tensor ``x`` is finite: its sum is (a sum
    that overflows reads as not finite, which only sends the call to the portable body).
    A few values are summed as a list; more by one ``sum`` (``isfinite(x).all()`` took
    ~70x as long on 2^18 values)."""
    if x.numel() > _FEW_SIGNS:
        return math.isfinite(x.detach().sum().item())
    if x.ndim == 1:
        return math.isfinite(sum(x.tolist()))
    return math.isfinite(sum(_flatten(x.reshape(x.shape[0], -1).tolist())))


# --- torch: class-index losses --------------------------------------------------------------


class _Labels:
    """Class-index targets prepared for a torch kernel, with the catalog's label rules.

    Where values are checked: on the CPU the kernel itself checks every label (other
    than the ignored value) and raises, and elsewhere one ``aminmax`` checks them first;
    either way the kernel declines (``NotImplemented``) and the portable body raises its
    ``ValueError``. ``ignore_index=None`` is passed to torch as -2**63 (torch's default,
    -100, would silently drop labels of -100). Where values are not checked, labels are
    clamped into ``[0, C)`` for the kernel (the ignored value kept), and ``poison`` sets
    NaN for the samples whose label moved, or for the reduced loss if any moved (torch's
    own reduction then serves, and its backward pass stays torch's).

    The moves are told by a float compare of the label's move (``offset``), not by an
    integer mask: under ``torch.compile`` on the CPU, inductor's cast of an int64
    compare's mask to a float blend made the fused nll loop 2x slower; the float compare
    is free.
    """

    def __init__(self, target: Any, classes: int, ignore_index: int | None) -> None:
        self.ignore = _INT64_MIN if ignore_index is None else ignore_index
        self.offset: Any = None
        self.ok = True
        self.target = target
        if not checks_tensor(target):
            safe = torch.clamp(target, 0, classes - 1)
            self.offset = target - safe
            if ignore_index is not None:
                ignored = target == ignore_index
                safe = torch.where(ignored, ignore_index, safe)
                self.offset = torch.where(ignored, 0, self.offset)
            self.target = safe
        elif target.device.type != "cpu":  # the CPU kernel checks labels itself
            keep = target if ignore_index is None else target[target != ignore_index]
            if keep.numel():
                lo, hi = torch.aminmax(keep)
                self.ok = bool(lo >= 0) and bool(hi < classes)

    def poison(self, loss: Any, reduction: str) -> Any:
        """NaN for the samples whose label was out of range (``reduction="none"``), or for
        the reduced loss if any was; a no-op where labels were checked."""
        if self.offset is None:
            return loss
        moved = self.offset.to(loss.dtype) != 0
        if reduction != "none":
            moved = moved.any()
        return torch.where(moved, torch.full_like(loss, math.nan), loss)


def _class_index_inputs(logits: Any, target: Any, axis: int) -> bool:
    """Float logits ``(N, C, ...)`` after moving ``axis`` to 1, non-empty, int64 labels of
    that shape on their device. Inline tests, no helper calls: this runs on every call."""
    if not isinstance(target, torch.Tensor) or target.dtype is not torch.int64:
        return False
    dtype = logits.dtype  # logits: a torch tensor (the kernel was chosen by its type)
    if (dtype is not torch.float32 and dtype is not torch.float64) or logits.numel() == 0:
        return False
    if not (logits.is_cpu and target.is_cpu) and logits.device != target.device:
        return False
    shape, labels = logits.shape, target.shape
    ndim = len(shape)
    if ndim == 2 and len(labels) == 1 and (axis == -1 or axis == 1):
        return labels[0] == shape[0]  # the common call
    if ndim < 2 or not -ndim <= axis < ndim or len(labels) != ndim - 1:
        return False
    ax = axis % ndim
    return labels == shape[:ax] + shape[ax + 1 :]


def _class_weight(weight: Any, logits: Any, classes: int) -> bool:
    return weight is None or (
        isinstance(weight, torch.Tensor)
        and weight.dtype == logits.dtype
        and weight.device == logits.device
        and tuple(weight.shape) == (classes,)
    )


def _index_loss(
    aten_loss: Callable[..., Any],
    extra: tuple[Any, ...],
    logits: Any,
    target: Any,
    axis: int,
    weight: Any,
    ignore_index: int | None,
    reduction: str,
) -> Any:
    """Run a torch class-index kernel with catalog rules: ``aten_loss(x, t, weight,
    reduction, ignore_index, *extra)`` (``cross_entropy_loss``, ``nll_loss_nd``)."""
    x = logits if axis % logits.ndim == 1 else torch.movedim(logits, axis, 1)
    own = ignore_index is None or reduction != "mean"  # torch's reduction is the catalog's
    labels = None
    if own and target.is_cpu and checks_tensor(target):  # torch's CPU kernel checks labels
        t, ignore = target, _INT64_MIN if ignore_index is None else ignore_index
    else:
        labels = _Labels(target, logits.shape[axis], ignore_index)
        if not labels.ok:
            return NotImplemented
        t, ignore = labels.target, labels.ignore
    try:
        loss = aten_loss(x, t, weight, _REDUCTIONS[reduction if own else "none"], ignore, *extra)
    except (IndexError, RuntimeError):  # a label out of range: the portable body says so
        return NotImplemented
    if labels is None:  # the common call: nothing to adapt
        return loss
    if own:
        return labels.poison(loss, reduction)
    per_sample = labels.poison(loss, "none")
    return per_sample.sum() / _normalizer(labels, weight, per_sample)


def _normalizer(labels: _Labels, weight: Any, like: Any) -> Any:
    """The denominator of "mean" where an ``ignore_index`` is given: the kept labels'
    weights summed, 1 where it is 0 (torch's mean of nothing is NaN, the catalog's 0).

    A sample poisoned for its label makes the sum NaN, so it need not be counted here."""
    t = labels.target
    kept = t != labels.ignore
    if weight is None:
        total = kept.sum().to(like.dtype)
    else:
        total = (weight[torch.where(kept, t, 0)] * kept).sum()
    return torch.where(total == 0, torch.ones_like(total), total)


@native("cross_entropy", "torch")
def _cross_entropy(
    logits: Any,
    target: Any,
    *,
    axis: int = -1,
    weight: Any = None,
    ignore_index: int | None = None,
    label_smoothing: Any = 0.0,
    reduction: str = "mean",
) -> Any:
    # probability targets stay portable: torch gives NaN for a zero target at a -inf
    # logit (a masked class), the catalog 0
    if not _number(label_smoothing) or not _class_index_inputs(logits, target, axis):
        return NotImplemented
    if weight is not None and not _class_weight(weight, logits, logits.shape[axis]):
        return NotImplemented
    extra = (float(label_smoothing),)
    return _index_loss(
        aten.cross_entropy_loss, extra, logits, target, axis, weight, ignore_index, reduction
    )


@native("nll", "torch")
def _nll(
    log_probs: Any,
    target: Any,
    *,
    axis: int = -1,
    weight: Any = None,
    ignore_index: int | None = None,
    reduction: str = "mean",
) -> Any:
    if not _class_index_inputs(log_probs, target, axis):
        return NotImplemented
    if weight is not None and not _class_weight(weight, log_probs, log_probs.shape[axis]):
        return NotImplemented

    return _index_loss(
        aten.nll_loss_nd, (), log_probs, target, axis, weight, ignore_index, reduction
    )


# --- torch: ctc ------------------------------------------------------------------------------


def _ctc_arrays(logits: Any, targets: Any, input_lengths: Any, target_lengths: Any) -> bool:
    """Float logits ``(N, T, C)`` with data (not meta, not empty), integer ``(N, S)``
    targets with ``S > 0`` (torch needs it) and ``(N,)`` lengths, on one device; not
    under ``torch.compile`` (torch's ``_ctc_loss`` has a data-dependent output shape that
    Dynamo cannot trace, and no meta kernel). Anything else goes to the portable body,
    which names the problem."""
    if not _float_tensors(logits) or logits.ndim != 3 or logits.is_meta:
        return False
    if tracing():
        return False
    on_cpu = logits.is_cpu
    for x in (targets, input_lengths, target_lengths):  # a loop: this runs on every call
        if not isinstance(x, torch.Tensor) or x.dtype not in _INTEGERS:
            return False
        if not (on_cpu and x.is_cpu) and x.device != logits.device:
            return False
    n = logits.shape[0]
    labels = targets.shape
    if len(labels) != 2 or labels[0] != n or labels[1] == 0:
        return False
    return input_lengths.shape == (n,) and target_lengths.shape == (n,)


def _as_dtype(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` (no call where it is in it already)."""
    return x if x.dtype is dtype else x.to(dtype)


@native("ctc", "torch")
def _ctc(
    logits: Any,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    reduction: str = "mean",
) -> Any:
    """``F.ctc_loss`` on ``log_softmax(logits)`` as ``(T, N, C)``, with the catalog's rules:
    the same checks as the portable body (on checked values ``_ctc_values_fit``, and
    the kernel declines a bad one so that the portable body raises; ``ctc_inputs``' NaN
    for a bad sequence where values are not checked), and a zero gradient at
    an infinite loss (torch's is NaN: ``_ctc_adapted``). torch reads no label past a
    target length, so padding needs no replacing; with nothing to adapt (values checked,
    no gradient wanted at an infinite loss) torch reduces as the catalog does ("mean":
    each loss over its target length clamped to >= 1, averaged).

    The common eager call takes ``_ctc_few_on_cpu``, which checks it in one pass."""
    args = _ctc_few_on_cpu(logits, targets, input_lengths, target_lengths, blank)
    if args is None:
        return _ctc_any(
            logits, targets, input_lengths, target_lengths, blank, zero_infinity, reduction
        )
    if args is NotImplemented:
        return NotImplemented  # the portable body names the bad label
    return _ctc_checked(args, blank, zero_infinity, reduction)


def _ctc_few_on_cpu(
    logits: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: Any
) -> Any:
    """torch's arguments for the common eager call, or None where it is not one:
    CPU tensors, float logits ``(N, T, C)``, int64 ``(N, S)`` labels and ``(N,)``
    lengths, at most ``sequence.FEW_LABELS`` padded labels, values checked, not compiling.
    ``NotImplemented`` for a label ``ctc`` cannot score (torch's CPU kernel checks the
    lengths itself). Written as one function of inline tests: on tiny inputs each call
    of a helper costs more than the test it makes."""
    int64, dtype = torch.int64, logits.dtype  # torch dtypes: torch tensors
    try:  # no isinstance tests: only torch tensors have torch dtypes
        n, frames, classes = logits.shape  # ValueError unless 3-d
        rows, size = targets.shape  # ValueError unless 2-d
        common = (
            (dtype is torch.float32 or dtype is torch.float64)
            and targets.dtype is int64
            and input_lengths.dtype is int64
            and target_lengths.dtype is int64
            and logits.is_cpu
            and targets.is_cpu
            and input_lengths.is_cpu
            and target_lengths.is_cpu
            and type(blank) is int
            and checks_tensor(targets)  # the mode is not off, torch is not compiling
        )
    except (AttributeError, ValueError):  # not arrays (the kernel is asked first), or
        return None  # other dimensions: the portable body says so
    one = (n,)
    if not (
        common
        and rows == n
        and n * frames > 0
        and size > 0
        and n * size <= sequence.FEW_LABELS
        and blank < classes
        and input_lengths.shape == one
        and target_lengths.shape == one
    ):
        return None
    if not sequence.few_labels_fit(targets.tolist(), target_lengths.tolist(), blank, classes):
        return NotImplemented
    return logits.log_softmax(-1).transpose(0, 1), targets, input_lengths, target_lengths  # int64


def _ctc_args(logits: Any, targets: Any, frames: Any, lengths: Any) -> tuple[Any, Any, Any, Any]:
    """torch's CTC arguments: log-probabilities ``(T, N, C)``, labels and lengths in int64
    (no call where they are int64 already)."""
    int64 = torch.int64
    log_probs = logits.log_softmax(-1).transpose(0, 1)
    return log_probs, _as_dtype(targets, int64), _as_dtype(frames, int64), _as_dtype(lengths, int64)


def _ctc_checked(
    args: tuple[Any, Any, Any, Any], blank: int, zero_infinity: bool, reduction: str
) -> Any:
    """torch's CTC on checked labels (``args``: log-probabilities ``(T, N, C)``, int64
    labels and lengths on one device), adapted where a gradient is wanted at an infinite
    loss; ``NotImplemented`` where torch rejects a length (the portable body names it)."""
    fix_infinite = not zero_infinity and args[0].requires_grad
    if not fix_infinite or args[0].is_cpu:  # F.ctc_loss's own call
        try:
            out = torch.ctc_loss(*args, blank, _REDUCTIONS[reduction], zero_infinity)
        except RuntimeError:  # a length out of range (_ctc_values_fit left them to torch)
            return NotImplemented
        if not fix_infinite or not _holds(out, math.inf):  # no infinite loss: torch's gradient
            return out
    return _ctc_reduce(_ctc_adapted(args, blank), args[3], reduction)


def _ctc_any(
    logits: Any,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: Any,
    zero_infinity: bool,
    reduction: str,
) -> Any:
    """``_ctc`` for any call but the common eager one: other devices and integer dtypes,
    many labels, values not checked (a bad sequence's loss NaN)."""
    if not (type(blank) is int and _ctc_arrays(logits, targets, input_lengths, target_lengths)):
        return NotImplemented
    if blank >= logits.shape[2]:
        return NotImplemented  # the portable body names the problem
    if checks_tensor(targets):  # one device (_ctc_arrays): one answer for all three
        if not _ctc_values_fit(logits, targets, input_lengths, target_lengths, blank):
            return NotImplemented  # the portable body names the bad value
        args = _ctc_args(logits, targets, input_lengths, target_lengths)
        return _ctc_checked(args, blank, zero_infinity, reduction)
    frames, lengths, bad = sequence.ctc_inputs(
        logits, targets, input_lengths, target_lengths, blank, namespace_of(logits)
    )
    args = _ctc_args(logits, targets, frames, lengths)
    if not zero_infinity and args[0].requires_grad:
        per_sequence = _ctc_adapted(args, blank)
    else:
        per_sequence = torch.ctc_loss(*args, blank, _REDUCTIONS["none"], zero_infinity)
    per_sequence = torch.where(bad, torch.full_like(per_sequence, math.nan), per_sequence)
    return _ctc_reduce(per_sequence, args[3], reduction)


def _ctc_values_fit(
    logits: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: int
) -> bool:
    """``sequence.ctc_values_fit``; for a few labels on the CPU, only the labels (read as
    lists): torch's CPU kernel checks both lengths itself and raises (``_ctc`` declines
    then, and the portable body names the bad length)."""
    if targets.is_cpu and targets.numel() <= sequence.FEW_LABELS:
        labels, lengths = targets.tolist(), target_lengths.tolist()
        return sequence.few_labels_fit(labels, lengths, blank, logits.shape[2])
    return sequence.ctc_values_fit(targets, input_lengths, target_lengths, blank, logits.shape)


def _ctc_adapted(args: tuple[Any, Any, Any, Any], blank: int) -> Any:
    """Per-sequence losses with a gradient: +inf where no alignment is possible, with a
    zero gradient there (torch's own is NaN).

    ``zero_infinity=True`` gives the gradient (0 at an infinite loss, torch's elsewhere)
    and 0 for such a value; where no value is 0 nothing was infinite, so on the CPU,
    where reading that costs no sync, one pass is all. Otherwise a second, gradient-free
    pass finds the infinite values.
    """
    none = _REDUCTIONS["none"]
    finite = torch.ctc_loss(*args, blank, none, True)
    if finite.is_cpu and not _holds(finite, 0.0):
        return finite
    with torch.no_grad():
        loss = torch.ctc_loss(*args, blank, none, False)
    return torch.where(torch.isinf(loss), torch.full_like(finite, math.inf), finite)


def _holds(x: Any, value: float) -> bool:
    """Whether CPU tensor ``x`` holds ``value`` (a few values read as a list: no kernels)."""
    if x.ndim == 0:  # a reduced loss
        return x.item() == value
    if x.numel() > _FEW_SIGNS:
        return bool((x == value).any())
    return value in x.tolist()


def _ctc_reduce(per_sequence: Any, target_lengths: Any, reduction: str) -> Any:
    """torch's own reduction of CTC losses (``LossCTC.cpp``), which is the catalog's
    (``sequence.reduce_sequences``): "mean" divides each loss by its target length
    clamped to >= 1, then averages over the batch."""
    if reduction == "none":
        return per_sequence
    if reduction == "sum":
        return per_sequence.sum()
    return (per_sequence / target_lengths.clamp_min(1)).mean()
