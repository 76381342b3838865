"""``anyloss.torch``: one ``nn.Module`` per registered loss, generated from the registry.

Every case of the matrix is run through its module (float64, CPU) and compared with the
case's independent float64 reference, and with the function itself; then buffers,
``state_dict``, pickling, construction-time validation and ``torch.compile``.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss._checker.tolerance import TOLERANCES, deviation
from anyloss._frameworks import class_name
from tests.cases import Case, all_cases, all_invalid, torch_tensor

torch = pytest.importorskip("torch")
anyloss_torch = pytest.importorskip("anyloss.torch")

CASES = all_cases()


def _tensors(case: Case) -> tuple[tuple[Any, ...], dict[str, Any]]:
    arrays, kwargs = case.inputs()
    args = tuple(torch_tensor(a) if isinstance(a, np.ndarray) else a for a in arrays)
    kw = {k: torch_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return args, kw


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_module_matches_reference_and_function(case: Case) -> None:
    args, kwargs = _tensors(case)
    cls = anyloss_torch.LOSS_MODULES[case.loss]
    ref_arrays, ref_kwargs = case.inputs()
    for reduction in case.reductions:
        got = cls(**kwargs, reduction=reduction)(*args)
        assert isinstance(got, torch.Tensor)
        expected = np.asarray(case.reference(*ref_arrays, reduction=reduction, **ref_kwargs))
        dev = deviation(got.numpy(), expected)
        assert dev <= TOLERANCES["float64"].value, f"{case.name} [{reduction}]: {dev:.3g}"
        direct = getattr(anyloss, case.loss)(*args, reduction=reduction, **kwargs)
        assert torch.equal(got, direct), f"{case.name} [{reduction}]: module != function"


def test_every_loss_has_a_module_with_its_docs() -> None:
    assert set(anyloss_torch.LOSS_MODULES) == set(anyloss.available())
    for loss, cls in anyloss_torch.LOSS_MODULES.items():
        assert cls.__name__ == class_name(loss)
        assert cls.__module__ == "anyloss.torch"
        assert getattr(anyloss_torch, cls.__name__) is cls
        assert cls.__name__ in anyloss_torch.__all__
        assert issubclass(cls, torch.nn.Module)
        assert (getattr(anyloss, loss).__doc__ or "").strip().split("\n")[0] in (cls.__doc__ or "")


@pytest.mark.parametrize(
    ("loss", "cls"),
    [
        ("cross_entropy", "CrossEntropyLoss"),
        ("mse", "MSELoss"),
        ("huber", "HuberLoss"),
        ("smooth_l1", "SmoothL1Loss"),
        ("nll", "NLLLoss"),
        ("kl_div", "KLDivLoss"),
        ("poisson_nll", "PoissonNLLLoss"),
        ("binary_cross_entropy", "BCELoss"),
        ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss"),
        ("multilabel_soft_margin", "MultiLabelSoftMarginLoss"),
        ("triplet_margin", "TripletMarginLoss"),
    ],
)
def test_torch_style_names(loss: str, cls: str) -> None:
    assert anyloss_torch.LOSS_MODULES[loss].__name__ == cls


def test_signatures_are_the_functions() -> None:
    import inspect

    sig = inspect.signature(anyloss_torch.CrossEntropyLoss)
    assert list(sig.parameters) == [
        "axis",
        "weight",
        "ignore_index",
        "label_smoothing",
        "reduction",
    ]
    fwd = inspect.signature(anyloss_torch.TripletMarginLoss.forward)
    assert list(fwd.parameters) == ["self", "anchor", "positive", "negative"]


def test_tensor_hyperparameters_are_buffers_that_follow_the_module() -> None:
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    m = anyloss_torch.CrossEntropyLoss(weight=w, label_smoothing=0.1)
    assert dict(m.named_buffers())["weight"] is w
    assert set(m.state_dict()) == {"weight"}
    assert m.to(torch.float32).weight.dtype == torch.float32
    assert m.to("meta").weight.device.type == "meta"
    # a NumPy array is turned into a buffer too
    n = anyloss_torch.BCEWithLogitsLoss(pos_weight=np.array([2.0, 0.5]))
    assert isinstance(n.pos_weight, torch.Tensor)
    assert "pos_weight" in n.state_dict()


def test_state_dict_round_trip() -> None:
    logits = torch.randn(6, 3, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    a = anyloss_torch.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    b = anyloss_torch.CrossEntropyLoss(weight=torch.ones(3, dtype=torch.float64))
    assert not torch.equal(a(logits, labels), b(logits, labels))
    b.load_state_dict(a.state_dict())
    assert torch.equal(a(logits, labels), b(logits, labels))


def test_parameter_hyperparameter_is_learnable() -> None:
    scale = torch.nn.Parameter(torch.tensor(1.5, dtype=torch.float64))
    m = anyloss_torch.CauchyLoss(scale=scale)
    assert [p is scale for p in m.parameters()] == [True]
    x = torch.randn(5, dtype=torch.float64)
    m(x, torch.zeros_like(x)).backward()
    assert scale.grad is not None
    assert torch.isfinite(scale.grad)


@pytest.mark.parametrize("loss", anyloss.available())
def test_pickle_round_trip(loss: str) -> None:
    case = next(c for c in CASES if c.loss == loss and c.id == "default")
    args, kwargs = _tensors(case)
    m = anyloss_torch.LOSS_MODULES[loss](**kwargs)
    clone = pickle.loads(pickle.dumps(m))
    assert type(clone) is type(m)
    assert repr(clone) == repr(m)
    assert torch.equal(clone(*args), m(*args))


INVALID = [(name, bad) for name, bads in all_invalid().items() for bad in bads]


@pytest.mark.parametrize(("loss", "bad"), INVALID, ids=[f"{n}-{b}" for n, b in INVALID])
def test_bad_hyperparameters_fail_at_construction(loss: str, bad: dict[str, Any]) -> None:
    case = next(c for c in CASES if c.loss == loss and c.id == "default")
    _, kwargs = _tensors(case)
    bad = {k: torch_tensor(v) if isinstance(v, np.ndarray) else v for k, v in bad.items()}
    with pytest.raises(ValueError, match=next(iter(bad))):
        anyloss_torch.LOSS_MODULES[loss](**{**kwargs, **bad})


def test_unknown_missing_and_bad_reduction_fail_at_construction() -> None:
    with pytest.raises(TypeError, match="delt"):
        anyloss_torch.HuberLoss(delt=1.0)
    with pytest.raises(TypeError, match="alpha, scale"):
        anyloss_torch.AdaptiveRobustLoss()
    with pytest.raises(ValueError, match="reduction"):
        anyloss_torch.MSELoss(reduction="avg")


def test_unknown_class_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="CrossEntropyLos"):
        anyloss_torch.CrossEntropyLos  # noqa: B018


COMPILED = [
    ("cross_entropy", {"weight": [1.0, 2.0, 3.0, 0.5, 1.5], "label_smoothing": 0.1}, True),
    ("huber", {"delta": 0.5}, True),
    ("dice", {}, True),
    # relu's xp.maximum(x, 0.0) goes through torch.result_type: one graph break (still compiles)
    ("triplet_margin", {"margin": 0.5}, False),
]


def _inputs(loss: str) -> tuple[Any, ...]:
    case = next(c for c in CASES if c.loss == loss and c.id == "default")
    args, _ = _tensors(case)
    return tuple(a.to(torch.float32) if a.is_floating_point() else a for a in args)


@pytest.mark.parametrize(
    ("loss", "hyperparameters", "fullgraph"), COMPILED, ids=[c[0] for c in COMPILED]
)
def test_torch_compile(loss: str, hyperparameters: dict[str, Any], fullgraph: bool) -> None:
    """Dynamo traces each module (as one graph where ``fullgraph``) to the same value."""
    kw = {k: torch.tensor(v) if isinstance(v, list) else v for k, v in hyperparameters.items()}
    m = anyloss_torch.LOSS_MODULES[loss](**kw)
    args = _inputs(loss)
    compiled = torch.compile(m, fullgraph=fullgraph, backend="eager")
    assert torch.allclose(compiled(*args), m(*args), rtol=1e-6, atol=0)


def test_torch_compile_autograd_with_buffer() -> None:
    """A module with a buffer compiled through AOTAutograd: value and gradient.

    (``aot_eager`` traces forward and backward as inductor does, without its ~15 s C++
    build; ``tests/test_compat.py`` covers inductor itself on the function.)"""
    m = anyloss_torch.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0]), label_smoothing=0.1)
    logits = torch.randn(8, 3, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 2, 1])
    eager = m(logits, labels)
    (g_eager,) = torch.autograd.grad(eager, logits)
    compiled = torch.compile(m, fullgraph=True, backend="aot_eager")(logits, labels)
    (g_compiled,) = torch.autograd.grad(compiled, logits)
    assert torch.allclose(compiled, eager, rtol=1e-5, atol=0)
    assert torch.allclose(g_compiled, g_eager, rtol=1e-5, atol=1e-7)


def test_int32_class_indices() -> None:
    """int32 labels (what Keras hands back, or a user's) work where torch's gather needs int64."""
    rng = np.random.default_rng(0)
    scores, labels = torch_tensor(rng.standard_normal((6, 4))), torch.tensor([0, 3, 1, 2, 2, 0])
    for loss in ("multi_margin", "cross_entropy", "nll", "softmax_focal"):
        fn = getattr(anyloss, loss)
        assert torch.equal(fn(scores, labels.to(torch.int32)), fn(scores, labels)), loss
