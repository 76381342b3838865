"""Binary, multi-label and margin classification losses (see CATALOG.md, Classification)."""

from __future__ import annotations

__all__: list[str] = []
