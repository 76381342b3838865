"""Keras 3 losses for every anyloss loss of two arrays. Needs Keras 3 on its jax, torch or
numpy backend; ``import anyloss`` never imports Keras.

Keras calls ``loss(y_true, y_pred, sample_weight)``; anyloss functions take
``(prediction, target)``. The classes here turn one into the other::

    model.compile(optimizer="adam", loss=anyloss.keras.CrossEntropyLoss(label_smoothing=0.1))
    model.compile(optimizer="adam", loss=anyloss.keras.Loss("huber", delta=0.5))

* ``Loss(name, **hyperparameters)`` wraps any registered loss; the generated subclasses
  (``CrossEntropyLoss``, ``HuberLoss``..., named by the same rule as ``anyloss.torch``;
  ``LOSS_CLASSES`` maps each loss name to its class) fix the name. Losses of three
  arrays (``triplet_margin``, ``gaussian_nll``...) have no Keras form.
* Keras casts ``y_true`` to floats; a ``y_true`` with one dimension fewer than
  ``y_pred`` holds class indices (``cross_entropy``, ``nll``, ``ntxent``...) and is cast
  back to integers, as is the target of every loss the registry records as taking class
  labels (``LossSpec.labels``: ``multilabel_margin``'s lists have ``y_pred``'s shape). On
  eager arrays a non-integral label raises ``ValueError``.
* Without ``sample_weight`` the result is exactly the anyloss function's ``"mean"``
  (Keras ``reduction="sum_over_batch_size"``, the default) or ``"sum"``, class weights
  and ``ignore_index`` included. With ``sample_weight`` (or a Keras mask, or
  ``reduction=None``) the loss runs with ``reduction="none"``, is averaged over every
  axis but the first (one value per sample, as Keras's own losses give), and Keras
  weighs and reduces those.
* Hyperparameters are checked at construction; array hyperparameters (class
  ``weight``...) are kept as NumPy arrays and turned into tensors of the loss's dtype
  at each call.
* ``get_config``/``from_config`` and ``keras.saving.register_keras_serializable``
  (package ``"anyloss"``) let ``model.save()`` and ``keras.models.load_model()``
  round-trip a model compiled with these losses.

On Keras's TensorFlow backend the classes raise ``RuntimeError`` at construction:
TensorFlow tensors have no Array API namespace.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, cast

import array_api_compat
import numpy as np

from ._frameworks import (
    array_arguments,
    bind,
    class_names,
    docstring,
    hyperparameter_signature,
    publish,
)
from ._registry import available, spec
from ._validation import is_eager

try:
    import keras
except ImportError as exc:  # Keras absent, or its backend (TensorFlow unless set) missing
    raise ImportError(
        "anyloss.keras needs Keras 3 with its jax, torch or numpy backend (set "
        f"KERAS_BACKEND=jax or torch before keras is imported): {exc}"
    ) from exc

WORKING_BACKENDS = ("jax", "torch", "numpy")
"""Keras backends whose tensors anyloss takes (the numpy backend has no gradients)."""

_DIRECT = {"sum_over_batch_size": "mean", "mean": "mean", "sum": "sum"}
"""Keras reductions that the anyloss function computes itself (no sample weight)."""


def _check_backend() -> None:
    name = keras.backend.backend()
    if name not in WORKING_BACKENDS:
        raise RuntimeError(
            f"anyloss.keras cannot run on Keras's {name!r} backend: its tensors have no "
            f"Array API namespace. Use the {', '.join(WORKING_BACKENDS)} backend "
            "(KERAS_BACKEND=jax, set before keras is imported)."
        )


def _as_labels(loss: str, y_true: Any, y_pred: Any) -> Any:
    """``y_true`` as integer class indices when it has one dimension fewer than ``y_pred``,
    or always where the loss's target holds class labels in every call (``LossSpec.labels``:
    ``multilabel_margin``'s label lists have ``y_pred``'s shape). Keras hands targets over
    as floats."""
    if len(y_true.shape) != len(y_pred.shape) - 1 and 1 not in spec(loss).labels:
        return y_true
    if is_eager(y_true):
        xp = array_api_compat.array_namespace(y_true)
        if not bool(xp.all(y_true == xp.round(y_true))):
            raise ValueError(
                f"y_true holds class indices for {loss}, but some of its values are not integers"
            )
    return keras.ops.cast(y_true, "int32")


@keras.saving.register_keras_serializable(package="anyloss", name="Loss")
class Loss(keras.losses.Loss):
    """The anyloss loss ``loss`` as a Keras loss: ``Loss("huber", delta=0.5)``.

    Parameters
    ----------
    loss
        A registered loss name (``anyloss.available()``) that takes two arrays.
    reduction
        Keras's reduction of the per-sample losses (default ``"sum_over_batch_size"``,
        the anyloss ``"mean"``); see the module docstring.
    name
        The Keras name of the loss (default: ``loss``).
    dtype
        Keras's loss dtype (default ``keras.backend.floatx()``).
    **hyperparameters
        The loss's hyperparameters, checked now (``TypeError`` for an unknown one,
        ``ValueError`` naming a bad value).
    """

    def __init__(
        self,
        loss: str,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **hyperparameters: Any,
    ) -> None:
        _check_backend()
        arrays = array_arguments(loss)
        if len(arrays) != 2:
            raise TypeError(
                f"{loss} takes {len(arrays)} arrays ({', '.join(arrays)}); a Keras loss "
                "gets two, y_true and y_pred"
            )
        bound = bind(loss, hyperparameters)
        super().__init__(name=name or loss, reduction=reduction, dtype=dtype)
        self.loss = loss
        self.hyperparameters = {k: v for k, v in bound.items() if not hasattr(v, "shape")}
        self.array_hyperparameters = {
            k: keras.ops.convert_to_numpy(v) for k, v in bound.items() if hasattr(v, "shape")
        }

    def _loss(self, y_true: Any, y_pred: Any, reduction: str) -> Any:
        kwargs = dict(self.hyperparameters)
        for key, value in self.array_hyperparameters.items():
            dtype = self.dtype if np.issubdtype(value.dtype, np.floating) else None
            kwargs[key] = keras.ops.convert_to_tensor(value, dtype=dtype)
        labels = _as_labels(self.loss, y_true, y_pred)
        return spec(self.loss).fn(y_pred, labels, reduction=reduction, **kwargs)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """One value per sample, for Keras to weigh and reduce: the loss with
        ``reduction="none"``, averaged over every axis but the first (as Keras's own
        losses average over the last)."""
        out = self._loss(y_true, y_pred, "none")
        if len(out.shape) < 2:
            return out
        return keras.ops.mean(out, axis=tuple(range(1, len(out.shape))))

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        direct = _DIRECT.get(cast(str, self.reduction))
        if direct is None or sample_weight is not None or _mask(y_pred) is not None:
            return super().__call__(y_true, y_pred, sample_weight)
        y_true = keras.ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = keras.ops.convert_to_tensor(y_pred, dtype=self.dtype)
        return self._loss(y_true, y_pred, direct)

    def get_config(self) -> dict[str, Any]:
        arrays = {k: v.tolist() for k, v in self.array_hyperparameters.items()}
        return {
            **super().get_config(),
            "loss": self.loss,
            **self.hyperparameters,
            "array_hyperparameters": arrays,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        config = dict(config)
        arrays: dict[str, Any] = {
            k: np.asarray(v) for k, v in config.pop("array_hyperparameters", {}).items()
        }
        plain: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in config.items()
        }
        return cls(**plain, **arrays)

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in self.hyperparameters.items()]
        if type(self) is Loss:
            args.insert(0, repr(self.loss))
        return f"anyloss.keras.{type(self).__name__}({', '.join(args)})"


def _mask(x: Any) -> Any:
    get = getattr(keras.backend, "get_keras_mask", None)
    return get(x) if get is not None else getattr(x, "_keras_mask", None)


class _NamedLoss(Loss):
    """Base of the generated classes: the loss name is the class's."""

    loss_name: ClassVar[str] = ""

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["loss"]
        return config


