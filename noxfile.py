"""nox sessions: the test matrix per backend, cross-backend consistency, lint, GPU, benchmarks.

Plain ``nox`` runs the default sessions: ``tests`` for each CPU backend (each in its own
environment holding only that backend, proving none is required), ``consistency`` (every
CPU backend and the native references in one environment, plus ``anyloss check``),
``scale`` (the multi-process and multi-device tests, marked ``scale``), ``lint`` and
``docs`` (the Sphinx site, warnings as errors, and its smoke test). ``gpu`` (cupy + torch
CUDA), ``compile`` (inductor on every loss) and ``bench`` run only when named.

Where a check costs a compile per case (jax: float32 and half precision values, eager vs
jit; consistency: the same number on every backend, torch vs jax gradients) it runs on each
loss's default and extreme-input cases; every case meets its float64 reference on every
backend in float64 (and float32 on the eager backends) in ``tests``.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests", "consistency", "scale", "lint", "docs"]
nox.options.reuse_existing_virtualenvs = False

# torch is pinned to the CPU build these machines carry; an unpinned torch pulls a
# multi-GB CUDA build (BACKEND-NOTES). jax from the registry is a CPU build.
TORCH_CPU = "torch==2.13.0"
BACKENDS = {
    "numpy": [],
    "strict": ["array-api-strict"],
    "torch": [TORCH_CPU],
    "jax": ["jax"],
    "dask": ["dask[array]"],
}
# XLA's LLVM backend at -O0 where the tests run jax: a jit compile per case is most of the
# jax session's time, and -O0 compiles about a fifth faster (measured on the gradient
# tests); the optimised HLO graph, which decides the numbers, is the same
JAX_TEST_ENV = {"XLA_FLAGS": "--xla_backend_optimization_level=0"}
REFERENCES = ["optax", "keras", "scikit-learn", "monai", "pytorch-metric-learning", "rax"]
PYTEST = ["pytest", "-q", "-p", "no:cacheprovider", "-n", os.environ.get("ANYLOSS_WORKERS", "2")]


@nox.session
@nox.parametrize("backend", list(BACKENDS))
def tests(session: nox.Session, backend: str) -> None:
    """The matrix on one backend, in an environment that has only that backend.

    The comparisons with the frameworks' own losses (``tests/test_native.py``) run once,
    in ``consistency``, where every framework is installed."""
    session.install("-e", ".[test]", *BACKENDS[backend])
    session.run(
        *PYTEST,
        "-m",
        "not consistency and not scale",
        "--ignore",
        "tests/test_native.py",
        *session.posargs,
        env={"ANYLOSS_BACKENDS": backend, **(JAX_TEST_ENV if backend == "jax" else {})},
    )


@nox.session
def consistency(session: nox.Session) -> None:
    """Every CPU backend in one process: cross-backend and gradient parity, natives, check."""
    deps = [d for ds in BACKENDS.values() for d in ds]
    session.install("-e", ".[test]", *deps, *REFERENCES)
    env = {"ANYLOSS_BACKENDS": ",".join(BACKENDS), "KERAS_BACKEND": "jax", **JAX_TEST_ENV}
    session.run(*PYTEST, "-m", "consistency", *session.posargs, env=env)
    session.run(*PYTEST, "tests/test_native.py", env=env)
    # the CLI itself, on the eager backends (2 min of compiles on all five: jax and dask
    # are proven case by case by the matrix and the tests above)
    eager = ("--backend", "numpy", "--backend", "strict", "--backend", "torch")
    session.run("anyloss", "check", *eager, env=env)


@nox.session
def scale(session: nox.Session) -> None:
    """Scale-out, each test bounded in time: dask.distributed (a LocalCluster of processes
    with a memory limit), torch.distributed (two gloo processes on 127.0.0.1) and JAX
    sharded over two host devices (a fresh process with ``XLA_FLAGS``)."""
    session.install("-e", ".[test]", TORCH_CPU, "jax", "dask[array]", "distributed")
    env = {"ANYLOSS_BACKENDS": "numpy,torch,jax,dask"}
    # one file per xdist worker: the JAX process compiles while the dask cluster computes
    session.run(
        *PYTEST, "--dist", "loadfile", "-m", "scale", "tests/scale", *session.posargs, env=env
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format), mypy on the package, and the types a user sees: mypy on
    ``tests/typecheck/user_script.py`` (``assert_type`` of results on torch tensors)."""
    session.install("ruff", "mypy", "numpy", "array-api-compat", TORCH_CPU)
    session.run(
        "ruff",
        "check",
        "src",
        "tests",
        "benchmarks",
        "examples",
        "scripts",
        "docs/conf.py",
        "docs/_ext",
        "noxfile.py",
        "conftest.py",
    )
    session.run(
        "ruff",
        "format",
        "--check",
        "src",
        "tests",
        "benchmarks",
        "examples",
        "scripts",
        "docs/conf.py",
        "docs/_ext",
        "noxfile.py",
        "conftest.py",
    )
    session.run("mypy")
    session.run("mypy", "tests/typecheck/user_script.py", env={"MYPYPATH": "src"})


@nox.session
def docs(session: nox.Session) -> None:
    """The docs site into docs/_build/html (warnings are errors), then its smoke test.

    The build generates the loss pages and plots from the registry and runs every script in
    examples/ (torch, JAX + Optax, Keras, dask), so this environment has those libraries.
    """
    session.install("-e", ".[docs]")
    out = "docs/_build/html"
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "-q", "docs", out)
    env = {"ANYLOSS_DOCS_BUILD": out, "KERAS_BACKEND": "jax"}
    session.run("pytest", "-q", "-p", "no:cacheprovider", "tests/test_docs.py", env=env)


@nox.session
def compile(session: nox.Session) -> None:
    """torch.compile (inductor) of every loss vs eager, and every loss compiled as the first
    call of a fresh process (slow: ~15 s a compile; not default)."""
    session.install("-e", ".[test]", TORCH_CPU)
    env = {"ANYLOSS_BACKENDS": "torch", "ANYLOSS_COMPILE_ALL": "1"}
    session.run(*PYTEST, "tests/test_compile.py", *session.posargs, env=env)


@nox.session
def gpu(session: nox.Session) -> None:
    """cupy and torch on CUDA (needs a GPU; not in the default list)."""
    session.install("-e", ".[test]", "cupy-cuda12x", "torch")
    session.run(
        *PYTEST,
        "-m",
        "not consistency",
        *session.posargs,
        env={"ANYLOSS_BACKENDS": "cupy,torch-cuda"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """anyloss against each framework's native loss (not a test; prints ratios); MONAI
    where torch has no kernel."""
    session.install("-e", ".", TORCH_CPU, "jax", "optax", "monai")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def search(session: nox.Session) -> None:
    """AM-LFS against cross-entropy on noisy digits over seeds (not a test; ~2 minutes)."""
    session.install("-e", ".", TORCH_CPU, "scikit-learn", "matplotlib")
    session.run("python", "scripts/search_digits.py", *session.posargs)
