"""The registry: every public loss is registered here exactly once.

``@loss(rules=...)`` records a loss function with the rules its hyperparameters obey; its
family is its module's (``FAMILY_OF_MODULE``). The decorator checks ``reduction`` and the
hyperparameters a caller passes before any array work, then calls the loss through
``_inputs.guarded_call`` (array arguments checked, half precision computed in float32).
Example inputs and differentiable arguments, which only the checks use, live in
``anyloss._checker``.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._compat import own_code
from ._delegation import has_kernel, native_call
from ._inputs import guarded_call
from ._validation import Rule, check_reduction

__all__ = ["Loss", "LossSpec", "available", "get", "loss", "spec"]

F = TypeVar("F", bound=Callable[..., Any])
Coupling = Callable[[Mapping[str, Any], int], bool]
"""``coupled(hyperparameters, ndim)``: the loss couples the indices of axis 0."""


@dataclass(frozen=True)
class LossSpec:
    """What the registry knows of one loss."""

    name: str
    family: str
    fn: Callable[..., Any]
    rules: Mapping[str, Rule] = field(default_factory=dict)
    scalars: tuple[str, ...] = ()
    """Positional arguments that may also be a Python number (all others must be arrays)."""
    labels: tuple[int, ...] = ()
    """Positions of the array arguments that hold integer class labels in every call (never
    probabilities): ``anyloss.keras`` casts Keras's float ``y_true`` back for them."""
    coupled: bool | Coupling = False
    """Whether the loss at one index of axis 0 depends on other indices of axis 0:
    ``coupled(hyperparameters, ndim)`` (defaults filled in, ``ndim`` of the first input).
    Then sums over shards of the batch do not add up to the mean."""

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """Keyword-only parameters and their defaults (``reduction`` included)."""
        sig = inspect.signature(self.fn)
        return {p.name: p.default for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY}

    def check(self, kwargs: Mapping[str, Any]) -> None:
        """Validate hyperparameters by their rules; ``ValueError`` names the bad one."""
        for key, value in kwargs.items():
            if key == "reduction":
                check_reduction(value)
            else:
                rule = self.rules.get(key)
                if rule is not None:
                    rule(key, value)


_REGISTRY: dict[str, LossSpec] = {}
_ENTRY: dict[str, Callable[..., Any]] = {}
"""The public function of each loss: hyperparameter checks, native kernel, portable body."""
_PREVALIDATED: dict[str, Callable[..., Any]] = {}
"""Each loss's call path without the hyperparameter checks (for callers that validated
them once, as the torch modules do at construction): array checks, half precision in
float32, native kernel or portable body."""
FAMILY_OF_MODULE = {
    "regression": "regression",
    "binary": "classification",
    "classification": "classification",
    "multiclass": "classification",
    "divergence": "classification",
    "sequence": "classification",
    "vocabulary": "classification",
    "segmentation": "segmentation",
    "segmentation_counts": "segmentation",
    "detection": "detection",
    "embedding": "embedding",
    "metric_learning": "embedding",
    "ranking": "embedding",
    "robust": "robust",
}
"""The family of each module of losses (``anyloss.<module>``): one docs page per family."""
FAMILIES = tuple(dict.fromkeys(FAMILY_OF_MODULE.values()))
"""The families, in the order of the docs and of ``available()``."""


def _family(fn: Callable[..., Any]) -> str:
    """The family of ``fn``'s module; ``RuntimeError`` for a module the table lacks."""
    module = fn.__module__.rsplit(".", 1)[-1]
    try:
        return FAMILY_OF_MODULE[module]
    except KeyError:
        raise RuntimeError(
            f"loss {fn.__name__!r}: module {module!r} has no family in "
            "anyloss._registry.FAMILY_OF_MODULE"
        ) from None


def loss(
    *,
    rules: Mapping[str, Rule] | None = None,
    scalars: tuple[str, ...] = (),
    coupled: bool | Coupling = False,
    labels: tuple[int, ...] = (),
) -> Callable[[F], F]:
    """Register a public loss and validate its hyperparameters on every call.

    ``labels`` are the positions of the arguments that always hold integer class labels.
    ``coupled`` marks a loss whose per-sample values depend on the rest of the batch
    (``True``, or a predicate of the hyperparameters and the input's ``ndim``); see
    :func:`anyloss.shardable`.
    """

    def decorate(fn: F) -> F:
        name = fn.__name__
        if name in _REGISTRY:
            raise RuntimeError(f"loss {name!r} is registered twice")
        spec_ = LossSpec(
            name, _family(fn), fn, dict(rules or {}), scalars, coupled=coupled, labels=labels
        )
        call = _call_path(name, fn, scalars)

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if kwargs:
                spec_.check(kwargs)
            return call(args, kwargs)

        def prevalidated(*args: Any, **kwargs: Any) -> Any:
            return call(args, kwargs)

        _REGISTRY[name] = spec_
        _ENTRY[name] = own_code(checked, name)
        _PREVALIDATED[name] = own_code(prevalidated, name)
        return checked  # type: ignore[return-value]

    return decorate


