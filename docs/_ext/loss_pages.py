"""Sphinx extension: the loss pages, generated from the registry at every build.

A loss appears in the docs by being registered: ``docs/losses/index.rst`` (every loss in one
table, the catalog) and one page per family with, for each loss, its signature and
docstring (autodoc + numpydoc: the formula, what it matches, references), the native
implementations the test suite checks it against, a backend-support table derived from the
test matrix's cases and backend adapters (as scipy's ``xp_capabilities`` drives its docs),
and a plot of the loss and its gradient drawn with anyloss (``loss_plots``).
The generated files are git-ignored; nothing here is written per loss.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

import anyloss
from anyloss._checker.backends import BACKENDS
from anyloss._registry import FAMILIES, LossSpec, spec

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = "losses"
LOG = logging.getLogger(__name__)

# backend name -> (column title, how the matrix runs it)
BACKEND_TITLES = {
    "numpy": ("NumPy", "eager"),
    "strict": ("array-api-strict", "eager"),
    "torch": ("PyTorch", "eager"),
    "jax": ("JAX", "``jax.jit``"),
    "dask": ("dask", "lazy (no compute)"),
    "cupy": ("CuPy (GPU)", "eager"),
    "torch-cuda": ("PyTorch CUDA", "eager"),
}
YES, NO = "✓", "—"


def _cases() -> dict[str, list[Any]]:
    """The test matrix's cases of each loss (``tests/cases``), by loss name."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.cases import all_cases

    out: dict[str, list[Any]] = {}
    for case in all_cases():
        out.setdefault(case.loss, []).append(case)
    return out


def support_rows(cases: list[Any]) -> list[list[str]]:
    """The support table of one loss: a header row, then one row per capability."""
    names = list(BACKEND_TITLES)
    dtypes = sorted({d for c in cases for d in c.dtypes})
    half = any(c.half for c in cases)
    grad = any(c.grad for c in cases)
    rows = [["", *(BACKEND_TITLES[n][0] for n in names)]]
    tested = YES if cases else NO
    rows.append([" · ".join(dtypes) or "values", *(tested for _ in names)])
    rows.append(
        [
            "float16 · bfloat16",
            *(YES if half and cases and BACKENDS[n].half_dtypes else NO for n in names),
        ]
    )
    rows.append(
        [
            "gradient (autograd)",
            *(YES if grad and cases and BACKENDS[n].autograd else NO for n in names),
        ]
    )
    rows.append(["runs as", *(BACKEND_TITLES[n][1] for n in names)])
    return rows


def list_table(rows: list[list[str]], caption: str, css: str) -> list[str]:
    lines = [f".. list-table:: {caption}", "   :header-rows: 1", f"   :class: {css}", ""]
    for row in rows:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return [*lines, ""]


def summary(s: LossSpec) -> str:
    """The first paragraph of the docstring, on one line."""
    return (inspect.getdoc(s.fn) or "").split("\n\n")[0].replace("\n", " ")


def hyperparameters(s: LossSpec) -> str:
    """``(delta=1.0)``: the keyword-only hyperparameters and defaults, ``reduction`` left out."""
    params = inspect.signature(s.fn).parameters.values()
    shown = [
        p.name if p.default is p.empty else f"{p.name}={p.default!r}"
        for p in params
        if p.kind is p.KEYWORD_ONLY and p.name != "reduction"
    ]
    return f"(``{', '.join(shown)}``)" if shown else ""


def natives(cases: list[Any]) -> list[str]:
    return sorted({n.name for c in cases for n in c.native})


def heading(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


def loss_section(name: str, cases: list[Any], plot: str, caption: str) -> list[str]:
    lines = [f".. _loss-{name}:", "", *heading(f"``{name}``", "-")]
    lines += [f".. autofunction:: anyloss.{name}", ""]
    checked = natives(cases)
    if checked:
        refs = ", ".join(f"``{n}``" for n in checked)
        lines += [f"**Compared in the test suite with:** {refs}.", ""]
    lines += list_table(
        support_rows(cases),
        "Backend support, from the test matrix (CPU backends run in CI; GPU ones in "
        "``nox -s gpu``)",
        "support",
    )
    lines += [f".. figure:: {plot}", f"   :alt: {name}: loss and gradient", "", f"   {caption}", ""]
    return lines


def family_page(family: str, cases: dict[str, list[Any]], srcdir: Path) -> str:
    from loss_plots import draw

    names = anyloss.available(family)
    lines = heading(f"{family.capitalize()} losses", "=")
    lines += [
        f"{len(names)} losses, generated from the registry. For each: its signature and "
        "docstring (formula, what it matches, parameters, references); the frameworks' "
        "functions the test suite compares it with; a backend-support table read from the "
        "test matrix (✓: values checked against an independent float64 reference, gradients "
        "against finite differences; —: the backend has no such dtype or no autograd; the "
        "CuPy and CUDA columns run in ``nox -s gpu`` on a GPU machine, not in CI); and a "
        "plot drawn with anyloss while these pages were built.",
        "",
    ]
    for name in names:
        plot = f"plots/{name}.png"
        caption = draw(spec(name), srcdir / OUT_DIR / plot)
        lines += loss_section(name, cases.get(name, []), plot, caption)
    return "\n".join(lines)


def index_page(cases: dict[str, list[Any]]) -> str:
    lines = heading("The losses", "=")
    lines += [
        f"All {len(anyloss.available())} losses, family by family, generated from the "
        "registry (``anyloss.available()``): the name, the first line of its docstring and "
        "the native implementations the test suite compares it with. Every loss takes "
        '``reduction="mean" | "sum" | "none"`` and keyword-only hyperparameters; see '
        ":doc:`../conventions`.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *(f"   {family}" for family in FAMILIES),
        "",
    ]
    for family in FAMILIES:
        rows = [["loss", "summary", "compared with"]]
        for name in anyloss.available(family):
            rows.append(
                [
                    f":ref:`{name} <loss-{name}>` {hyperparameters(spec(name))}",
                    summary(spec(name)),
                    ", ".join(f"``{n}``" for n in natives(cases.get(name, []))) or NO,
                ]
            )
        lines += heading(family.capitalize(), "-")
        lines += list_table(rows, "", "catalog")
    return "\n".join(lines)


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (keeps incremental builds fast)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    cases = _cases()
    missing = [n for n in anyloss.available() if n not in cases]
    if missing:
        LOG.warning("no test-matrix case for: %s (support tables show them untested)", missing)
    out = srcdir / OUT_DIR
    write_if_changed(out / "index.rst", index_page(cases))
    for family in FAMILIES:
        write_if_changed(out / f"{family}.rst", family_page(family, cases, srcdir))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
