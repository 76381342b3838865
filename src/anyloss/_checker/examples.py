"""The example table: every registered loss's example inputs and differentiable arguments.

``anyloss check`` runs each loss on its example; it is also the ``"default"`` case of the
test matrix (a ``Case`` without ``make``) and the input of the registry-wide tests (errors,
extreme inputs, properties, shards, delegation). ``wrt`` names the inputs whose gradient
is checked: positions of array arguments, or names of array keywords (``(0,)`` unless
given). ``tests/test_registry.py`` fails for a registered loss without an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .makers import (
    Example,
    arrays,
    binary,
    boxes,
    integers,
    label_sets,
    normal,
    one_hot,
    signs,
    simplex,
    uniform,
    unit_rows,
)

__all__ = ["EXAMPLES", "Entry"]


@dataclass(frozen=True)
class Entry:
    """One loss's example inputs and the inputs its gradient is checked against."""

    example: Example
    wrt: tuple[int | str, ...] = (0,)
    """Differentiable inputs: positions of array arguments, or names of array keywords."""


def _ranking_lists(rng: np.random.Generator) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Four lists of six items, graded relevance 0–3, the last two items of two lists
    masked (every list keeps valid items)."""
    scores, grades = 2 * rng.standard_normal((4, 6)), rng.uniform(0.0, 1.0, (4, 6))
    where = np.ones((4, 6), dtype=bool)
    where[::2, 4:] = False
    return (scores, np.floor(4 * grades)), {"where": where}


def _ctc_sequences(rng: np.random.Generator) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Three sequences of 6, 5 and 4 steps over five symbols (0 the blank), targets of
    length 3, 2 and 1."""
    (logits, targets), _ = arrays(normal(3, 6, 5), integers(3, 3, low=1, high=5))(rng)
    lengths = np.array([6, 5, 4], dtype=np.int64), np.array([3, 2, 1], dtype=np.int64)
    return (logits, targets, *lengths), {}


