"""Sphinx extension: ``.. automodule_if_importable:: NAME`` documents a module that may be absent.

``anyloss.torch`` needs torch and ``anyloss.keras`` needs Keras (and may not exist in every
version); where the import fails, the page says so and why, instead of failing the build.
The docs environment (``nox -s docs``) installs both frameworks, so there they are documented.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class AutomoduleIfImportable(SphinxDirective):
    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"members": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        try:
            importlib.import_module(name)
        except ImportError as exc:
            text = f"``{name}`` is not importable in this build of the docs: {exc}."
            return self.parse_text_to_nodes(text)
        lines = [f".. automodule:: {name}"]
        lines += [f"   :{key}: {value}".rstrip() for key, value in self.options.items()]
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("automodule_if_importable", AutomoduleIfImportable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
