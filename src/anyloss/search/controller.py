r"""The search controller: independent Gaussians over a loss family's parameters.

The controller holds a mean :math:`\mu \in \mathbb{R}^D` and a fixed standard deviation
:math:`\sigma`; each epoch it samples :math:`\theta_i = \mu + \sigma \varepsilon_i`,
:math:`\varepsilon_i \sim N(0, I)`, for :math:`i = 1..B`. Given the rewards
:math:`R_i`, REINFORCE with the mean-reward baseline :math:`\bar R` estimates the
gradient of the expected reward,

.. math:: g = \frac{1}{B} \sum_i (R_i - \bar R)\, \nabla_\mu \log N(\theta_i; \mu, \sigma^2 I)
            = \frac{1}{B} \sum_i (R_i - \bar R)\, \frac{\theta_i - \mu}{\sigma^2},

and Adam (Kingma & Ba, ICLR 2015; :math:`\beta_1 = 0.9, \beta_2 = 0.999,
\epsilon = 10^{-8}`) takes an ascent step on :math:`\mu`:

.. math:: m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
          v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
          \hat m = \frac{m}{1 - \beta_1^t}, \quad \hat v = \frac{v}{1 - \beta_2^t}, \quad
          \mu \leftarrow \mu + \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.

References
----------
Williams, "Simple statistical gradient-following algorithms for connectionist
reinforcement learning", Machine Learning 8, 1992.
Li et al., "AM-LFS: AutoML for Loss Function Search", ICCV 2019 (arXiv:1905.07375).
"""

from __future__ import annotations

import numpy as np

__all__ = ["GaussianController"]


class GaussianController:
    """Independent Gaussians :math:`N(\\mu_j, \\sigma^2)`, REINFORCE + Adam on the means.

    Parameters
    ----------
    mean
        The initial means, a 1-D float array (copied).
    sigma
        The fixed standard deviation, > 0.
    lr
        Adam's step size, > 0.
    betas, eps
        Adam's moment decays and denominator offset.
    """

    def __init__(
        self,
        mean: np.ndarray,
        *,
        sigma: float,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.mean = np.array(mean, dtype=np.float64).reshape(-1)
        self.sigma = float(sigma)
        self.lr = float(lr)
        self.betas = betas
        self.eps = eps
        self.m = np.zeros_like(self.mean)
        self.v = np.zeros_like(self.mean)
        self.steps = 0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` parameter vectors ``mean + sigma * N(0, I)``, shape ``(n, D)``."""
        return self.mean + self.sigma * rng.standard_normal((n, self.mean.size))

    def gradient(self, samples: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        """REINFORCE estimate of the gradient of the expected reward in the means."""
        advantage = rewards - rewards.mean()
        return advantage @ (samples - self.mean) / (len(rewards) * self.sigma**2)

    def update(self, samples: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        """One Adam ascent step on the means from ``(B, D)`` samples and ``(B,)`` rewards.

        Returns the REINFORCE gradient it used.
        """
        g = self.gradient(np.asarray(samples, np.float64), np.asarray(rewards, np.float64))
        b1, b2 = self.betas
        self.steps += 1
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g**2
        m_hat = self.m / (1 - b1**self.steps)
        v_hat = self.v / (1 - b2**self.steps)
        self.mean = self.mean + self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return g
