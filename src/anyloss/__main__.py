"""``anyloss`` console script and ``python -m anyloss``: ``anyloss check``."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(
            "usage: anyloss check [--backend NAME ...] [--loss NAME ...]\n\n"
            "  check   run every loss on every installed backend and print the deviations\n"
            "          of value and gradient from a float64 NumPy reference"
        )
        return 0 if args else 2
    if args[0] == "check":
        from ._check import main as check

        return check(args[1:])
    print(f"anyloss: unknown command {args[0]!r}; try 'anyloss check'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
