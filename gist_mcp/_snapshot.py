"""The fingerprinted `tools.json` snapshot: read once, and trusted only while it matches the code it was made from.

`python -m gist_mcp._render --write` generates it from the catalogue: every operation's tools/list
entry (served as tools/list without building a schema) and the catalogue's index (toolsets, their
operations' names and hints, and where each toolset is declared), so a server can list its tools
before importing a single catalogue module. Both are used only while the fingerprint matches the
sources that shape them (see `fingerprint`); otherwise `load` says so once and answers None, and the
callers derive everything from the catalogue's modules, so an edit is never served stale.

This module imports nothing of gist-mcp's: the catalogue's package reads it before any toolset module.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pydantic

logger = logging.getLogger("gist_mcp.tools")

PATH = Path(__file__).with_name("tools.json")
SOURCES = ("_snapshot.py", "_tools.py", "_schema.py", "catalog")
"""What shapes the snapshot, relative to the package: this module, the tool builder, the schema leaner and the
catalogue."""


@functools.cache
def fingerprint() -> str:
    """A digest of every source file that shapes the snapshot, and of the pydantic version that renders its schemas.

    (`mcp`, whose Tool model serialises the entries, is pinned to a tested minor version in pyproject.toml.)
    """
    package = Path(__file__).parent
    digest = hashlib.sha256()
    digest.update(f"pydantic=={pydantic.VERSION}\n".encode())
    for source in SOURCES:
        path = package / source
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(package).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


@functools.cache
def load() -> dict[str, Any] | None:
    """The snapshot at `PATH` when it matches the code; None (with one warning) when stale, missing or
    unreadable. Read once: the catalogue's index and the tool entries both come from this one parse."""
    path = PATH
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint():  # pyright: ignore[reportUnknownMemberType]
        logger.warning(
            "%s does not match the catalogue's code; building tool schemas at start instead "
            "(regenerate it with `python -m gist_mcp._render --write`).",
            path.name,
        )
        return None
    return data  # pyright: ignore[reportUnknownVariableType]
