"""The README tools table and manifest.json's `tools` are what the catalogue renders today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gist_mcp import _render
from gist_mcp._tools import advertised_tools, mcp_tool
from gist_mcp.catalog import CATALOG, VARIANTS

ROOT = Path(__file__).resolve().parents[1]
STALE = f"is out of date with the catalogue: run `{_render.FIX_COMMAND}` and commit the result"


def test_readme_tools_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _render.render_readme(readme) == readme, f"README.md {STALE}"


def test_manifest_tools_are_current() -> None:
    manifest = (ROOT / "manifest.json").read_text(encoding="utf-8")
    assert _render.render_manifest(manifest) == manifest, f"manifest.json {STALE}"


def test_tools_snapshot_is_current_and_is_what_the_server_advertises() -> None:
    snapshot = ROOT / "gist_mcp" / "tools.json"
    assert _render.render_snapshot("") == snapshot.read_text(encoding="utf-8"), f"gist_mcp/tools.json {STALE}"
    operations = (*CATALOG, *VARIANTS)
    assert advertised_tools(operations) == [mcp_tool(op) for op in operations]


def test_manifest_lists_every_tool_with_its_summary() -> None:
    tools = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))["tools"]
    assert [tool["name"] for tool in tools] == [op.name for op in CATALOG]
    assert all(tool["description"] and len(tool["description"]) <= 300 for tool in tools)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Delete a tag. Cannot be undone.", "Delete a tag."),
        ("Rename a tag; contacts keep it.", "Rename a tag; contacts keep it."),
        (
            "Call any endpoint (forms, teams...: anything). Paths are relative.",
            "Call any endpoint (forms, teams...: anything).",
        ),
    ],
)
def test_first_sentence_stops_at_the_first_sentence_end(text: str, first: str) -> None:
    assert _render.first_sentence(text) == first


def test_check_names_the_fix_command_and_write_repairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text(f"# x\n\n{_render.BEGIN}\nold table\n{_render.END}\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text('{"name": "gist-mcp", "tools": []}', encoding="utf-8")
    assert _render.main(["--check", "--root", str(tmp_path)]) == 1
    assert _render.FIX_COMMAND in capsys.readouterr().err
    assert _render.main(["--write", "--root", str(tmp_path)]) == 0
    assert _render.main(["--check", "--root", str(tmp_path)]) == 0
    assert "`delete_tag`" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_readme_without_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="BEGIN TOOLS"):
        _render.render_readme("# no markers\n")
