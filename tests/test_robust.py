"""Barron's robust losses beyond the matrix: limits, exactness near alpha = 0 and 2, log Z,
finite gradients everywhere, the torch module and the examples."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import anyloss
from tests.cases.robust import log_z_reference, rho_reference

ROOT = Path(__file__).resolve().parents[1]
INF = math.inf
ZEROS = np.zeros(7)
X = np.array([0.0, 1e-3, 0.2, 1.0, 2.5, 7.0, 40.0])


def rho(x: Any, **kw: Any) -> np.ndarray:
    return np.asarray(anyloss.general_robust(x, np.zeros_like(x), reduction="none", **kw))


def reference_code_lossfun(x: np.ndarray, alpha: float, scale: float) -> np.ndarray:
    """google-research robust_loss ``general.lossfun`` (float64 port, same clamps)."""
    sq = (x / scale) ** 2
    eps = np.finfo(np.float32).eps
    beta_safe = max(eps, abs(alpha - 2.0))
    alpha_safe = math.copysign(1.0, alpha) * max(eps, abs(alpha)) if alpha else eps
    with np.errstate(over="ignore"):
        otherwise = beta_safe / alpha_safe * ((sq / beta_safe + 1) ** (0.5 * alpha) - 1)
    limits = {
        2.0: 0.5 * sq,
        0.0: np.log1p(0.5 * sq),
        -INF: -np.expm1(-0.5 * sq),
        INF: np.expm1(np.minimum(0.5 * sq, 87.5)),
    }
    return limits.get(alpha, otherwise)


def rel_err(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


# --- general_robust -----------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 0.35, 3.0])
def test_closed_form_limits(scale: float) -> None:
    z = (X / scale) ** 2
    assert np.array_equal(rho(X, alpha=2.0, scale=scale), 0.5 * z)
    assert rel_err(rho(X, alpha=0.0, scale=scale)[1:], np.log1p(0.5 * z)[1:]) < 1e-15
    assert rel_err(rho(X, alpha=-INF, scale=scale)[1:], -np.expm1(-0.5 * z)[1:]) < 1e-15
    small = 0.5 * z < 60  # beyond, e^(z/2) leaves float64 soon: inf on both sides
    assert rel_err(rho(X, alpha=INF, scale=scale)[small], np.expm1(0.5 * z)[small]) < 1e-15


@pytest.mark.parametrize("scale", [1.0, 0.35, np.array([0.5, 1.0, 1.5, 2.0, 0.7, 3.0, 1.2])])
def test_named_special_cases_equal_general_robust(scale: Any) -> None:
    for name, alpha in (
        ("charbonnier", 1.0),
        ("cauchy", 0.0),
        ("geman_mcclure", -2.0),
        ("welsch", -INF),
    ):
        got = getattr(anyloss, name)(X, ZEROS, scale=scale, reduction="none")
        for a in (alpha, np.full(7, alpha)):  # the float and the array paths
            want = rho(X, alpha=a, scale=scale)
            np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-300, err_msg=name)
    delta = scale
    np.testing.assert_allclose(
        anyloss.pseudo_huber(X, ZEROS, delta=delta, reduction="none"),
        np.asarray(delta) ** 2 * rho(X, alpha=1.0, scale=delta),
        rtol=1e-14,
    )


@pytest.mark.parametrize("alpha", [-1e-7, 1e-7, -1e-12, 1e-12, 2 - 1e-7, 2 + 1e-7, 2 - 1e-12])
def test_exact_next_to_zero_and_two(alpha: float) -> None:
    """Within 1e-7 of 0 and 2 anyloss is exact; the reference code's clamp is not."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    a = mpmath.mpf(alpha)
    b = abs(a - 2)
    want = [float(b / a * ((mpmath.mpf(x) ** 2 / b + 1) ** (a / 2) - 1)) for x in X[1:]]
    for alpha_arg in (alpha, np.full(7, alpha)):
        assert rel_err(rho(X, alpha=alpha_arg)[1:], want) < 1e-13
    if abs(alpha) == 1e-7:  # the reference code divides by eps instead of alpha: 16% off
        assert rel_err(reference_code_lossfun(X, alpha, 1.0)[1:], want) > 0.1