def _call_path(
    name: str, fn: Callable[..., Any], scalars: tuple[str, ...]
) -> Callable[[tuple[Any, ...], Mapping[str, Any]], Any]:
    """``call(args, kwargs)``: the backend's own kernel where ``_delegation`` has one that
    accepts the call, else ``fn`` through ``guarded_call`` (array checks, half precision in
    float32).

    The kernel is asked first: it accepts only arrays it checks itself (float32/float64
    and integer tensors), so ``guarded_call``'s loop over the arguments would find nothing
    to do there. A call it declines goes through ``guarded_call`` to ``fn``; only its
    half-precision path asks the kernel again, in float32. A loss with no kernel on any
    backend asks nothing per call."""
    if not has_kernel(name):
        return lambda args, kwargs: guarded_call(name, fn, args, kwargs, scalars)

    @functools.wraps(fn)
    def native_or_portable(*args: Any, **kwargs: Any) -> Any:
        out = native_call(name, args, kwargs)
        return fn(*args, **kwargs) if out is NotImplemented else out

    def call(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        out = native_call(name, args, kwargs)  # a backend's own kernel, where semantics agree
        if out is NotImplemented:
            return guarded_call(name, fn, args, kwargs, scalars, native_or_portable)
        return out

    return call


def prevalidated(name: str) -> Callable[..., Any]:
    """Loss ``name``'s call path for hyperparameters validated beforehand (see ``get``)."""
    spec(name)  # KeyError with suggestions for an unknown name
    return _PREVALIDATED[name]


def available(family: str | None = None) -> tuple[str, ...]:
    """Names of every registered loss (of one ``family`` if given), family by family."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    specs = sorted(_REGISTRY.values(), key=lambda s: FAMILIES.index(s.family))
    return tuple(s.name for s in specs if family is None or s.family == family)


def spec(name: str) -> LossSpec:
    """The registry entry of ``name``; ``KeyError`` suggests close names (or lists all)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3, cutoff=0.6)
        if close:
            hint = f"did you mean {' or '.join(map(repr, close))}? (anyloss.available() lists all)"
        else:
            hint = f"available: {', '.join(available())}"
        raise KeyError(f"no loss named {name!r}; {hint}") from None


class Loss:
    """A loss with its hyperparameters bound: ``anyloss.get("huber", delta=2.0)``.

    Calling it calls the loss with the bound hyperparameters (call-time keywords win).
    It is picklable (by name and hyperparameters) and has a readable repr.
    """

    __slots__ = ("_fn", "hyperparameters", "name")

    def __init__(self, name: str, **hyperparameters: Any) -> None:
        s = spec(name)
        allowed = s.hyperparameters
        unknown = sorted(set(hyperparameters) - set(allowed))
        if unknown:
            raise TypeError(
                f"{name}() has no hyperparameter {', '.join(map(repr, unknown))}; "
                f"it takes {', '.join(allowed)}"
            )
        s.check(hyperparameters)
        self.name = name
        self.hyperparameters = dict(hyperparameters)
        self._fn = _ENTRY[name]

    def __call__(self, *arrays: Any, **kwargs: Any) -> Any:
        return self._fn(*arrays, **{**self.hyperparameters, **kwargs})

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.hyperparameters.items())
        return f"anyloss.get({self.name!r}{args})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.name, self.hyperparameters))


def _rebuild(name: str, hyperparameters: dict[str, Any]) -> Loss:
    return Loss(name, **hyperparameters)


def get(name: str, **hyperparameters: Any) -> Loss:
    """Return loss ``name`` configured with ``hyperparameters``, validated now.

    Examples
    --------
    >>> import anyloss, numpy as np
    >>> huber = anyloss.get("huber", delta=0.5)
    >>> huber
    anyloss.get('huber', delta=0.5)
    >>> float(huber(np.array([0.0, 2.0]), np.zeros(2)))
    0.4375
    """
    return Loss(name, **hyperparameters)
