"""Sphinx configuration of the anyloss docs: ``nox -s docs`` builds them into docs/_build/html.

Why Sphinx (with MyST for Markdown pages) rather than MkDocs: the docstrings are numpydoc
with reST math (``:math:``, ``.. math::``), which Sphinx's autodoc + numpydoc render as they
are, and the registry-driven pages need a build-time hook (an extension) that Sphinx has.
furo is a clean, readable theme with a dark mode; MathJax ships inside the docs environment
(``sphinx-mathjax-offline``), so formulas render without a network.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")  # anyloss.keras's API page imports Keras

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import anyloss  # noqa: E402

project = "anyloss"
author = "the anyloss authors"
copyright = "the anyloss authors"
release = version = anyloss.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "numpydoc",
    "api_guard",
    "loss_pages",
    "gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext", "README.md"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"anyloss {release}"
html_static_path = ["_static"]
html_css_files = ["anyloss.css"]

autodoc_typehints = "signature"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
toc_object_entries = False  # each loss has its own heading; no second entry per function
nitpicky = False
