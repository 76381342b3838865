"""anyloss: deep-learning losses written once against the Python Array API standard.

Every loss takes arrays from NumPy, CuPy, PyTorch, JAX, dask or any Array API library
and returns its result in the same library, on the same device, in the same floating
dtype. See ``anyloss.available()`` for the names and ``anyloss.get`` for configured
callables.
"""

from __future__ import annotations

from ._registry import Loss, available, get
from ._settings import portable, set_value_checks, value_checks
from ._shards import mean_denominator, mean_parts, shardable
from .binary import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    binary_focal,
    categorical_hinge,
    hinge,
    multi_margin,
    multilabel_soft_margin,
    sigmoid_focal,
    soft_margin,
    squared_hinge,
)
from .classification import (
    categorical_cross_entropy,
    cross_entropy,
    nll,
    poly1_cross_entropy,
    softmax_focal,
)
from .detection import complete_box_iou, distance_box_iou, generalized_box_iou
from .divergence import distillation_kl, generalized_kl_div, js_div, kl_div
from .embedding import (
    contrastive,
    cosine_embedding,
    cosine_similarity,
    hinge_embedding,
    margin_ranking,
    ntxent,
    triplet_margin,
    triplet_margin_with_distance,
)
from .metric_learning import arcface, circle, clip_contrastive, cosface, supcon
from .multiclass import (
    generalized_cross_entropy,
    multiclass_perceptron,
    multilabel_margin,
    perceptron,
    sparsemax,
)
from .ranking import ranking_softmax
from .regression import (
    gaussian_nll,
    huber,
    log_cosh,
    mae,
    mape,
    mse,
    msle,
    poisson_nll,
    quantile,
    smooth_l1,
    tweedie_deviance,
)
from .robust import (
    adaptive_robust,
    cauchy,
    charbonnier,
    geman_mcclure,
    general_robust,
    pseudo_huber,
    welsch,
)
from .segmentation import (
    dice,
    focal_tversky,
    generalized_dice,
    jaccard,
    lovasz_hinge,
    lovasz_softmax,
    tversky,
)
from .segmentation_counts import dice_ce, mcc, softmax_dice
from .sequence import ctc
from .vocabulary import linear_cross_entropy

__version__ = "0.1.0"

__all__ = [
    "Loss",
    "adaptive_robust",
    "arcface",
    "available",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_focal",
    "categorical_cross_entropy",
    "categorical_hinge",
    "cauchy",
    "charbonnier",
    "circle",
    "clip_contrastive",
    "complete_box_iou",
    "contrastive",
    "cosface",
    "cosine_embedding",
    "cosine_similarity",
    "cross_entropy",
    "ctc",
    "dice",
    "dice_ce",
    "distance_box_iou",
    "distillation_kl",
    "focal_tversky",
    "gaussian_nll",
    "geman_mcclure",
    "general_robust",
    "generalized_box_iou",
    "generalized_cross_entropy",
    "generalized_dice",
    "generalized_kl_div",
    "get",
    "hinge",
    "hinge_embedding",
    "huber",
    "jaccard",
    "js_div",
    "kl_div",
    "linear_cross_entropy",
    "log_cosh",
    "lovasz_hinge",
    "lovasz_softmax",
    "mae",
    "mape",
    "margin_ranking",
    "mcc",
    "mean_denominator",
    "mean_parts",
    "mse",
    "msle",
    "multi_margin",
    "multiclass_perceptron",
    "multilabel_margin",
    "multilabel_soft_margin",
    "nll",
    "ntxent",
    "perceptron",
    "poisson_nll",
    "poly1_cross_entropy",
    "portable",
    "pseudo_huber",
    "quantile",
    "ranking_softmax",
    "set_value_checks",
    "shardable",
    "sigmoid_focal",
    "smooth_l1",
    "soft_margin",
    "softmax_dice",
    "softmax_focal",
    "sparsemax",
    "squared_hinge",
    "supcon",
    "triplet_margin",
    "triplet_margin_with_distance",
    "tversky",
    "tweedie_deviance",
    "value_checks",
    "welsch",
]
