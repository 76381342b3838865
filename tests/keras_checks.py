"""Checks of ``anyloss.keras`` on one Keras backend, run by ``tests/test_keras.py`` as
``KERAS_BACKEND=<jax|torch> pytest tests/keras_checks.py`` in a fresh process (Keras
reads its backend once, at import). Not collected by a plain ``pytest`` run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss._checker.tolerance import TOLERANCES, deviation
from tests.cases import Case, all_cases

keras = pytest.importorskip("keras")
anyloss_keras = pytest.importorskip("anyloss.keras")
keras.config.set_floatx("float64")

BACKEND = os.environ["KERAS_BACKEND"]
DEFAULTS = [c for c in all_cases() if c.id == "default" and c.loss in anyloss_keras.LOSS_CLASSES]
KERAS_REDUCTIONS = {"mean": "sum_over_batch_size", "sum": "sum"}


def test_backend_is_the_one_asked_for() -> None:
    assert keras.backend.backend() == BACKEND


def _numpy(x: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def _traced(loss: Any) -> Any:
    """On jax, the loss under ``jax.jit``, as ``model.fit`` runs it (and one compile
    instead of one per operation); elsewhere the loss itself."""
    if BACKEND != "jax":
        return loss
    import jax

    return jax.jit(lambda y_true, y_pred: loss(y_true, y_pred))


@pytest.mark.parametrize("case", DEFAULTS, ids=[c.loss for c in DEFAULTS])
def test_matches_reference(case: Case) -> None:
    """``Cls(**kw)(y_true, y_pred)`` equals the float64 reference of ``loss(y_pred, y_true)``.

    Keras hands the loss ``y_true`` as floats; class indices come back as integers.
    """
    (pred, target), kwargs = case.inputs()
    for reduction in ("mean", "sum"):
        loss = anyloss_keras.LOSS_CLASSES[case.loss](
            reduction=KERAS_REDUCTIONS[reduction], **kwargs
        )
        got = _numpy(_traced(loss)(target, pred))
        expected = np.asarray(case.reference(pred, target, reduction=reduction, **kwargs))
        dev = deviation(got, expected)
        assert dev <= TOLERANCES["float64"].value, f"{case.loss} [{reduction}]: {dev:.3g}"


SAMPLE_WEIGHTED = ["cross_entropy", "mse", "huber", "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("name", SAMPLE_WEIGHTED)
def test_sample_weight_weighs_the_unreduced_loss(name: str) -> None:
    """With ``sample_weight``, Keras weighs and averages the per-sample values (the
    ``reduction="none"`` output averaged over every axis but the first)."""
    case = next(c for c in DEFAULTS if c.loss == name)
    (pred, target), kwargs = case.inputs()
    unreduced = np.asarray(case.reference(pred, target, reduction="none", **kwargs))
    per_sample = unreduced.reshape(unreduced.shape[0], -1).mean(axis=1)
    weights = np.random.default_rng(3).random(per_sample.shape[0])
    expected = np.sum(weights * per_sample) / per_sample.size
    got = _numpy(anyloss_keras.Loss(name, **kwargs)(target, pred, sample_weight=weights))
    # keras.ops reductions on jax lose float64 precision (tests/cases/_keras.py)
    assert deviation(got, expected) <= 1e-6


def test_class_index_targets_are_cast_back_and_checked() -> None:
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    loss = anyloss_keras.CrossEntropyLoss()
    expected = float(anyloss.cross_entropy(logits, labels))
    assert abs(float(_numpy(loss(labels.astype("float64"), logits))) - expected) < 1e-12
    with pytest.raises(ValueError, match="not integers"):
        loss(labels + 0.5, logits)


def _model(n_out: int) -> Any:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(n_out)])


@pytest.mark.parametrize(
    ("loss", "n_out", "targets"),
    [
        (lambda: anyloss_keras.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5])), 3, "labels"),
        (lambda: anyloss_keras.Loss("huber", delta=0.5), 1, "values"),
    ],
    ids=["CrossEntropyLoss-weight", "Loss-huber"],
)
def test_fit_save_load_round_trip(loss: Any, n_out: int, targets: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4))
    y = rng.integers(0, 3, 32) if targets == "labels" else rng.standard_normal((32, 1))
    model = _model(n_out)
    model.compile(optimizer="sgd", loss=loss())
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.loss) is type(model.loss)
    assert loaded.loss.get_config() == model.loss.get_config()
    before = model.evaluate(x, y, batch_size=32, verbose=0)
    assert loaded.evaluate(x, y, batch_size=32, verbose=0) == pytest.approx(before, rel=1e-12)
    # evaluate on one batch is exactly the anyloss function
    pred = _numpy(model(x))
    fn = getattr(anyloss, model.loss.loss)
    kwargs = {**model.loss.hyperparameters, **model.loss.array_hyperparameters}
    # (Keras keeps its metric totals in float32)
    assert before == pytest.approx(float(fn(pred, y, **kwargs)), rel=1e-6)


@pytest.mark.parametrize("case", DEFAULTS, ids=[c.loss for c in DEFAULTS])
def test_config_round_trip(case: Case) -> None:
    (pred, target), kwargs = case.inputs()
    loss = anyloss_keras.LOSS_CLASSES[case.loss](**kwargs)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(clone) is type(loss)
    assert clone.get_config() == loss.get_config()
    expected = getattr(anyloss, case.loss)(pred, target, **kwargs)
    assert deviation(_numpy(_traced(clone)(target, pred)), expected) <= 1e-12


def test_construction_checks() -> None:
    with pytest.raises(TypeError, match="3 arrays"):
        anyloss_keras.Loss("triplet_margin")
    with pytest.raises(TypeError, match="delt"):
        anyloss_keras.HuberLoss(delt=1.0)
    with pytest.raises(ValueError, match="delta"):
        anyloss_keras.Loss("huber", delta=-1.0)
    with pytest.raises(KeyError, match="huber"):
        anyloss_keras.Loss("hubber")


def test_tensorflow_backend_is_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    with pytest.raises(RuntimeError, match=r"'tensorflow' backend.*jax, torch, numpy"):
        anyloss_keras.CrossEntropyLoss()