def test_matches_reference_code_away_from_zero_and_two() -> None:
    rng = np.random.default_rng(0)
    alphas = [*rng.uniform(-10, 10, 40), -INF, INF, 0.0, 2.0, 1e-3, 2 - 1e-3, 2 + 1e-3]
    x = np.concatenate([X, -X])
    for alpha in alphas:
        for scale in (0.5, 1.0, 2.0):
            got = rho(x, alpha=float(alpha), scale=scale)
            want = reference_code_lossfun(x, float(alpha), scale)
            # anyloss caps at e^60, the reference at e^87.5 (alpha = inf); the reference's pow
            # form cancels for tiny residuals and alphas (3e-9 at |x/c| = 5e-4; 2e-11 at
            # alpha = 1e-3)
            ok = (want < 1e25) & (np.abs(x / scale) > 0.05)
            np.testing.assert_allclose(
                got[ok], want[ok], rtol=1e-9, atol=1e-300, err_msg=f"alpha={alpha}, scale={scale}"
            )


def test_large_rho_above_two_is_exact_until_it_overflows() -> None:
    """For alpha > 2, rho grows like |x|^alpha: exact while it fits the dtype (no cap: a
    capped value would be a finite wrong one, with a zero gradient), inf beyond."""
    assert rho(np.array([1e6]), alpha=4.0)[0] == pytest.approx(0.5 * ((1e12 / 2 + 1) ** 2 - 1))
    assert rho(np.array([1e7]), alpha=4.0)[0] == pytest.approx(0.5 * ((1e14 / 2 + 1) ** 2 - 1))
    expected = 0.8 * ((1e16 / 1.3**2 / 8 + 1) ** 5 - 1)  # alpha = 10, scale = 1.3
    assert rho(np.array([1e8]), alpha=10.0, scale=1.3)[0] == pytest.approx(expected, rel=1e-12)
    with np.errstate(over="ignore"):
        assert np.isposinf(rho(np.array([1e3]), alpha=1e6)).all()  # 2^(5e5): past float64
        assert np.isposinf(rho(np.array([1e3]), alpha=INF)).all()


def test_large_rho_above_two_has_its_gradient() -> None:
    """Where a cap stood, the gradient was 0; now it is rho's, for a float and an array
    alpha (float32: 1.25e27 and 5e20 fit)."""
    torch = pytest.importorskip("torch")
    for alpha in (4.0, torch.tensor([4.0, 4.0])):
        x = torch.tensor([1e7, 3.0], dtype=torch.float32, requires_grad=True)
        value = anyloss.general_robust(x, torch.zeros(2), alpha=alpha, reduction="none")
        value.sum().backward()
        assert value[0].item() == pytest.approx(1.25e27, rel=1e-5)
        assert x.grad is not None
        assert x.grad[0].item() == pytest.approx(5e20, rel=1e-5)


ALPHAS = [
    -INF,
    -1e30,
    -1e6,
    -2.0,
    -1e-7,
    -1e-300,
    0.0,
    1e-300,
    1e-7,
    0.5,
    1.0,
    1.95,
    2 - 1e-7,
    2 - 1e-16,
    2.0,
    2 + 1e-16,
    2 + 1e-7,
    3.0,
    4.0,
    100.0,
    1e30,
    INF,
]
RESIDUALS = [0.0, 1e-30, 1e-3, 1.0, 1e3, 1e6, -1e6]


