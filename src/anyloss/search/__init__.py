"""Loss-function search (AM-LFS): parametric cross-entropies and a REINFORCE controller.

``import anyloss.search`` is separate from ``import anyloss`` and imports NumPy and
anyloss only; the losses run on whatever library the user's arrays come from.

- :func:`am_lfs_cross_entropy`, :func:`search_softmax_cross_entropy`: the families, equal
  to :func:`anyloss.cross_entropy` at their identity parameters.
- :func:`search`: sample losses from a controller of independent Gaussians, train model
  copies with them through the user's callbacks, update the controller by REINFORCE.

References
----------
Li, Wang, Liu, Sun, Yan, Ouyang, "AM-LFS: AutoML for Loss Function Search", ICCV 2019
(arXiv:1905.07375).
Wang, Wang, Fu, Li, Mei, "Loss Function Search for Face Recognition", ICML 2020
(arXiv:2007.06542).
"""

from __future__ import annotations

from .controller import GaussianController
from .families import am_lfs_cross_entropy, search_softmax_cross_entropy
from .loop import EpochReport, SearchResult, search
from .space import Family, SampledLoss, am_lfs, search_softmax

__all__ = [
    "EpochReport",
    "Family",
    "GaussianController",
    "SampledLoss",
    "SearchResult",
    "am_lfs",
    "am_lfs_cross_entropy",
    "search",
    "search_softmax",
    "search_softmax_cross_entropy",
]
