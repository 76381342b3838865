"""anyloss.search: the parametric cross-entropies on every backend, the REINFORCE + Adam
controller against a hand computation, and the search loop (determinism, copies, progress).

References are float64 NumPy formulas written here from the papers' definitions.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import anyloss
from anyloss._checker.tolerance import TOLERANCES, deviation
from anyloss.search import (
    GaussianController,
    SampledLoss,
    am_lfs,
    am_lfs_cross_entropy,
    search,
    search_softmax,
    search_softmax_cross_entropy,
)
from tests._backends import Backend
from tests.test_robust import _example  # loads examples/<name>.py

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((8, 5)) * 2.0
LABELS = RNG.integers(0, 5, 8)
LOGITS[np.arange(8), LABELS] += np.linspace(-1.0, 4.0, 8)  # p_y in all four bins
SLOPES = np.array([0.8, 1.3, 0.9, 1.1])
INTERCEPTS = np.array([0.15, 0.05, -0.1, 0.2])  # τ > 0 wherever a sample lands (checked)
A = -0.6


# --- float64 references, from the definitions --------------------------------------------


def p_target(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True))[np.arange(len(labels)), labels]


def am_lfs_reference(logits: np.ndarray, labels: np.ndarray, a: Any, b: Any) -> np.ndarray:
    p = p_target(logits, labels)
    k = np.minimum(np.floor(p * len(a)).astype(int), len(a) - 1)
    return -np.log(a[k] * p + b[k])


def search_softmax_reference(logits: np.ndarray, labels: np.ndarray, a: float) -> np.ndarray:
    p = p_target(logits, labels)
    return -np.log(p / (a * p + 1 - a))


def test_reference_inputs_stay_inside_bins_and_domain() -> None:
    """The fixed inputs avoid bin edges (finite differences) and keep τ > 0."""
    p = p_target(LOGITS, LABELS)
    edges = np.arange(1, len(SLOPES)) / len(SLOPES)
    assert np.min(np.abs(p[:, None] - edges)) > 1e-2
    assert np.all(np.isfinite(am_lfs_reference(LOGITS, LABELS, SLOPES, INTERCEPTS)))
    assert len(np.unique(np.floor(p * 4))) == 4  # every bin is exercised


# --- the families on every backend -----------------------------------------------------------


def _families(b: Backend, dtype: str, identity: bool) -> dict[str, Any]:
    slopes = np.ones(4) if identity else SLOPES
    intercepts = np.zeros(4) if identity else INTERCEPTS
    a = 0.0 if identity else A
    s, c, av = (b.asarray(v, dtype) for v in (slopes, intercepts, np.asarray(a)))

    def am(x: Any, y: Any) -> Any:
        return am_lfs_cross_entropy(x, y, slopes=s, intercepts=c, reduction="none")

    def ss(x: Any, y: Any) -> Any:
        return search_softmax_cross_entropy(x, y, a=av, reduction="none")

    return {"am_lfs": am, "search_softmax": ss}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_identity_members_equal_cross_entropy(backend: Backend, dtype: str) -> None:
    x, y = backend.asarray(LOGITS, dtype), backend.asarray(LABELS, "int64")
    with anyloss.portable():  # bit for bit: the portable form, not torch's own kernel
        want = backend.to_numpy(anyloss.cross_entropy(x, y, reduction="none"))
    for name, fn in _families(backend, dtype, identity=True).items():
        got = backend.compiled(fn)(x, y)
        assert got.dtype == x.dtype, name
        np.testing.assert_array_equal(backend.to_numpy(got), want, err_msg=name)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_against_float64_formula(backend: Backend, dtype: str) -> None:
    x, y = backend.asarray(LOGITS, dtype), backend.asarray(LABELS, "int64")
    want = {
        "am_lfs": am_lfs_reference(LOGITS, LABELS, SLOPES, INTERCEPTS),
        "search_softmax": search_softmax_reference(LOGITS, LABELS, A),
    }
    for name, fn in _families(backend, dtype, identity=False).items():
        got = backend.to_numpy(backend.compiled(fn)(x, y))
        assert deviation(got, want[name]) < TOLERANCES[dtype].value, name


def test_reductions_and_channels_first_axis() -> None:
    x = np.moveaxis(LOGITS.reshape(2, 4, 5), -1, 1)  # (N, C, L)
    y = LABELS.reshape(2, 4)
    want = am_lfs_reference(LOGITS, LABELS, SLOPES, INTERCEPTS).reshape(2, 4)
    kw = {"slopes": SLOPES, "intercepts": INTERCEPTS, "axis": 1}
    np.testing.assert_allclose(am_lfs_cross_entropy(x, y, **kw, reduction="none"), want)
    np.testing.assert_allclose(am_lfs_cross_entropy(x, y, **kw, reduction="sum"), want.sum())
    np.testing.assert_allclose(am_lfs_cross_entropy(x, y, **kw), want.mean())
    lists = {"slopes": SLOPES.tolist(), "intercepts": INTERCEPTS.tolist(), "axis": 1}
    np.testing.assert_allclose(am_lfs_cross_entropy(x, y, **lists), want.mean())


def _finite_difference(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(up) - f(down)) / (2 * h)
    return g


def test_gradients_match_finite_differences(grad_backend: Backend) -> None:
    """In the logits and in every parameter, against the float64 reference formulas."""
    b, tol = grad_backend, 1e-6
    y = b.asarray(LABELS, "int64")

    def am(x: Any, s: Any, c: Any) -> Any:
        return am_lfs_cross_entropy(x, y, slopes=s, intercepts=c, reduction="sum")

    inputs = [b.asarray(v, "float64") for v in (LOGITS, SLOPES, INTERCEPTS)]
    _, grads = b.value_and_grad(am, inputs)
    refs = [
        lambda v: am_lfs_reference(v, LABELS, SLOPES, INTERCEPTS).sum(),
        lambda v: am_lfs_reference(LOGITS, LABELS, v, INTERCEPTS).sum(),
        lambda v: am_lfs_reference(LOGITS, LABELS, SLOPES, v).sum(),
    ]
    for g, ref, v in zip(grads, refs, (LOGITS, SLOPES, INTERCEPTS), strict=True):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, _finite_difference(ref, v), rtol=tol, atol=tol)

    def ss(x: Any, a: Any) -> Any:
        return search_softmax_cross_entropy(x, y, a=a, reduction="sum")

    _, (gx, ga) = b.value_and_grad(ss, [b.asarray(LOGITS, "float64"), b.asarray(A, "float64")])
    fd_x = _finite_difference(lambda v: search_softmax_reference(v, LABELS, A).sum(), LOGITS)
    fd_a = _finite_difference(
        lambda v: search_softmax_reference(LOGITS, LABELS, float(v)).sum(), np.array(A)
    )
    np.testing.assert_allclose(gx, fd_x, rtol=tol, atol=tol)
    np.testing.assert_allclose(ga, fd_a, rtol=tol, atol=tol)


def test_identity_is_finite_for_saturated_logits(grad_backend: Backend) -> None:
    """|logits| = 1e4: p_y underflows; the identity members stay equal to cross-entropy."""
    b = grad_backend
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.5, 0.2, -0.1]])
    labels = np.array([1, 1, 2])
    y = b.asarray(labels, "int64")
    m = logits.max(axis=-1)
    want = np.mean(np.log(np.exp(logits - m[:, None]).sum(-1)) + m - logits[[0, 1, 2], labels])
    for dtype in ("float64", "float32"):
        x = b.asarray(logits, dtype)
        ones, zeros = b.asarray(np.ones(3), dtype), b.asarray(np.zeros(3), dtype)

        def am(x: Any, s: Any = ones, c: Any = zeros) -> Any:
            return am_lfs_cross_entropy(x, y, slopes=s, intercepts=c)

        def ss(x: Any) -> Any:
            return search_softmax_cross_entropy(x, y, a=0.0)

        def ce(x: Any) -> Any:
            with anyloss.portable():  # bit for bit: the portable form, not a native kernel
                return anyloss.cross_entropy(x, y)

        v_ce, (g_ce,) = b.value_and_grad(ce, [x])
        for f in (am, ss):
            v, (g,) = b.value_and_grad(f, [x])
            assert float(b.to_numpy(v)) == float(b.to_numpy(v_ce)) == pytest.approx(want)
            np.testing.assert_array_equal(g, g_ce)
        # the slope gradient is finite; the intercept gradient of bin 0 is 1/p (p = e^-2e4)
        _, (gs, gc) = b.value_and_grad(lambda s, c, x=x: am(x, s, c), [ones, zeros])
        assert np.all(np.isfinite(gs))
        assert gc[0] < -1e30


def test_non_positive_transform_gives_nan_value_and_gradient() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(LOGITS, requires_grad=True)
    y = torch.tensor(LABELS)
    c = torch.tensor([-0.9, 0.0, 0.0, 0.0], dtype=torch.float64, requires_grad=True)
    s = torch.ones(4, dtype=torch.float64, requires_grad=True)
    per = am_lfs_cross_entropy(x, y, slopes=s, intercepts=c, reduction="none")
    bad = torch.tensor(p_target(LOGITS, LABELS) < 0.25)  # bin 0, where τ(p) = p - 0.9 < 0
    assert bad.any()
    assert (~bad).any()
    assert torch.isnan(per[bad]).all()
    assert torch.isfinite(per[~bad]).all()
    per.sum().backward()
    assert torch.isnan(x.grad[bad]).all()
    assert torch.isfinite(x.grad[~bad]).all()
    assert torch.isnan(c.grad[0])
    assert torch.isnan(s.grad[0])
    # Search-Softmax with a > 1: the denominator a p + 1 - a < 0 for p < 1 - 1/a
    out = search_softmax_cross_entropy(LOGITS, LABELS, a=3.0, reduction="none")
    p = p_target(LOGITS, LABELS)
    np.testing.assert_array_equal(np.isnan(out), p < 2 / 3)


def test_torch_compile_fullgraph(backend: Backend) -> None:
    """Both families, differentiated in the logits and the parameters, in one graph."""
    if backend.name != "torch":
        pytest.skip("torch.compile is a torch (CPU) test")
    import torch

    def both(x: Any, y: Any, s: Any, c: Any, a: Any) -> Any:
        am = am_lfs_cross_entropy(x, y, slopes=s, intercepts=c)
        return am + search_softmax_cross_entropy(x, y, a=a)

    inputs = [torch.tensor(v) for v in (LOGITS, SLOPES, INTERCEPTS, np.asarray(A))]
    leaves = [v.requires_grad_(True) for v in inputs]
    y = torch.tensor(LABELS)
    compiled = torch.compile(both, fullgraph=True)(leaves[0], y, *leaves[1:])
    eager = both(leaves[0], y, *leaves[1:])
    torch.testing.assert_close(compiled, eager, rtol=1e-12, atol=0)
    for gc, ge in zip(
        torch.autograd.grad(compiled, leaves), torch.autograd.grad(eager, leaves), strict=True
    ):
        torch.testing.assert_close(gc, ge, rtol=1e-10, atol=1e-14)


def test_bad_inputs_name_the_argument() -> None:
    kw = {"slopes": SLOPES, "intercepts": INTERCEPTS}
    with pytest.raises(ValueError, match="integer class indices"):
        am_lfs_cross_entropy(LOGITS, np.full((8, 5), 0.2), **kw)
    with pytest.raises(ValueError, match=r"same shape \(M,\).*\(4,\).*\(3,\)"):
        am_lfs_cross_entropy(LOGITS, LABELS, slopes=SLOPES, intercepts=INTERCEPTS[:3])
    with pytest.raises(ValueError, match=r"slopes must be a 1-D array"):
        am_lfs_cross_entropy(LOGITS, LABELS, slopes=np.ones((2, 2)), intercepts=np.ones((2, 2)))
    with pytest.raises(ValueError, match="intercepts must be an array"):
        am_lfs_cross_entropy(LOGITS, LABELS, slopes=SLOPES, intercepts=0.0)
    with pytest.raises(ValueError, match="reduction"):
        am_lfs_cross_entropy(LOGITS, LABELS, **kw, reduction="avg")
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 4\]"):
        am_lfs_cross_entropy(LOGITS, LABELS + 5, **kw)
    with pytest.raises(ValueError, match=r"a must be a number or a 0-d array; got shape \(2,\)"):
        search_softmax_cross_entropy(LOGITS, LABELS, a=np.zeros(2))
    with pytest.raises(ValueError, match="axis must be an int"):
        search_softmax_cross_entropy(LOGITS, LABELS, a=0.0, axis=1.0)


def test_parameters_from_another_library_are_refused() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="different array libraries"):
        am_lfs_cross_entropy(
            torch.tensor(LOGITS), torch.tensor(LABELS), slopes=SLOPES, intercepts=INTERCEPTS
        )


def test_sampled_loss_moves_parameters_to_the_logits_library(backend: Backend) -> None:
    loss = SampledLoss(am_lfs(4), {"slopes": SLOPES, "intercepts": INTERCEPTS})
    x, y = backend.asarray(LOGITS, "float32"), backend.asarray(LABELS, "int64")
    got = loss(x, y, reduction="none")
    assert got.dtype == x.dtype
    want = am_lfs_reference(LOGITS, LABELS, SLOPES, INTERCEPTS)
    assert deviation(backend.to_numpy(got), want) < TOLERANCES["float32"].value


def test_import_pulls_in_no_optional_backend() -> None:
    code = (
        "import sys, anyloss.search; "
        "bad = [m for m in ('torch', 'jax', 'dask', 'cupy', 'array_api_strict', 'scipy') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# --- the controller ------------------------------------------------------------------------


def test_controller_step_is_reinforce_with_mean_baseline_and_adam() -> None:
    mu0, sigma, lr = np.array([1.0, 0.0, -0.5]), 0.2, 0.05
    c = GaussianController(mu0, sigma=sigma, lr=lr)
    # epoch 1, by hand: baseline 0.5, advantages (-0.2, 0.3, -0.1)
    th1 = np.array([[1.1, 0.2, -0.5], [0.9, -0.1, -0.3], [1.2, 0.1, -0.7]])
    r1 = np.array([0.3, 0.8, 0.4])
    eps1 = (th1 - mu0) / sigma  # rows: (.5, 1, 0), (-.5, -.5, 1), (1, .5, -1)
    g1 = (-0.2 * eps1[0] + 0.3 * eps1[1] - 0.1 * eps1[2]) / (3 * sigma)
    np.testing.assert_allclose(g1, [-0.35 / 0.6, -0.4 / 0.6, 0.4 / 0.6])
    np.testing.assert_allclose(c.update(th1, r1), g1)
    # Adam's first step: m̂ = g, v̂ = g², a step of lr · g / (|g| + 1e-8) ≈ lr · sign(g)
    mu1 = mu0 + lr * g1 / (np.abs(g1) + 1e-8)
    np.testing.assert_allclose(c.mean, mu1, rtol=1e-15)
    # epoch 2: the moments carry over
    th2 = np.array([[1.0, 0.0, -0.6], [0.8, -0.2, -0.2]])
    r2 = np.array([1.0, 0.0])
    g2 = 0.5 * (th2[0] - mu1) / (2 * sigma**2) - 0.5 * (th2[1] - mu1) / (2 * sigma**2)
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    mu2 = mu1 + lr * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(c.update(th2, r2), g2, rtol=1e-14)
    np.testing.assert_allclose(c.mean, mu2, rtol=1e-14)


def test_controller_samples_around_the_mean() -> None:
    c = GaussianController(np.array([2.0, -1.0]), sigma=0.5, lr=0.1)
    draws = c.sample(np.random.default_rng(0), 20000)
    np.testing.assert_allclose(draws.mean(axis=0), [2.0, -1.0], atol=0.02)
    np.testing.assert_allclose(draws.std(axis=0), [0.5, 0.5], atol=0.02)


# --- the search loop -----------------------------------------------------------------------

# A toy "model": a vector of logits for fixed labels, trained by one gradient step of the
# sampled loss (numpy finite differences are not needed: torch-free, closed form is not
# either — the reward only has to depend on the loss). Reward: negative loss at identity.
TOY_Y = np.array([0, 1, 2, 1])


def toy_train(model: dict[str, Any], loss: SampledLoss) -> dict[str, Any]:
    model["trace"].append(float(loss(model["x"], TOY_Y)))
    eps = 1e-6
    base = float(loss(model["x"], TOY_Y, reduction="sum"))
    grad = np.zeros_like(model["x"])
    for i in np.ndindex(model["x"].shape):
        x = model["x"].copy()
        x[i] += eps
        grad[i] = (float(loss(x, TOY_Y, reduction="sum")) - base) / eps
    model["x"] = model["x"] - 0.5 * grad
    return model


def toy_evaluate(model: dict[str, Any]) -> float:
    """Negative cross-entropy; a model made NaN by a loss with τ <= 0 scores -100."""
    return float(np.nan_to_num(-anyloss.cross_entropy(model["x"], TOY_Y), nan=-100.0))


def toy_model() -> dict[str, Any]:
    return {"x": np.zeros((4, 3)), "trace": []}


def test_search_is_deterministic_for_a_seed() -> None:
    runs = [
        search(toy_train, toy_evaluate, toy_model(), samples=3, epochs=3, seed=s) for s in (4, 4, 5)
    ]
    a, b, c = runs
    np.testing.assert_array_equal(a.rewards, b.rewards)
    for k in ("slopes", "intercepts"):
        np.testing.assert_array_equal(a.trajectory[k], b.trajectory[k])
        np.testing.assert_array_equal(a.best_params[k], b.best_params[k])
    np.testing.assert_array_equal(a.best_model["x"], b.best_model["x"])
    assert not np.array_equal(a.rewards, c.rewards)
    assert not np.array_equal(a.trajectory["intercepts"], c.trajectory["intercepts"])


def test_search_result_shapes_and_bookkeeping() -> None:
    model = toy_model()
    res = search(toy_train, toy_evaluate, model, samples=4, epochs=3, seed=1)
    assert model["trace"] == []
    assert not model["x"].any()
    assert res.rewards.shape == (3, 4)
    assert res.trajectory["slopes"].shape == (4, 6)  # epochs + 1 rows, 6 bins
    np.testing.assert_array_equal(res.trajectory["slopes"][0], np.ones(6))
    np.testing.assert_array_equal(res.trajectory["intercepts"][0], np.zeros(6))
    start = {"intercepts": np.full(6, 0.3)}
    res_init = search(toy_train, toy_evaluate, toy_model(), epochs=1, seed=1, init=start)
    np.testing.assert_array_equal(res_init.trajectory["intercepts"][0], start["intercepts"])
    np.testing.assert_array_equal(res_init.trajectory["slopes"][0], np.ones(6))
    np.testing.assert_array_equal(res.mean["intercepts"], res.trajectory["intercepts"][-1])
    assert res.sampled["slopes"].shape == (3, 4, 6)
    best = int(np.argmax(res.rewards[-1]))
    np.testing.assert_array_equal(res.best_params["slopes"], res.sampled["slopes"][-1, best])
    assert res.best_reward == res.rewards[-1, best] == toy_evaluate(res.best_model)
    assert len(res.best_model["trace"]) == 3  # one epoch per search epoch, carried forward
    # every epoch starts from the previous epoch's best copy, so the controller's means
    # moved by Adam steps of at most about lr per epoch
    assert np.all(np.abs(np.diff(res.trajectory["intercepts"], axis=0)) <= 0.05 + 1e-9)


def test_search_softmax_family_progress_and_custom_copy(capsys: pytest.CaptureFixture) -> None:
    copies: list[int] = []

    def copy(m: dict[str, Any]) -> dict[str, Any]:
        copies.append(1)
        return {"x": m["x"].copy(), "trace": list(m["trace"])}

    reports: list[Any] = []
    res = search(
        toy_train, toy_evaluate, toy_model(), family="search_softmax", samples=2, epochs=2,
        copy=copy, progress=reports.append,
    )  # fmt: skip
    assert len(copies) == 4
    assert [r.epoch for r in reports] == [0, 1]
    assert res.trajectory["a"].shape == (3,)
    assert res.best_params["a"].shape == ()
    np.testing.assert_array_equal(reports[-1].rewards, res.rewards[-1])
    search(toy_train, toy_evaluate, toy_model(), family=search_softmax(), epochs=2, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[1].startswith("search epoch 2/2: reward mean ")


def test_search_refuses_bad_options_and_rewards() -> None:
    for kw, match in (
        ({"samples": 1}, "samples must be an int >= 2"),
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"sigma": 0.0}, "sigma must be a number > 0"),
        ({"lr": -1.0}, "lr must be a number > 0"),
        ({"family": "focal"}, "family must be one of 'am_lfs', 'search_softmax'"),
    ):
        with pytest.raises(ValueError, match=match):
            search(toy_train, toy_evaluate, toy_model(), **kw)
    with pytest.raises(ValueError, match=r"init names unknown parameters \['slope'\]"):
        search(toy_train, toy_evaluate, toy_model(), init={"slope": np.ones(6)})
    with pytest.raises(ValueError, match=r"init\['intercepts'\] must have shape \(6,\)"):
        search(toy_train, toy_evaluate, toy_model(), init={"intercepts": np.ones(4)})
    with pytest.raises(ValueError, match="evaluate returned nan for sample 0 of epoch 0"):
        search(toy_train, lambda m: float("nan"), toy_model())
    with pytest.raises(TypeError, match="train_step must return the trained model"):
        search(lambda m, loss: None, toy_evaluate, toy_model())


# --- the examples (need scikit-learn, and optax for JAX: the consistency session) -----------


@pytest.mark.consistency
@pytest.mark.parametrize(
    ("name", "requires"), [("search_torch", ("torch",)), ("search_jax", ("jax", "optax"))]
)
def test_examples_search_a_real_model_deterministically(
    name: str, requires: tuple[str, ...]
) -> None:
    pytest.importorskip("sklearn")
    for module in requires:
        pytest.importorskip(module)
    example = _example(name)
    data = _example("digits_data").noisy_digits(0, noise=0.4)
    assert data.test.x.shape[1] == 64
    data = data._replace(train=type(data.train)(data.train.x[:256], data.train.y[:256]))
    runs = [example.run_search(data, seed=s, epochs=2, samples=2) for s in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0].rewards, runs[1].rewards)
    assert not np.array_equal(runs[0].rewards, runs[2].rewards)
    assert 0.0 < example.accuracy(runs[0].best_model, data.test) <= 1.0
