"""Root conftest: selects the backends of the test matrix (see tests/_backends.py)."""

from __future__ import annotations

import pytest

from tests._backends import missing_backends, selected_backends

BACKENDS = selected_backends()  # a backend asked for but missing fails here, loudly


def pytest_report_header(config: pytest.Config) -> list[str]:
    missing = missing_backends(BACKENDS)
    line = f"anyloss backends: {', '.join(b.name for b in BACKENDS)}"
    return [line + (f" (not installed here: {', '.join(missing)})" if missing else "")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    groups = {
        "backend": BACKENDS,
        "grad_backend": [b for b in BACKENDS if b.autograd],
        "half_backend": [b for b in BACKENDS if b.half_dtypes],
        "jax_backend": [b for b in BACKENDS if b.name == "jax"],
    }
    for fixture, backends in groups.items():
        if fixture in metafunc.fixturenames:
            metafunc.parametrize(fixture, backends, ids=[b.name for b in backends])
