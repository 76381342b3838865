"""``anyloss`` console script and ``python -m anyloss``: ``check``, ``list``, ``--version``."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence

ARRAY_LIBRARIES = {
    "numpy": "numpy",
    "cupy": "cupy",
    "torch": "torch",
    "jax": "jax",
    "dask": "dask",
    "array-api-strict": "array_api_strict",
}
"""The backends every loss runs on (display name -> module)."""


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="anyloss", description="Deep-learning losses written once for every array library."
    )
    parser.add_argument("--version", action="version", version=f"anyloss {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "check",
        help="run every loss on every installed backend against float64 NumPy",
        add_help=False,
    )
    listing = commands.add_parser("list", help="the losses: names, families, arrays, backends")
    listing.add_argument("--family", help="only this family")
    return parser


def list_losses(family: str | None = None) -> int:
    """Print every registered loss (of ``family``): name, family, array arguments."""
    import anyloss

    from ._frameworks import array_arguments
    from ._registry import spec

    names = anyloss.available(family)
    width = max(len(n) for n in names) + 2
    print("loss".ljust(width) + "family".ljust(16) + "arrays")
    for name in names:
        print(name.ljust(width) + spec(name).family.ljust(16) + ", ".join(array_arguments(name)))
    here = [n for n, m in ARRAY_LIBRARIES.items() if importlib.util.find_spec(m) is not None]
    print(
        f"\n{len(names)} losses. Backends: each runs on every one of "
        f"{', '.join(ARRAY_LIBRARIES)}; installed here: {', '.join(here)}."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if args and args[0] == "check":  # the check command parses its own options
        from ._checker.check import main as check

        return check(args[1:])
    ns = parser.parse_args(args)
    if ns.command == "list":
        try:
            return list_losses(ns.family)
        except ValueError as exc:
            print(f"anyloss list: {exc}", file=sys.stderr)
            return 2
    parser.print_help()
    return 0 if args else 2


if __name__ == "__main__":
    sys.exit(main())
