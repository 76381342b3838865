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
    assert start >= 0, f"no section for {name}"
    end = page.find('<span id="loss-', start + 1)
    return page[start : end if end >= 0 else len(page)]


@pytest.mark.parametrize("name", anyloss.available())
def test_every_loss_has_formula_and_plot(html: Path, name: str) -> None:
    page_path = html / "losses" / f"{spec(name).family}.html"
    section = _section(page_path.read_text(), name)
    assert f"anyloss.{name}" in section, f"{name}: no signature on its page"
    assert MATH.search(section), f"{name}: no math markup in its section"
    images = re.findall(r'<img alt="[^"]*" src="([^"]+\.png)"', section)
    assert images, f"{name}: no plot in its section"
    for src in images:
        image = (page_path.parent / src).resolve()
        assert image.is_file(), f"{name}: {src} is not in the build"
        assert image.stat().st_size > 1000, f"{name}: {src} is (nearly) empty"
    assert "Backend support" in section, f"{name}: no support table"


def test_mathjax_is_served_locally(html: Path) -> None:
    """The formulas render offline: the page loads MathJax from the site itself."""
    page = (html / "losses" / "regression.html").read_text()
    (src,) = re.findall(r'src="([^"]*mathjax[^"]*)"', page)
    assert not src.startswith(("http:", "https:", "//")), src
    path = src.split("?")[0]  # Sphinx may append ?v=<hash>
    assert (html / "losses" / path).resolve().is_file(), f"{src} is not in the build"


def test_every_example_ran_into_the_gallery(html: Path) -> None:
    for script in sorted((ROOT / "examples").glob("*.py")):
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