def _tokens(rng: np.random.Generator) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Six tokens, four features, a vocabulary of eleven, a bias."""
    made, _ = arrays(normal(6, 4), normal(11, 4), integers(6, high=11))(rng)
    return made, {"bias": normal(11, scale=0.5)(rng)}


_PROBS = arrays(uniform(6, 5, low=0.02, high=0.98), binary(6, 5))
_LOGITS = arrays(normal(6, 5, scale=2.0), binary(6, 5))
_SCORES = arrays(normal(6, 5, scale=1.5), signs(6, 5))
_LOGITS_LABELS = arrays(normal(6, 5, scale=2.0), integers(6, high=5))
_CLASS_SCORES = arrays(normal(6, 5), integers(6, high=5))
_DISTRIBUTIONS = arrays(simplex(6, 5), simplex(6, 5))
_BOXES = arrays(boxes(6), boxes(6))
_TRIPLETS = arrays(normal(6, 4, scale=0.5), normal(6, 4, scale=0.5), normal(6, 4, scale=0.5))
_COSINE_LABELS = arrays(uniform(6, 5, low=-0.85, high=0.95), integers(6, high=5), scale=16.0)
_BATCH_LABELS = arrays(normal(8, 4), integers(8, high=3), temperature=0.5)
_PAIR = arrays(normal(6, 5), normal(6, 5))
_WIDE_PAIR = arrays(normal(6, 5, scale=2.0), normal(6, 5))
_MASKS = arrays(uniform(2, 4, 5), binary(2, 4, 5))
_PIXEL_LABELS = arrays(normal(2, 4, 4, 3, scale=2.0), integers(2, 4, 4, high=3))
_ALPHAS = np.array([-3.0, -0.5, 0.7, 1.3, 3.0])
_ALPHAS_NLL = np.array([0.3, 0.9, 1.4, 2.6, 3.5])
_SCALE_ROWS = np.array([[0.7], [1.0], [1.3], [0.8], [1.1], [1.6]])

EXAMPLES: dict[str, Entry] = {
    # binary.py
    "binary_cross_entropy": Entry(_PROBS),
    "binary_cross_entropy_with_logits": Entry(_LOGITS),
    "sigmoid_focal": Entry(_LOGITS),
    "binary_focal": Entry(_PROBS),
    "hinge": Entry(_SCORES),
    "squared_hinge": Entry(_SCORES),
    "categorical_hinge": Entry(arrays(normal(6, 5), one_hot(6, 5))),
    "multi_margin": Entry(_CLASS_SCORES),
    "soft_margin": Entry(_SCORES),
    "multilabel_soft_margin": Entry(_LOGITS),
    # classification.py
    "cross_entropy": Entry(_LOGITS_LABELS),
    "nll": Entry(arrays(lambda r: normal(6, 5)(r) - 3.0, integers(6, high=5))),
    "categorical_cross_entropy": Entry(_DISTRIBUTIONS),
    "softmax_focal": Entry(_LOGITS_LABELS),
    "poly1_cross_entropy": Entry(_LOGITS_LABELS),
    # detection.py
    "generalized_box_iou": Entry(_BOXES),
    "distance_box_iou": Entry(_BOXES),
    "complete_box_iou": Entry(_BOXES),
    # divergence.py
    "kl_div": Entry(_DISTRIBUTIONS),
    "js_div": Entry(_DISTRIBUTIONS),
    "generalized_kl_div": Entry(
        arrays(uniform(6, 5, low=0.05, high=2.0), uniform(6, 5, low=0.05, high=2.0))
    ),
    "distillation_kl": Entry(
        arrays(normal(6, 5, scale=2.0), normal(6, 5, scale=2.0), temperature=2.0), wrt=(0, 1)
    ),
    # embedding.py
    "contrastive": Entry(arrays(uniform(6, 5, high=2.0), binary(6, 5), margin=1.0)),
    "triplet_margin": Entry(_TRIPLETS, wrt=(0, 1, 2)),
    "triplet_margin_with_distance": Entry(_TRIPLETS, wrt=(0, 1, 2)),
    "cosine_embedding": Entry(arrays(normal(8, 5), normal(8, 5), signs(8)), wrt=(0, 1)),
    "margin_ranking": Entry(arrays(normal(12), normal(12), signs(12)), wrt=(0, 1)),
    "hinge_embedding": Entry(arrays(uniform(6, 5, high=2.0), signs(6, 5))),
    "cosine_similarity": Entry(_PAIR),
    "ntxent": Entry(_BATCH_LABELS),
    # metric_learning.py
    "arcface": Entry(_COSINE_LABELS),
    "cosface": Entry(_COSINE_LABELS),
    "supcon": Entry(_BATCH_LABELS),
    "circle": Entry(arrays(unit_rows(8, 4), integers(8, high=3), gamma=8.0)),
    "clip_contrastive": Entry(
        arrays(normal(6, 4), normal(6, 4), temperature=np.array(0.5)),
        wrt=(0, 1, "temperature"),
    ),
    # multiclass.py
    "multilabel_margin": Entry(arrays(normal(6, 5), label_sets(6, 5))),
    "generalized_cross_entropy": Entry(arrays(simplex(6, 5), integers(6, high=5))),
    "sparsemax": Entry(arrays(normal(6, 5, scale=1.5), integers(6, high=5))),
    "perceptron": Entry(_SCORES),
    "multiclass_perceptron": Entry(_CLASS_SCORES),
    # ranking.py
    "ranking_softmax": Entry(_ranking_lists),
    # regression.py
    "mse": Entry(_PAIR),
    "mae": Entry(_PAIR),
    "huber": Entry(arrays(normal(6, 5, scale=2.0), normal(6, 5), delta=1.0)),
    "smooth_l1": Entry(arrays(normal(6, 5, scale=2.0), normal(6, 5), beta=0.5)),
    "log_cosh": Entry(arrays(normal(6, 5, scale=3.0), normal(6, 5))),
    "msle": Entry(arrays(uniform(6, 5, high=4.0), uniform(6, 5, high=4.0))),
    "mape": Entry(arrays(normal(6, 5), normal(6, 5, loc=2.0))),
    "quantile": Entry(arrays(normal(6, 5), normal(6, 5), q=0.3)),
    "poisson_nll": Entry(arrays(normal(6, 5, scale=0.5), uniform(6, 5, high=5.0), log_input=True)),
    "gaussian_nll": Entry(
        arrays(normal(6, 5), normal(6, 5), uniform(6, 5, low=0.2, high=2.0)), wrt=(0, 2)
    ),
    "tweedie_deviance": Entry(
        arrays(uniform(6, 5, low=0.2, high=3.0), uniform(6, 5, low=0.2, high=3.0))
    ),
    # robust.py
    "general_robust": Entry(
        arrays(normal(6, 5, scale=2.0), normal(6, 5), alpha=_ALPHAS, scale=np.array(1.5)),
        wrt=(0, "alpha", "scale"),
    ),
    "adaptive_robust": Entry(
        arrays(normal(6, 5, scale=2.0), normal(6, 5), alpha=_ALPHAS_NLL, scale=_SCALE_ROWS),
        wrt=(0, "alpha", "scale"),
    ),
    "charbonnier": Entry(_WIDE_PAIR),
    "pseudo_huber": Entry(_WIDE_PAIR),
    "cauchy": Entry(_WIDE_PAIR),
    "geman_mcclure": Entry(_WIDE_PAIR),
    "welsch": Entry(_WIDE_PAIR),
    # segmentation.py
    "dice": Entry(_MASKS),
    "jaccard": Entry(_MASKS),
    "tversky": Entry(arrays(uniform(2, 4, 5), binary(2, 4, 5), alpha=0.3, beta=0.7)),
    "focal_tversky": Entry(_MASKS),
    "generalized_dice": Entry(arrays(simplex(2, 5, 3), one_hot(2, 5, 3))),
    "lovasz_hinge": Entry(arrays(normal(2, 4, 5), binary(2, 4, 5))),
    "lovasz_softmax": Entry(arrays(simplex(2, 3, 4, 3), integers(2, 3, 4, high=3))),
    # segmentation_counts.py
    "softmax_dice": Entry(_PIXEL_LABELS),
    "dice_ce": Entry(_PIXEL_LABELS),
    "mcc": Entry(arrays(uniform(2, 4, 4), binary(2, 4, 4))),
    # sequence.py
    "ctc": Entry(_ctc_sequences),
    # vocabulary.py
    "linear_cross_entropy": Entry(_tokens, wrt=(0, 1, "bias")),
}