def _fits(dtype: str) -> np.ndarray:
    """Where rho(RESIDUALS, ALPHAS, 0.7) fits ``dtype``: the extended-precision reference
    below its largest finite value (beyond, the value is inf, as the true one is there)."""
    grid = np.broadcast_arrays(np.array(RESIDUALS)[None, :], np.array(ALPHAS)[:, None])
    with np.errstate(over="ignore"):
        exact = rho_reference(grid[0], grid[1], 0.7)
    return exact <= np.finfo(dtype).max


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_finite_value_and_gradients_wherever_rho_fits_torch(dtype: str) -> None:
    """Finite value and gradients wherever rho fits the dtype; +inf (never NaN, never a
    capped finite value) where it does not."""
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    shape = (len(ALPHAS), len(RESIDUALS))
    a = torch.tensor(ALPHAS, dtype=dt)[:, None].expand(shape).clone().requires_grad_(True)
    x = torch.tensor(RESIDUALS, dtype=dt)[None, :].expand(shape).clone().requires_grad_(True)
    c = torch.tensor(0.7, dtype=dt, requires_grad=True)
    out = anyloss.general_robust(x, torch.zeros_like(x), alpha=a, scale=c, reduction="none")
    fits = torch.from_numpy(_fits(dtype))
    assert torch.equal(torch.isfinite(out), fits)
    assert torch.isposinf(out[~fits]).all()
    grads = torch.autograd.grad(out[fits].sum(), [x, a])
    for name, t in zip(("d/dx", "d/dalpha"), grads, strict=True):  # masked lanes: 0 * inf
        assert torch.isfinite(t[fits]).all(), f"{name} not finite: {t}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_finite_value_and_gradients_wherever_rho_fits_jax(dtype: str) -> None:
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    dt = getattr(jnp, dtype)
    shape = (len(ALPHAS), len(RESIDUALS))
    a = jnp.broadcast_to(jnp.asarray(ALPHAS, dt)[:, None], shape)
    x = jnp.broadcast_to(jnp.asarray(RESIDUALS, dt)[None, :], shape)
    fits = jnp.asarray(_fits(dtype))

    def total(x: Any, a: Any) -> Any:
        out = anyloss.general_robust(x, jnp.zeros_like(x), alpha=a, scale=0.7, reduction="none")
        return jnp.sum(jnp.where(fits, out, 0.0)), out

    (_, out), grads = jax.jit(jax.value_and_grad(total, argnums=(0, 1), has_aux=True))(x, a)
    assert np.array_equal(np.isfinite(np.asarray(out)), np.asarray(fits))
    assert np.all(np.isposinf(np.asarray(out)[~np.asarray(fits)]))
    for g in grads:  # the lanes that do not fit are masked: 0 * inf there, NaN
        assert np.all(np.isfinite(np.asarray(g)[np.asarray(fits)]))


def test_gradient_in_alpha_is_smooth_through_zero() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(X[1:], dtype=torch.float64)
    grads = []
    for alpha in (-1e-9, 0.0, 1e-9):
        a = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
        out = anyloss.general_robust(x, torch.zeros_like(x), alpha=a, reduction="sum")
        grads.append(float(torch.autograd.grad(out, a)[0]))
    assert grads[0] == pytest.approx(grads[1], rel=1e-7)
    assert grads[2] == pytest.approx(grads[1], rel=1e-7)


def test_alpha_and_scale_must_broadcast_to_the_residual() -> None:
    p, t = np.zeros((6, 5)), np.ones((6, 5))
    with pytest.raises(ValueError, match=r"\(3,\).*\(6, 5\)"):
        anyloss.general_robust(p, t, alpha=np.ones(3))
    with pytest.raises(ValueError, match=r"\(6, 5, 1\).*\(6, 5\)"):
        anyloss.general_robust(p, t, scale=np.ones((6, 5, 1)))
    with pytest.raises(ValueError, match=r"\(6, 2\).*\(6, 5\)"):
        anyloss.adaptive_robust(p, t, alpha=1.0, scale=np.ones((6, 2)))
    out = anyloss.general_robust(p, t, alpha=np.ones((6, 1)), scale=np.ones(5), reduction="none")
    assert out.shape == (6, 5)


def test_array_hyperparameters_are_validated_on_eager_arrays() -> None:
    p, t = np.zeros((2, 3)), np.ones((2, 3))
    with pytest.raises(ValueError, match="scale"):
        anyloss.general_robust(p, t, scale=np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="alpha"):
        anyloss.general_robust(p, t, alpha=np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="alpha"):
        anyloss.adaptive_robust(p, t, alpha=np.array([1.0, 4.5, 2.0]), scale=1.0)
    with pytest.raises(ValueError, match="delta"):
        anyloss.pseudo_huber(p, t, delta=np.array([1.0, -1.0, 2.0]))


