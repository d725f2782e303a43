"""What every script that generates a docs page shares: write the page, or with ``--check``
say whether it is current (the tests run the check)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(page: Path, text: str, script: str) -> int:
    """Write ``text`` to ``page``; with ``--check`` only compare, returning 1 when it differs."""
    if "--check" not in sys.argv[1:]:
        page.write_text(text)
        return 0
    if page.read_text() == text:
        return 0
    print(f"{page} is out of date: run python scripts/{script}", file=sys.stderr)
    return 1
