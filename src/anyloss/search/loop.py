"""``search``: AM-LFS's loop of sampling losses, training copies and updating the controller."""

from __future__ import annotations

import copy as _copy
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .controller import GaussianController
from .space import Family, SampledLoss, family

__all__ = ["EpochReport", "SearchResult", "search"]


@dataclass(frozen=True)
class EpochReport:
    """What one epoch of the search did (passed to a ``progress`` callback)."""

    epoch: int
    epochs: int
    rewards: np.ndarray
    """The ``(samples,)`` rewards of this epoch."""
    best_params: dict[str, np.ndarray]
    """The parameters of this epoch's best copy (carried forward)."""
    mean: dict[str, np.ndarray]
    """The controller's means after this epoch's update."""

    def line(self) -> str:
        """One line of progress."""
        r = self.rewards
        means = "  ".join(f"{k}={_fmt(v)}" for k, v in self.mean.items())
        return (
            f"search epoch {self.epoch + 1}/{self.epochs}: reward mean {r.mean():.4f} "
            f"max {r.max():.4f} | means {means}"
        )


def _fmt(v: np.ndarray) -> str:
    return f"{float(v):.3f}" if v.ndim == 0 else "[" + " ".join(f"{x:.3f}" for x in v) + "]"


@dataclass(frozen=True)
class SearchResult:
    """The outcome of :func:`search`.

    Attributes
    ----------
    family
        The searched :class:`~anyloss.search.space.Family`.
    best_params
        The sampled parameters that trained ``best_model`` in the last epoch.
    best_model
        The copy with the highest reward in the last epoch (the one carried forward).
    best_reward
        Its reward.
    mean, sigma
        The learned distribution: the controller's final means (by parameter name) and
        its fixed standard deviation.
    trajectory
        The controller's means by parameter name, shape ``(epochs + 1, *shape)``: row 0
        is the start (the identity unless ``init`` was given), row ``e + 1`` the means
        after epoch ``e``'s update.
    rewards
        The ``(epochs, samples)`` rewards.
    sampled
        Every sampled parameter by name, shape ``(epochs, samples, *shape)``.
    """

    family: Family
    best_params: dict[str, np.ndarray]
    best_model: Any
    best_reward: float
    mean: dict[str, np.ndarray]
    sigma: float
    trajectory: dict[str, np.ndarray]
    rewards: np.ndarray
    sampled: dict[str, np.ndarray]


def _check_count(name: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}; got {value!r}")


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a number > 0; got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")


def _reward(evaluate: Callable[[Any], Any], model: Any, epoch: int, index: int) -> float:
    reward = float(evaluate(model))
    if not math.isfinite(reward):
        raise ValueError(
            f"evaluate returned {reward} for sample {index} of epoch {epoch}; rewards must be "
            "finite (score a diverged model with a finite number, e.g. its accuracy)"
        )
    return reward


def _report(progress: bool | Callable[[EpochReport], Any], report: EpochReport) -> None:
    if progress is True:
        print(report.line(), file=sys.stderr, flush=True)
    elif callable(progress):
        progress(report)


