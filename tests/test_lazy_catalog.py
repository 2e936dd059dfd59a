"""A server lists its tools without loading a single toolset module (or building a prompt); a module
loads when one of its tools is called or one of its resources is used, and only that one. Checked in a
fresh interpreter, through the MCP protocol, as `gist-mcp --sandbox` starts (the sandbox answers the calls)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from processes import probe

from gist_mcp import _snapshot, catalog
from gist_mcp.catalog import DEFAULT_TOOLSETS, TOOLSETS

PROBE = """
import json, sys
import anyio
from mcp import Client
from gist_mcp.cli import build_parser, build_server, load_settings

def toolset_modules():
    return sorted(m.rpartition(".")[2] for m in sys.modules if m.startswith("gist_mcp.catalog.") and "._" not in m)

def prompts_built():
    from gist_mcp import prompts
    return prompts._prompt.cache_info().currsize

async def main():
    server = build_server(load_settings(build_parser().parse_args(["--sandbox"])))
    seen = {}
    async with Client(server) as client:
        seen["listed"] = len((await client.list_tools()).tools)
        seen["after_list"] = toolset_modules()
        seen["prompts_built_after_list"] = prompts_built()
        seen["prompts"] = len((await client.list_prompts()).prompts)
        seen["after_prompts"] = toolset_modules()
        seen["prompts_built_after_prompts"] = prompts_built()
        answer = await client.call_tool("list_users", {"limit": 1})
        seen["call_ok"] = not answer.is_error
        seen["after_call"] = toolset_modules()
        seen["resources"] = len((await client.list_resources()).resources)
        seen["after_resources"] = toolset_modules()
    print(json.dumps(seen))

anyio.run(main)
"""


@pytest.mark.slow
def test_tools_list_loads_no_toolset_module_and_a_call_loads_only_its_own(tmp_path: Path) -> None:
    seen = probe(PROBE, folder=tmp_path, env={"GIST_MCP_DATA_DIR": str(tmp_path)})
    assert seen["listed"] == sum(len(ts.operations) for ts in TOOLSETS if ts.name in DEFAULT_TOOLSETS)
    assert seen["after_list"] == [], "tools/list loaded toolset modules"
    assert seen["prompts"] > 0
    assert seen["after_prompts"] == []
    # The SDK prompts (an argument model, its schema and a validating wrapper each) are built when listed.
    assert (seen["prompts_built_after_list"], seen["prompts_built_after_prompts"]) == (0, seen["prompts"])
    assert seen["call_ok"]
    assert seen["after_call"] == ["contacts"]
    # resources/list reads the resources of the toolsets that have some (segments and campaigns list their ids).
    assert seen["resources"] > 0
    with_resources = {
        name
        for name, attribute in (("segments", "SEGMENTS_TOOLSET"), ("teams", "TOOLSET"), ("webhooks", "TOOLSET"))
        if getattr(sys.modules[f"gist_mcp.catalog.{name}"], attribute).resources
    }
    assert with_resources <= set(seen["after_resources"])


def test_a_stale_snapshot_gives_the_same_index_from_the_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The index is the snapshot's only while it matches the code; otherwise the modules give the same one."""
    from_snapshot = catalog.index()
    stale = json.loads(_snapshot.PATH.read_text(encoding="utf-8"))
    stale["fingerprint"] = "0" * 64
    stale["catalog"][0]["description"] = "an old description"
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    monkeypatch.setattr(_snapshot, "PATH", path)
    _snapshot.load.cache_clear()
    catalog.index.cache_clear()
    try:
        assert catalog.index() == from_snapshot
        assert "does not match" in caplog.text
        assert catalog.index()[0].description == TOOLSETS[0].description
    finally:
        monkeypatch.undo()
        _snapshot.load.cache_clear()
        catalog.index.cache_clear()
