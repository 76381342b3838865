"""Give every registered loss its public types: arrays ``Array``, ``reduction: Reduction``.

For each function decorated with ``@loss(...)`` in ``src/anyloss/*.py``, rewrite its
``def`` header only: positional parameters annotated ``Any`` become ``Array`` (the type
variable of ``anyloss._types``), the return ``-> Any`` becomes ``-> Array`` and
``reduction: str`` becomes ``reduction: Reduction``; then add
``from ._types import Array, Reduction`` to the module. Idempotent: run it again after
adding losses (then ``ruff check --fix --select I`` and ``ruff format`` the files)::

    python scripts/type_signatures.py && ruff check --fix --select I src/anyloss \\
        && ruff format src/anyloss
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "anyloss"
IMPORT = "from ._types import Array, Reduction\n"


def _is_loss(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Call) and getattr(d.func, "id", "") == "loss" for d in node.decorator_list
    )


def _header(fn: ast.FunctionDef) -> tuple[int, int]:
    """0-based line range ``[start, stop)`` of the ``def`` header (to the body)."""
    return fn.lineno - 1, fn.body[0].lineno - 1


def _retype(header: str, positional: list[str]) -> str:
    for name in positional:
        header = re.sub(rf"\b{name}: Any\b", f"{name}: Array", header, count=1)
    if any(f"{name}: Array" in header for name in positional):
        header = re.sub(r"\) -> Any:", ") -> Array:", header, count=1)
    return re.sub(r"\breduction: str\b", "reduction: Reduction", header, count=1)


def _add_import(text: str) -> str:
    if IMPORT in text:
        return text
    anchor = "from ._registry import loss\n"
    if anchor not in text:
        raise SystemExit(f"no {anchor.strip()!r} line to put the import after")
    return text.replace(anchor, anchor + IMPORT, 1)


def retype_module(path: Path) -> bool:
    """Rewrite ``path``; True if it changed."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    losses = [n for n in ast.walk(ast.parse(text)) if _is_loss(n)]
    if not losses:
        return False
    for fn in sorted(losses, key=lambda f: f.lineno, reverse=True):
        assert isinstance(fn, ast.FunctionDef)
        start, stop = _header(fn)
        positional = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        lines[start:stop] = [_retype("".join(lines[start:stop]), positional)]
    new = _add_import("".join(lines))
    if new != text:
        path.write_text(new)
    return new != text


def main() -> int:
    changed = [p.name for p in sorted(SRC.glob("*.py")) if retype_module(p)]
    print("retyped: " + (", ".join(changed) or "nothing"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