def _stack(fam: Family, rows: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Flat vectors (any leading shape) back to named arrays with their shapes."""
    flat = np.asarray(rows)
    lead, out, start = flat.shape[:-1], {}, 0
    for k, v in fam.identity.items():
        out[k] = flat[..., start : start + v.size].reshape(*lead, *v.shape)
        start += v.size
    return out


def search(
    train_step: Callable[[Any, SampledLoss], Any],
    evaluate: Callable[[Any], float],
    model: Any,
    *,
    family: str | Family = "am_lfs",
    samples: int = 4,
    epochs: int = 10,
    sigma: float = 0.2,
    lr: float = 0.05,
    seed: int = 0,
    init: Mapping[str, Any] | None = None,
    copy: Callable[[Any], Any] = _copy.deepcopy,
    progress: bool | Callable[[EpochReport], Any] = False,
) -> SearchResult:
    """Search a loss family's parameters by REINFORCE while the model trains (AM-LFS).

    Each epoch the controller (independent Gaussians, fixed ``sigma``, means starting at
    the family's identity: plain cross-entropy) samples ``samples`` parameter sets. Each
    trains its own copy of the current model for one epoch,
    ``train_step(copy(model), loss) -> model``, with ``loss(logits, target)`` that
    member of the family; ``evaluate(model) -> float`` (higher is better, e.g.
    validation accuracy) is its reward. REINFORCE with the mean-reward baseline and one
    Adam step move the means (:class:`~anyloss.search.controller.GaussianController`),
    and the copy with the highest reward (the first on a tie) is carried into the next
    epoch.

    The callbacks are the user's, in any framework. Copies are made with ``copy``
    (default :func:`copy.deepcopy`): for a ``torch.nn.Module`` that copies its
    parameters and buffers, and a ``(module, optimizer)`` tuple or dict deep-copied in
    one call keeps the optimizer bound to the copied parameters. JAX pytrees hold
    immutable arrays; deepcopy copies them, and ``copy=lambda m: m`` is enough when
    ``train_step`` returns a new pytree instead of mutating. The ``model`` passed in is
    never trained itself.

    A sampled member can be undefined on some inputs (an AM-LFS intercept below 0 makes
    τ(p) < 0 for small p): its loss is NaN there. ``train_step`` should not take that
    step; have ``evaluate`` score such a copy low (the examples stop its epoch and give
    it reward 0) so that the controller learns to avoid it.

    Parameters
    ----------
    train_step
        ``train_step(model, loss) -> model``: train one epoch, return the trained model.
    evaluate
        ``evaluate(model) -> float``: the reward; must be finite.
    model
        The initial model (any object ``copy`` can copy).
    family
        ``"am_lfs"`` (6 bins), ``"search_softmax"``, or a
        :class:`~anyloss.search.space.Family` (``anyloss.search.am_lfs(bins=M)``).
    samples
        B, parameter sets (and model copies) per epoch, >= 2 (with one, the mean
        baseline cancels every update).
    epochs
        E, search epochs.
    sigma
        The controller's fixed standard deviation.
    lr
        Adam's step size on the controller's means.
    seed
        Seeds the controller's sampling; the search is deterministic for a seed if the
        callbacks are.
    init
        Initial means by parameter name (default: the family's identity).
    copy
        How to copy a model.
    progress
        ``True`` prints one line per epoch to stderr; a callable receives an
        :class:`EpochReport` per epoch.

    Returns
    -------
    SearchResult
        ``best_params``, ``best_model``, ``trajectory``, ``rewards``, the learned
        ``mean`` and ``sigma``, and every sampled parameter.

    References
    ----------
    Li, Wang, Liu, Sun, Yan, Ouyang, "AM-LFS: AutoML for Loss Function Search",
    ICCV 2019 (arXiv:1905.07375).
    """
    fam = _configure(family, samples, epochs, sigma, lr, seed)
    start = fam.flatten(_initial(fam, init))
    controller = GaussianController(start, sigma=sigma, lr=lr)
    rng = np.random.default_rng(seed)
    rewards = np.zeros((epochs, samples))
    trajectory, sampled = [controller.mean.copy()], []
    parent, best_theta, best_reward = model, start, -math.inf
    for epoch in range(epochs):
        thetas = controller.sample(rng, samples)
        sampled.append(thetas)
        parent, best_i = _epoch(train_step, evaluate, parent, fam, thetas, epoch, copy, rewards)
        best_theta, best_reward = thetas[best_i], float(rewards[epoch, best_i])
        controller.update(thetas, rewards[epoch])
        trajectory.append(controller.mean.copy())
        report = EpochReport(
            epoch, epochs, rewards[epoch].copy(), fam.unflatten(best_theta),
            fam.unflatten(controller.mean),
        )  # fmt: skip
        _report(progress, report)
    return SearchResult(
        family=fam,
        best_params=fam.unflatten(best_theta),
        best_model=parent,
        best_reward=best_reward,
        mean=fam.unflatten(controller.mean),
        sigma=float(sigma),
        trajectory=_stack(fam, trajectory),
        rewards=rewards,
        sampled=_stack(fam, sampled),
    )


def _configure(
    family_: str | Family, samples: Any, epochs: Any, sigma: Any, lr: Any, seed: Any
) -> Family:
    """Validate the search's options; return the family."""
    _check_count("samples", samples, 2)
    _check_count("epochs", epochs, 1)
    _check_count("seed", seed, 0)
    _check_positive("sigma", sigma)
    _check_positive("lr", lr)
    return family(family_)


def _initial(fam: Family, init: Mapping[str, Any] | None) -> dict[str, Any]:
    """The identity, overridden by ``init``; ValueError for unknown names or bad shapes."""
    init = dict(init or {})
    unknown = sorted(set(init) - set(fam.identity))
    if unknown:
        raise ValueError(
            f"init names unknown parameters {unknown}; {fam.name} has {list(fam.identity)}"
        )
    for k, v in init.items():
        if np.shape(v) != fam.identity[k].shape:
            raise ValueError(
                f"init[{k!r}] must have shape {fam.identity[k].shape}; got {np.shape(v)}"
            )
    return {**fam.identity, **init}


def _epoch(
    train_step: Callable[[Any, SampledLoss], Any],
    evaluate: Callable[[Any], float],
    parent: Any,
    fam: Family,
    thetas: np.ndarray,
    epoch: int,
    copy: Callable[[Any], Any],
    rewards: np.ndarray,
) -> tuple[Any, int]:
    """Train a copy of ``parent`` per sample, fill ``rewards[epoch]``; return the best."""
    best, best_i = None, 0
    for i, theta in enumerate(thetas):
        trained = train_step(copy(parent), SampledLoss(fam, fam.unflatten(theta), epoch, i))
        if trained is None:
            raise TypeError("train_step must return the trained model; it returned None")
        rewards[epoch, i] = _reward(evaluate, trained, epoch, i)
        if best is None or rewards[epoch, i] > rewards[epoch, best_i]:
            best, best_i = trained, i
    return best, best_i
