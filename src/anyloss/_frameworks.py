"""What the framework adapters (``anyloss.torch``, ``anyloss.keras``) share: class names,
hyperparameter binding and generated docstrings, all read from the registry.

Naming rule for the generated classes: split the loss name at ``_``, capitalise each
word (the words in ``WORDS`` are spelled as written there: acronyms, ``MultiLabel``),
join and append ``Loss``: ``cross_entropy`` -> ``CrossEntropyLoss``, ``mse`` ->
``MSELoss``, ``poisson_nll`` -> ``PoissonNLLLoss``. ``NAMES`` overrides the rule where
torch spells the same loss its own way (``binary_cross_entropy`` -> ``BCELoss``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from ._registry import Loss, spec

__all__ = [
    "NAMES",
    "WORDS",
    "array_arguments",
    "bind",
    "class_name",
    "class_names",
    "docstring",
    "publish",
]

WORDS: dict[str, str] = {
    "mse": "MSE",
    "mae": "MAE",
    "msle": "MSLE",
    "mape": "MAPE",
    "nll": "NLL",
    "kl": "KL",
    "js": "JS",
    "ctc": "CTC",
    "ce": "CE",
    "mcc": "MCC",
    "iou": "IoU",
    "l1": "L1",
    "multilabel": "MultiLabel",
    "ntxent": "NTXent",
    "supcon": "SupCon",
    "arcface": "ArcFace",
    "cosface": "CosFace",
}
"""Words of loss names not spelled by plain capitalisation."""

NAMES: dict[str, str] = {
    "binary_cross_entropy": "BCELoss",
    "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
}
"""Whole-name exceptions to the rule (torch's own class names for the same loss)."""


def class_name(loss: str) -> str:
    """The class name of loss ``loss`` under the naming rule (see the module docstring)."""
    if loss in NAMES:
        return NAMES[loss]
    return "".join(WORDS.get(w, w.capitalize()) for w in loss.split("_")) + "Loss"


def class_names(losses: tuple[str, ...]) -> dict[str, str]:
    """``{class name: loss name}``; ``RuntimeError`` if two losses would share a class."""
    out: dict[str, str] = {}
    for loss in losses:
        cls = class_name(loss)
        if cls in out:
            raise RuntimeError(f"losses {out[cls]!r} and {loss!r} both map to class {cls}")
        out[cls] = loss
    return out


def array_arguments(loss: str) -> tuple[str, ...]:
    """Names of the positional (array) parameters of ``loss``, in order."""
    params = inspect.signature(spec(loss).fn).parameters.values()
    return tuple(p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD)


def hyperparameter_signature(loss: str, *, reduction: bool = True) -> list[inspect.Parameter]:
    """The keyword-only parameters of ``loss`` (without ``reduction`` if asked)."""
    params = inspect.signature(spec(loss).fn).parameters.values()
    return [p for p in params if p.kind is p.KEYWORD_ONLY and (reduction or p.name != "reduction")]


def bind(loss: str, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``hyperparameters`` of ``loss`` now, as ``anyloss.get`` does.

    ``TypeError`` for an unknown or a missing required one, ``ValueError`` (naming it)
    for a bad value. Returns them as a new dict.
    """
    missing = [
        p.name
        for p in hyperparameter_signature(loss)
        if p.default is p.empty and p.name not in hyperparameters
    ]
    if missing:
        raise TypeError(f"{loss} needs the hyperparameter(s) {', '.join(missing)}")
    Loss(loss, **hyperparameters)  # unknown names: TypeError; bad values: ValueError
    return dict(hyperparameters)


def docstring(loss: str, header: str) -> str:
    """``header`` followed by the docstring of the loss function (dedented)."""
    body = inspect.cleandoc(spec(loss).fn.__doc__ or "")
    return f"{header}\n\n{body}\n"


def publish(namespace: MutableMapping[str, Any], classes: Iterable[type], *names: str) -> list[str]:
    """Put generated ``classes`` into a module's ``namespace``; return its ``__all__``
    (``names`` first, then the classes' names, sorted)."""
    classes = list(classes)
    namespace.update({cls.__name__: cls for cls in classes})
    return [*names, *sorted(cls.__name__ for cls in classes)]
