"""Sphinx extension: the examples gallery; every ``examples/*.py`` runs during the build.

Each script (``_private.py`` helpers excepted) runs as ``python examples/NAME.py`` (no
arguments) in its own folder ``docs/gallery/NAME/`` (git-ignored), two at a time, in
parallel with the rest of the build.
Its page shows the docstring, the source, what it printed, how long it took, and every PNG
it wrote into its folder. A script that fails (exit status not 0, or past ``TIMEOUT`` s) is a
build warning, so an error under ``-W``: the gallery never shows a stale or broken example.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
OUT_DIR = "gallery"
TIMEOUT = 300
WORKERS = 2
LOG = logging.getLogger(__name__)
_PENDING: list[Future[Run]] = []


@dataclass(frozen=True)
class Run:
    script: Path
    returncode: int
    output: str
    seconds: float
    images: tuple[str, ...]


def run_example(script: Path, folder: Path) -> Run:
    """Run ``script`` in ``folder`` (emptied first); collect its output and images."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(script)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        code, output = proc.returncode, proc.stdout + (proc.stderr if proc.returncode else "")
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {TIMEOUT} s"
    images = tuple(sorted(p.name for p in folder.glob("*.png")))
    return Run(script, code, output, time.perf_counter() - start, images)


def docstring(script: Path) -> tuple[str, str, int]:
    """The first docstring line, the rest of the docstring, and the line after it."""
    module = ast.parse(script.read_text())
    doc = ast.get_docstring(module) or script.stem
    first = module.body[0] if module.body else None
    after = first.end_lineno + 1 if first and ast.get_docstring(module) and first.end_lineno else 1
    title, _, body = doc.partition("\n")
    return title.strip().rstrip("."), body.strip(), after


def page(run: Run) -> str:
    name = run.script.stem
    lead, body, after = docstring(run.script)
    out = run.output.rstrip() or "(no output)"
    heading = f"{name}.py"
    lines = [heading, "=" * len(heading), "", f"**{lead}.**", "", body, ""]
    lines += [
        f"``python examples/{name}.py`` ran during this build of the docs in {run.seconds:.1f} s.",
        "",
        f".. literalinclude:: ../../examples/{name}.py",
        "   :language: python",
        f"   :lines: {after}-",
        "",
        "Output",
        "------",
        "",
        ".. code-block:: text",
        "",
        *(f"   {line}" for line in out.splitlines()),
        "",
    ]
    for image in run.images:
        lines += [f".. image:: {name}/{image}", f"   :alt: {image} written by {name}.py", ""]
    return "\n".join(lines)


def index(runs: list[Run]) -> str:
    lines = ["Examples", "========", ""]
    lines += [
        "Each script in ``examples/`` ran while these pages were built; its page shows the "
        "source, the output and the figures it drew. Run one yourself with "
        "``python examples/NAME.py`` (the optional backends it imports must be installed).",
        "",
    ]
    for run in runs:
        lead, _, _ = docstring(run.script)
        lines.append(f"- :doc:`{run.script.stem}` — {lead} ({run.seconds:.1f} s)")
    lines += ["", ".. toctree::", "   :hidden:", "", *(f"   {r.script.stem}" for r in runs), ""]
    return "\n".join(lines)


def start(app: Sphinx) -> None:
    """Start every example (before the loss pages are generated, so both run at once)."""
    out = Path(app.srcdir) / OUT_DIR
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    scripts = [s for s in sorted(EXAMPLES.glob("*.py")) if not s.name.startswith("_")]
    _PENDING[:] = [pool.submit(run_example, s, out / s.stem) for s in scripts]
    pool.shutdown(wait=False)  # the queued runs still run; finish() waits for them


def finish(app: Sphinx) -> None:
    """Wait for the examples; write their pages; a failed example is a warning."""
    runs = [f.result() for f in _PENDING]
    _PENDING.clear()
    out = Path(app.srcdir) / OUT_DIR
    for run in runs:
        if run.returncode != 0:
            LOG.warning(
                "example %s failed (exit %s):\n%s",
                run.script.name,
                run.returncode,
                run.output[-3000:],
            )
        _write(out / f"{run.script.stem}.rst", page(run))
    _write(out / "index.rst", index(runs))


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", start, priority=100)
    app.connect("builder-inited", finish, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