# --- adaptive_robust and log Z --------------------------------------------------------------


def log_z(alpha: Any) -> np.ndarray:
    """log Z(alpha) through the public loss: the NLL of x = 0 at scale 1."""
    alpha = np.asarray(alpha, dtype=np.float64)
    zero = np.zeros(alpha.shape)
    return np.asarray(anyloss.adaptive_robust(zero, zero, alpha=alpha, scale=1.0, reduction="none"))


def test_log_z_closed_forms() -> None:
    got = log_z(np.array([0.0, 2.0]))
    assert abs(math.exp(got[0]) - math.pi * math.sqrt(2)) < 1e-12
    assert abs(math.exp(got[1]) - math.sqrt(2 * math.pi)) < 1e-12


def test_log_z_against_fresh_integration() -> None:
    pytest.importorskip("scipy")
    rng = np.random.default_rng(2026)
    alphas = np.concatenate(
        [
            rng.uniform(0, 4, 40),
            rng.uniform(0, 0.05, 8),
            2 + rng.uniform(-1e-3, 1e-3, 8),
            [1e-7, 2 - 1e-9, 2 + 1e-9, 4.0],
        ]
    )
    want = np.array([log_z_reference(float(a)) for a in alphas])
    err = np.abs(log_z(alphas) - want)
    assert err.max() < 1e-8, f"max |log Z error| {err.max():.3g} at alpha = {alphas[err.argmax()]}"


