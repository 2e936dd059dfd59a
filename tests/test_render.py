"""The README tools table and manifest.json's `tools` are what the catalogue renders today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gist_mcp import _render, _snapshot, _tools
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
    markers = "".join(
        f"{begin}\nold table\n{end}\n" for begin, end in (_render.TOOLS_MARKERS, _render.TOOLSETS_MARKERS)
    )
    (tmp_path / "README.md").write_text(f"# x\n\n{markers}", encoding="utf-8")
    manifest = {"name": "gist-mcp", "tools": [], "user_config": {"toolsets": {"description": "old"}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert _render.main(["--check", "--root", str(tmp_path)]) == 1
    assert _render.FIX_COMMAND in capsys.readouterr().err
    assert _render.main(["--write", "--root", str(tmp_path)]) == 0
    assert _render.main(["--check", "--root", str(tmp_path)]) == 0
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "`delete_tag`" in readme
    assert "| `raw` |" in readme
    written = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert written["user_config"]["toolsets"]["description"] == _render.toolsets_help()


def test_readme_without_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="BEGIN TOOLS"):
        _render.render_readme("# no markers\n")


def test_a_stale_snapshot_is_never_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An edited description with an old tools.json: the server builds the entry anew and says why."""
    op = CATALOG[0]
    stale = _tools.tool_snapshot([op])
    stale["tools"][op.key]["description"] = "an old description"
    stale["fingerprint"] = "0" * 64
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    monkeypatch.setattr(_snapshot, "PATH", path)
    _snapshot.load.cache_clear()
    try:
        assert advertised_tools([op]) == [mcp_tool(op)]
        assert "does not match" in caplog.text
    finally:
        monkeypatch.undo()
        _snapshot.load.cache_clear()
