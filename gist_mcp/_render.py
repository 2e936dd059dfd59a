"""Renders the catalogue into the README's tools and toolsets tables, manifest.json's `tools` list and
toolsets text, and the tools/list snapshot the server loads at start (`gist_mcp/tools.json`).

All of them are generated from `TOOLSETS` / `CATALOG`, never edited by hand: `python -m gist_mcp._render --write`
rewrites them in place, `--check` exits 1 (naming that command) when any is stale. Run it from
the repository root, or pass `--root`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gist_mcp._tools import tool_snapshot
from gist_mcp.catalog import CATALOG, DEFAULT_TOOLSETS, TOOLSET_NAMES, TOOLSETS, VARIANTS, AnyOperation, index_json

TOOLS_MARKERS = ("<!-- BEGIN TOOLS -->", "<!-- END TOOLS -->")
TOOLSETS_MARKERS = ("<!-- BEGIN TOOLSETS -->", "<!-- END TOOLSETS -->")
FIX_COMMAND = "python -m gist_mcp._render --write"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


def first_sentence(text: str) -> str:
    """The description up to its first sentence end: the summary for tables and install UIs."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _hints(op: AnyOperation) -> tuple[str, str]:
    return ("yes" if op.read_only else "", "yes" if op.destructive else "")


def render_tools_table(operations: Sequence[AnyOperation] = CATALOG) -> str:
    """The Markdown table of every tool, in catalogue order."""
    lines = [
        "| tool | toolset | what it does | Gist call | read-only | destructive |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for op in operations:
        read_only, destructive = _hints(op)
        cells = [f"`{op.name}`", op.toolset, first_sentence(op.description), op.gist_call, read_only, destructive]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def render_toolsets_table() -> str:
    """The Markdown table of every toolset: what it is for, whether `default` has it, its tools."""
    lines = ["| toolset | what it is for | in `default` | tools |", "| --- | --- | --- | --- |"]
    for ts in TOOLSETS:
        tools = ", ".join(f"`{op.name}`" for op in ts.operations)
        cells = [f"`{ts.name}`", ts.description, "yes" if ts.default else "", tools]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def toolsets_help() -> str:
    """The manifest's description of its `toolsets` setting."""
    left_out = [name for name in TOOLSET_NAMES if name not in DEFAULT_TOOLSETS]
    default = f"every toolset but {', '.join(left_out)}" if left_out else "every toolset"
    names = ", ".join(TOOLSET_NAMES)
    return f"Comma-separated toolsets: default, all, or any of {names}. Empty means default ({default})."


def render_manifest_tools(operations: Sequence[AnyOperation] = CATALOG) -> list[dict[str, str]]:
    """manifest.json's `tools`: name and summary of every tool (toolsets may hide some at runtime)."""
    return [{"name": op.name, "description": first_sentence(op.description)} for op in operations]


def render_readme(readme: str) -> str:
    """`readme` with the text between each pair of markers replaced by its current table.

    Raises:
        ValueError: a pair of markers is missing or out of order.
    """
    for (begin, end), table in ((TOOLS_MARKERS, render_tools_table()), (TOOLSETS_MARKERS, render_toolsets_table())):
        start, stop = readme.find(begin), readme.find(end)
        if start < 0 or stop < start:
            raise ValueError(f"README.md needs the markers {begin} and {end}, in that order.")
        readme = readme[: start + len(begin)] + "\n" + table + "\n" + readme[stop:]
    return readme


def render_manifest(manifest: str) -> str:
    """`manifest` (JSON text) with its `tools` list rendered, formatted as the repository keeps it."""
    data: dict[str, Any] = json.loads(manifest)
    data["tools"] = render_manifest_tools()
    data["user_config"]["toolsets"]["description"] = toolsets_help()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_snapshot(current: str) -> str:
    """gist_mcp/tools.json: the tools/list entry of every operation and variant, and the catalogue's index
    (its old text is ignored)."""
    snapshot = {**tool_snapshot((*CATALOG, *VARIANTS)), "catalog": index_json()}
    return json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n"


def stale_files(root: Path) -> dict[Path, str]:
    """Each generated file under `root` whose content differs from its rendering, with the rendering."""
    stale: dict[Path, str] = {}
    renderers = (
        ("README.md", render_readme),
        ("manifest.json", render_manifest),
        ("gist_mcp/tools.json", render_snapshot),
    )
    for name, render in renderers:
        path = root / name
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        rendered = render(current)
        if rendered != current:
            stale[path] = rendered
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """`--write` rewrites the stale files; `--check` reports them and exits 1."""
    parser = argparse.ArgumentParser(prog="python -m gist_mcp._render", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the stale generated files in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if any is stale")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: cwd)")
    args = parser.parse_args(argv)
    stale = stale_files(args.root)
    if args.write:
        for path, text in stale.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"rewrote {path}")
        return 0
    if stale:
        names = ", ".join(path.name for path in stale)
        print(f"{names} out of date with the catalogue: run `{FIX_COMMAND}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
