"""Binary family cases (filled as the family's losses land)."""

from __future__ import annotations

from typing import Any

from tests.cases import Case

CASES: list[Case] = []

INVALID: dict[str, list[dict[str, Any]]] = {}
