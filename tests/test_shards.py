"""Global normalisation: shards' sums and denominators add up to the batch's "mean".

Registry-driven: every case of the matrix (every registered loss, its hyperparameter
variants) whose loss is shardable for those inputs is split along axis 0 into uneven
shards (one of them empty); the sum of the shards' numerators over the sum of their
denominators must equal the float64 reference "mean" of the whole batch, and each shard's
numerator its reference "sum". The losses that are not shardable are listed in
``docs/scale.md``, checked here against the registry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import array_api_compat
import numpy as np
import pytest

import anyloss
from anyloss import _checker
from anyloss._checker.tolerance import TOLERANCES, deviation
from tests._backends import Backend, selected_backends
from tests.cases import Case, all_cases

ROOT = Path(__file__).resolve().parents[1]
IDENTITY = 1e-12  # float64 rounding of a few hundred terms summed in another order
REFERENCE = TOLERANCES["float64"].value
# "mean" averages each sample's loss divided by its own normaliser (ctc: its target
# length, as torch), so the numerator is the sum of those quotients, not reduction="sum"
NORMALISED_PER_SAMPLE = {"ctc"}


def _batch_size(arrays: tuple[Any, ...]) -> int:
    first = arrays[0]
    return int(first.shape[0]) if getattr(first, "ndim", 0) else 0


def _is_shardable(case: Case) -> bool:
    arrays, kw = case.inputs()
    return _batch_size(arrays) >= 2 and anyloss.shardable(case.loss, *arrays, **kw)


CASES = all_cases()
SHARDABLE = [c for c in CASES if _is_shardable(c)]
# the shard arithmetic is NumPy float64 whatever the backends: one session runs it
numpy_session = pytest.mark.skipif(
    "numpy" not in {b.name for b in selected_backends()},
    reason="NumPy float64 shard arithmetic; runs where the numpy backend is selected",
)


def _rows(x: Any, n: int, part: slice) -> Any:
    """``x[part]`` for an array that runs along the batch axis, else ``x`` unchanged.

    Positional arrays are batch arrays; an array hyperparameter is one when it has the
    inputs' rank and batch size (a per-element ``weight``), not when it is per class.
    """
    if isinstance(x, np.ndarray) and x.ndim >= 1 and x.shape[0] == n:
        return x[part]
    return x


def _shards(n: int) -> list[slice]:
    """Uneven shards of ``range(n)``: sizes 1, about n/2, the rest, and an empty one."""
    cut = max(2, n // 2 + 1) if n > 2 else 1
    return [slice(0, 1), slice(1, cut), slice(cut, cut), slice(cut, n)]


def _shard_inputs(
    arrays: tuple[Any, ...], kw: dict[str, Any], part: slice
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    n = _batch_size(arrays)
    ndim = arrays[0].ndim
    shard = tuple(_rows(a, n, part) for a in arrays)
    shard_kw = {
        k: _rows(v, n, part) if getattr(v, "ndim", -1) == ndim else v for k, v in kw.items()
    }
    return shard, shard_kw


@numpy_session
@pytest.mark.parametrize("case", SHARDABLE, ids=[c.name for c in SHARDABLE])
def test_shards_add_up_to_the_mean(case: Case) -> None:
    """Σ numerators / Σ denominators over shards = the reference mean of the whole batch."""
    arrays, kw = case.inputs()
    numerators, denominators = [], []
    for part in _shards(_batch_size(arrays)):
        shard, shard_kw = _shard_inputs(arrays, kw, part)
        num, den = anyloss.mean_parts(case.loss, *shard, **shard_kw)
        assert np.shape(num) == () == np.shape(den)
        if case.loss in NORMALISED_PER_SAMPLE:
            mean = case.reference(*shard, reduction="mean", **shard_kw)
            expected_sum = mean * _batch_size(shard)
        else:
            expected_sum = case.reference(*shard, reduction="sum", **shard_kw)
        assert deviation(num, expected_sum) <= REFERENCE, f"{case.name} shard {part}: sum"
        numerators.append(float(num))
        denominators.append(float(den))
    total, count = sum(numerators), sum(denominators)
    got = total / count if count != 0 else 0.0
    expected = case.reference(*arrays, reduction="mean", **kw)
    assert deviation(np.asarray(got), expected) <= REFERENCE, (
        f"{case.name}: shards give {got!r}, the batch's mean is {float(expected)!r} "
        f"(denominators {denominators})"
    )
    unsplit = getattr(anyloss, case.loss)(*arrays, **kw)  # the same, to float64 rounding
    assert deviation(np.asarray(got), unsplit) <= IDENTITY, f"{case.name}: {got!r} {unsplit!r}"


def test_every_loss_is_covered() -> None:
    """Each registered loss is checked on shards, or the docs say it couples the batch."""
    checked = {c.loss for c in SHARDABLE}
    coupled = _documented_coupled()
    for name in anyloss.available():
        assert name in checked or name in coupled, (
            f"{name}: no shardable case ran and docs/scale.md does not list it as coupled"
        )


def _documented_coupled() -> set[str]:
    """The loss names in the "not shardable" list of ``docs/scale.md``."""
    text = (ROOT / "docs" / "scale.md").read_text()
    block = text.split("<!-- not-shardable -->")[1].split("<!-- /not-shardable -->")[0]
    return set(re.findall(r"`([a-z_0-9]+)`", block))


def test_docs_list_the_losses_that_are_not_shardable_by_default() -> None:
    """``docs/scale.md`` names exactly the losses that default hyperparameters couple."""
    rng = np.random.default_rng(0)
    not_by_default = set()
    for name in anyloss.available():
        arrays, kw = _checker.example(name)(rng)
        if not anyloss.shardable(name, *arrays, **kw):
            not_by_default.add(name)
    assert not_by_default == _documented_coupled()


# --- the normalisers, against independent counts ------------------------------------------


def test_cross_entropy_denominator_is_the_kept_target_weight() -> None:
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((7, 4))
    labels = np.array([0, 3, -1, 2, -1, 1, 3])
    weight = np.array([0.5, 1.0, 2.0, 3.0])
    num, den = anyloss.mean_parts("cross_entropy", logits, labels, weight=weight, ignore_index=-1)
    assert float(den) == pytest.approx(0.5 + 3.0 + 2.0 + 1.0 + 3.0, abs=0)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    kept = labels != -1
    expected = -(weight[labels[kept]] * log_p[kept, labels[kept]]).sum()
    assert float(num) == pytest.approx(expected, rel=1e-14)


def test_an_all_ignored_shard_adds_nothing() -> None:
    logits = np.random.default_rng(4).standard_normal((3, 5))
    num, den = anyloss.mean_parts("nll", logits, np.full(3, 7), ignore_index=7)
    assert (float(num), float(den)) == (0.0, 0.0)


def test_count_denominator_is_the_number_of_unreduced_values() -> None:
    x = np.zeros((4, 3, 2))
    assert float(anyloss.mean_denominator("mse", x, x)) == 24.0
    assert float(anyloss.mean_denominator("dice", x, x, axis=(1, 2))) == 4.0
    assert float(anyloss.mean_denominator(anyloss.get("kl_div", axis=1), x, x)) == 8.0


def test_half_precision_denominator_is_float32() -> None:
    """bfloat16 counts exactly only to 256; the denominator is float32 (the sum is not)."""
    torch = pytest.importorskip("torch")
    x = torch.zeros((300, 2), dtype=torch.bfloat16)
    num, den = anyloss.mean_parts(anyloss.mse, x, x)
    assert num.dtype == torch.bfloat16
    assert den.dtype == torch.float32
    assert float(den) == 600.0


def test_parts_live_in_the_inputs_namespace(backend: Backend) -> None:
    rng = np.random.default_rng(5)
    logits = backend.asarray(rng.standard_normal((6, 4)), "float32")
    labels = backend.asarray(np.array([1, 0, 3, 3, 2, 0]), "int64")
    num, den = anyloss.mean_parts("cross_entropy", logits, labels, ignore_index=3)
    for part in (num, den):
        assert array_api_compat.array_namespace(part) is backend.xp
        assert part.dtype == logits.dtype
        assert array_api_compat.device(part) == array_api_compat.device(logits)
    assert float(backend.to_numpy(den)) == 4.0


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "why"),
    [
        ("ntxent", {}, "couples the samples"),
        ("lovasz_hinge", {}, "couples the samples"),
        ("dice", {}, "axis=None"),
        ("cross_entropy", {"axis": 0}, "axis=0"),
    ],
)
def test_not_shardable_is_refused_with_the_reason(
    name: str, kwargs: dict[str, Any], why: str
) -> None:
    arrays, kw = _checker.example(name)(np.random.default_rng(0))
    kw = {**kw, **kwargs}
    assert not anyloss.shardable(name, *arrays, **kw)
    with pytest.raises(ValueError, match=re.escape(why)):
        anyloss.mean_parts(name, *arrays, **kw)


def test_lovasz_hinge_per_image_is_shardable() -> None:
    arrays, _ = _checker.example("lovasz_hinge")(np.random.default_rng(0))
    assert anyloss.shardable("lovasz_hinge", *arrays, per_image=True)


def test_bad_arguments() -> None:
    x = np.zeros((2, 3))
    with pytest.raises(TypeError, match="no reduction"):
        anyloss.mean_parts("mse", x, x, reduction="sum")
    with pytest.raises(TypeError, match="hyperparameter 'delta'"):
        anyloss.mean_parts("mse", x, x, delta=1.0)
    with pytest.raises(ValueError, match="delta"):
        anyloss.mean_parts("huber", x, x, delta=-1.0)
    with pytest.raises(TypeError, match="loss must be"):
        anyloss.mean_parts(np.mean, x, x)
    with pytest.raises(KeyError, match="no loss named"):
        anyloss.mean_parts("msee", x, x)