def test_log_z_against_meijer_g_closed_form() -> None:
    """The paper's analytic Z(n/d) (a Meijer G-function) at a few rational alphas."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    for n, d in ((1, 2), (1, 1), (3, 2), (5, 2), (3, 1), (4, 1)):
        a_p = [k / n for k in range(1, n)]
        b_q = [(k - 0.5) / n for k in range(n)] + [k / (2 * d) for k in range(1, 2 * d)]
        z = (1 / n - 1 / (2 * d)) ** (2 * d)
        mult = (
            math.exp(abs(2 * d / n - 1)) * math.sqrt(abs(2 * d / n - 1)) * (2 * math.pi) ** (1 - d)
        )
        want = math.log(mult * float(mpmath.meijerg([[], a_p], [b_q, []], z)))
        assert abs(float(log_z(np.array([n / d]))[0]) - want) < 1e-9, f"alpha = {n}/{d}"


def test_log_z_derivative_against_fresh_integration() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("scipy")
    alphas = np.array([1e-3, 0.05, 0.4, 1.0, 1.7, 1.99, 2.01, 2.6, 3.5, 3.99])
    a = torch.tensor(alphas, requires_grad=True)
    zero = torch.zeros(len(alphas), dtype=torch.float64)
    nll = anyloss.adaptive_robust(zero, zero, alpha=a, scale=1.0, reduction="sum")
    (got,) = torch.autograd.grad(nll, a)
    h = 1e-4  # fourth-order central differences of the quad reference
    f = [np.array([log_z_reference(float(v + k * h)) for v in alphas]) for k in (-2, -1, 1, 2)]
    want = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)


def test_adaptive_is_rho_plus_log_scale_plus_log_z() -> None:
    pytest.importorskip("scipy")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3)) * 3
    alpha = np.array([0.3, 1.0, 3.2])
    scale = np.array([[0.5], [1.0], [1.5], [2.0]])
    got = anyloss.adaptive_robust(x, np.zeros_like(x), alpha=alpha, scale=scale, reduction="none")
    log_zs = np.array([log_z_reference(a) for a in alpha])
    want = rho_reference(x, alpha, scale) + np.log(scale) + log_zs
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_adaptive_gradients_finite_at_the_ends_and_at_two() -> None:
    torch = pytest.importorskip("torch")
    a = torch.tensor(
        [0.0, 1e-7, 2.0 - 1e-7, 2.0, 2.0 + 1e-7, 4.0], dtype=torch.float64, requires_grad=True
    )
    x = torch.tensor([[0.0], [1e-3], [1.0], [1e6]], dtype=torch.float64).expand(4, 6)
    c = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    out = anyloss.adaptive_robust(x, torch.zeros_like(x), alpha=a, scale=c, reduction="sum")
    ga, gc = torch.autograd.grad(out, [a, c])
    assert torch.isfinite(out)
    assert torch.isfinite(ga).all()
    assert torch.isfinite(gc)


def test_adaptive_is_a_normalised_density() -> None:
    """exp(-NLL) integrates to 1 over x for any alpha in [0, 4] and scale."""
    x = np.linspace(-60, 60, 240_001)  # tails beyond 60 hold < 0.3% even at alpha = 0
    for alpha, scale in ((0.5, 0.7), (1.0, 1.0), (2.0, 2.0), (3.5, 1.3)):
        nll = anyloss.adaptive_robust(
            x, np.zeros_like(x), alpha=alpha, scale=scale, reduction="none"
        )
        assert np.trapezoid(np.exp(-nll), x) == pytest.approx(1.0, abs=1e-6)


# --- the torch module ------------------------------------------------------------------------


def test_adaptive_loss_function_module() -> None:
    torch = pytest.importorskip("torch")
    from anyloss.torch import AdaptiveLossFunction

    module = AdaptiveLossFunction(3, dtype=torch.float64)
    assert torch.allclose(module.alpha(), torch.full((3,), 1.0, dtype=torch.float64))
    assert torch.allclose(module.scale(), torch.ones(3, dtype=torch.float64))
    assert {n for n, _ in module.named_parameters()} == {"latent_alpha", "latent_scale"}
    residual = torch.randn(8, 3, dtype=torch.float64)
    out = module(residual)
    want = anyloss.adaptive_robust(
        residual,
        torch.zeros_like(residual),
        alpha=module.alpha(),
        scale=module.scale(),
        reduction="none",
    )
    assert out.shape == (8, 3)
    assert torch.equal(out, want)
    out.sum().backward()
    assert module.latent_alpha.grad is not None
    assert module.latent_scale.grad is not None
    fixed = AdaptiveLossFunction(2, alpha_lo=1.0, alpha_hi=1.0, scale_lo=0.5, scale_init=0.5)
    assert list(fixed.parameters()) == []
    assert torch.equal(fixed.alpha(), torch.ones(2))
    assert torch.equal(fixed.scale(), 0.5 * torch.ones(2))
    init = AdaptiveLossFunction(1, alpha_lo=0.0, alpha_hi=4.0, alpha_init=3.0, scale_init=2.0)
    assert float(init.alpha()[0]) == pytest.approx(3.0)
    assert float(init.scale()[0]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="num_dims"):
        module(torch.randn(8, 2, dtype=torch.float64))
    for bad in (
        {"alpha_lo": -0.1},
        {"alpha_hi": 4.5},
        {"alpha_init": 2.5},
        {"scale_lo": 0.0},
        {"scale_init": 1e-6},
    ):
        with pytest.raises(ValueError):
            AdaptiveLossFunction(2, **bad)


# --- examples ----------------------------------------------------------------------------------


def _example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"_example_{name}", ROOT / "examples" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "requires"), [("robust_torch", ("torch",)), ("robust_jax", ("jax", "optax"))]
)
def test_examples_fit_the_line_despite_outliers(name: str, requires: tuple[str, ...]) -> None:
    for module in requires:
        pytest.importorskip(module)
    example = _example(name)
    x, y = example.make_data()
    ls_slope = np.polyfit(x, y, 1)[0]
    assert abs(ls_slope - 2.0) > 0.2  # least squares is pulled away by the outliers
    result = example.main(steps=250, verbose=False)
    assert abs(result["slope"] - 2.0) < 0.05
    assert abs(result["intercept"] - 1.0) < 0.25
    assert 0.0 < result["alpha"] < 1.0  # robust: towards Cauchy
    assert result["scale"] > 0


def test_plot_example_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = _example("plot_robust").main(tmp_path / "robust.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