def _keras_class(cls_name: str, loss: str) -> type[Loss]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
        *hyperparameter_signature(loss, reduction=False),
        inspect.Parameter("reduction", keyword, default="sum_over_batch_size"),
        inspect.Parameter("name", keyword, default=None),
        inspect.Parameter("dtype", keyword, default=None),
    ]

    def __init__(self: Loss, **kwargs: Any) -> None:
        Loss.__init__(self, loss, **kwargs)

    __init__.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls_name}.__init__"
    arrays = array_arguments(loss)
    header = (
        f"Keras loss of :func:`anyloss.{loss}`: ``{cls_name}(**hyperparameters)(y_true, "
        f"y_pred)`` is ``anyloss.{loss}(y_pred, y_true, **hyperparameters)`` ({arrays[0]} = "
        f"y_pred, {arrays[1]} = y_true); ``reduction``, ``name`` and ``dtype`` are "
        "Keras's (see :class:`anyloss.keras.Loss`). The loss function's documentation "
        "follows."
    )
    namespace = {
        "__init__": __init__,
        "loss_name": loss,
        "__doc__": docstring(loss, header),
        "__module__": __name__,
        "__qualname__": cls_name,
    }
    cls = type(cls_name, (_NamedLoss,), namespace)
    return cast(type[Loss], keras.saving.register_keras_serializable("anyloss", cls_name)(cls))


LOSS_CLASSES: dict[str, type[Loss]] = {
    loss: _keras_class(cls_name, loss)
    for cls_name, loss in class_names(available()).items()
    if len(array_arguments(loss)) == 2
}
"""Loss name -> its generated Keras class (every loss of two arrays)."""

__all__ = publish(globals(), LOSS_CLASSES.values(), "LOSS_CLASSES", "WORKING_BACKENDS", "Loss")


def __getattr__(name: str) -> type[Loss]:
    """Only reached for a name that is not here (a type checker reads it as "every
    generated class is a ``type[Loss]``", since the classes are made at import)."""
    raise AttributeError(f"module 'anyloss.keras' has no attribute {name!r}")
