"""The docs site: every registered loss has a page section with a rendered formula and a plot.

``nox -s docs`` builds the site (warnings are errors) and runs this file with
``ANYLOSS_DOCS_BUILD=docs/_build/html``; run elsewhere with Sphinx installed, it builds the
site itself into a temporary folder first (about a minute). Without Sphinx the tests of the
built site are skipped (the backends' test environments do not carry the docs toolchain);
the checks of the Markdown sources (README links, migration tables) run everywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import anyloss
from anyloss._registry import spec

ROOT = Path(__file__).resolve().parents[1]
MATH = re.compile(r'class="math notranslate nohighlight"')


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: the one ``nox -s docs`` just built, or a fresh build."""
    pytest.importorskip("sphinx", reason="sphinx is not installed; nox -s docs runs these tests")
    given = os.environ.get("ANYLOSS_DOCS_BUILD")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("docs") / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q"]
    subprocess.run([*cmd, str(ROOT / "docs"), str(out)], check=True, cwd=ROOT)
    return out


def _section(page: str, name: str) -> str:
    """The HTML of the section of loss ``name`` (up to the next loss's section)."""
    start = page.find(f'<span id="loss-{name.replace("_", "-")}">')  # docutils' id of the label
    if start < 0:
        return ""
    end = page.find('<span id="loss-', start + 1)
    return page[start : end if end >= 0 else len(page)]


def _problems_of(html: Path, name: str) -> list[str]:
    """What the page section of loss ``name`` lacks (empty when it is complete)."""
    page_path = html / "losses" / f"{spec(name).family}.html"
    section = _section(page_path.read_text(), name)
    if not section:
        return [f"{name}: no section on {page_path.name}"]
    problems = []
    if f"anyloss.{name}" not in section:
        problems.append(f"{name}: no signature")
    if not MATH.search(section):
        problems.append(f"{name}: no math markup")
    if "Backend support" not in section:
        problems.append(f"{name}: no support table")
    images = re.findall(r'<img alt="[^"]*" src="([^"]+\.png)"', section)
    if not images:
        problems.append(f"{name}: no plot")
    for src in images:
        image = (page_path.parent / src).resolve()
        if not image.is_file() or image.stat().st_size < 1000:
            problems.append(f"{name}: {src} missing or (nearly) empty")
    return problems


def test_every_loss_has_formula_and_plot(html: Path) -> None:
    """One test for all losses (so a session without Sphinx reports one skip, not 48)."""
    names = anyloss.available()
    problems = [p for name in names for p in _problems_of(html, name)]
    assert not problems, "\n".join(problems)


def test_mathjax_is_served_locally(html: Path) -> None:
    """The formulas render offline: the page loads MathJax from the site itself."""
    page = (html / "losses" / "regression.html").read_text()
    (src,) = re.findall(r'src="([^"]*mathjax[^"]*)"', page)
    assert not src.startswith(("http:", "https:", "//")), src
    path = src.split("?")[0]  # Sphinx may append ?v=<hash>
    assert (html / "losses" / path).resolve().is_file(), f"{src} is not in the build"


def test_every_example_ran_into_the_gallery(html: Path) -> None:
    for script in sorted((ROOT / "examples").glob("[!_]*.py")):
        page = html / "gallery" / f"{script.stem}.html"
        assert page.is_file(), f"no gallery page for {script.name}"
        assert "Output" in page.read_text(), f"{script.name}: no output section"


MIGRATION_ROW = re.compile(r"^\| [^|]+ \| `(?:-|1 \+ |0\.5 \* )?([a-z_0-9]+)", re.MULTILINE)


def test_migration_tables_name_registered_losses() -> None:
    """Every anyloss call in the migration tables names a registered loss."""
    names = MIGRATION_ROW.findall((ROOT / "docs" / "migration.md").read_text())
    assert len(names) > 40
    unknown = sorted(set(names) - set(anyloss.available()))
    assert not unknown, f"migration.md names losses that are not registered: {unknown}"


README_LINK = re.compile(r"\]\(([^)]+)\)")


def test_readme_links_resolve_in_the_repository() -> None:
    """Every relative link of the README points at a file or folder of this repository."""
    links = README_LINK.findall((ROOT / "README.md").read_text())
    local = [link for link in links if "://" not in link]
    assert local, "the README links to nothing in the repository"
    missing = [link for link in local if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, f"README links to paths not in the repository: {missing}"
