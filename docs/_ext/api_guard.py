"""Sphinx extension: ``.. automodule_if_importable:: NAME`` documents a module that may be absent.

A module that does not exist (``anyloss.keras`` before it was written) gets a one-line note
instead of failing the build. A module that exists but does not import (its framework is
missing) is a warning, so an error under ``-W``: the docs environment (``nox -s docs``)
installs torch and Keras, and there every adapter must be documented.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOG = logging.getLogger(__name__)


class AutomoduleIfImportable(SphinxDirective):
    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"members": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if importlib.util.find_spec(name) is None:
            return self.parse_text_to_nodes(f"``{name}`` does not exist in this version.")
        try:
            importlib.import_module(name)
        except ImportError as exc:
            LOG.warning(
                "%s exists but does not import: %s", name, exc, location=self.get_location()
            )
            return self.parse_text_to_nodes(f"``{name}`` could not be imported: {exc}.")
        lines = [f".. automodule:: {name}"]
        lines += [f"   :{key}: {value}".rstrip() for key, value in self.options.items()]
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("automodule_if_importable", AutomoduleIfImportable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
