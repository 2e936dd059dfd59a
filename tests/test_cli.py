"""The `gist-mcp` command in process: `cli.main(argv)`'s output and exit status for each command.

tests/test_transports.py runs the real command as a subprocess; here every branch runs in this process,
so it is fast and measured by coverage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CANARY_KEY

from gist_mcp import cli
from gist_mcp.catalog import CATALOG, TOOLSETS, select

Run = Callable[..., tuple[int, str, str]]
"""`cli.main(*argv)` in process: (exit status, stdout, stderr)."""


@pytest.fixture
def run(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """`cli.main(argv)` → (status, stdout, stderr), with no GIST_* variable but those a test sets."""

    def main(*argv: str) -> tuple[int, str, str]:
        status = cli.main(list(argv))
        captured = capsys.readouterr()
        assert CANARY_KEY not in captured.out + captured.err
        return status, captured.out, captured.err

    return main


def test_tools_prints_one_line_per_tool_of_the_chosen_toolsets(run: Run) -> None:
    status, out, err = run("tools", "--toolsets", "tags,segments")
    assert (status, err) == (0, "")
    rows = [line.split() for line in out.splitlines()]
    assert [row[0] for row in rows] == [op.name for op in select({"tags", "segments"}, read_only=False)]
    by_name = {op.name: op for op in CATALOG}
    for name, toolset, mode, *_title in rows:
        op = by_name[name]
        assert toolset == op.toolset
        assert mode == ("read-only" if op.read_only else "destructive" if op.destructive else "writes")


def test_tools_in_read_only_mode_lists_only_reads(run: Run) -> None:
    status, out, _ = run("tools", "--read-only", "--toolsets", "tags,segments")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == [op.name for op in select({"tags", "segments"}, True)]
    assert all(line.split()[2] == "read-only" for line in out.splitlines())


def test_webhook_url_with_and_without_a_public_address(run: Run, tmp_path: Path) -> None:
    status, out, err = run("webhook-url", "--port", "8123")
    token = (tmp_path / "webhook-token").read_text().strip()
    assert (status, out) == (0, f"http://127.0.0.1:8123/webhooks/gist/{token}\n")
    assert "--public-url" in err
    status, out, err = run("webhook-url", "--public-url", "https://hooks.example.com/")
    assert (status, out, err) == (0, f"https://hooks.example.com/webhooks/gist/{token}\n", "")


def test_call_in_the_sandbox_prints_the_result_as_json(run: Run) -> None:
    status, out, err = run("--sandbox", "call", "list_segments", '{"limit": 2}')
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert result["count"] == len(result["segments"]) == 2


def test_call_failures_exit_1_with_the_tool_error_on_stderr(run: Run) -> None:
    status, out, err = run("--sandbox", "call", "get_user", '{"user": {"id": 1}}')
    assert (status, out) == (1, "")
    assert err.startswith("Gist API 404 on GET /contacts/1")
    status, out, err = run("--sandbox", "call", "no_such_tool")
    assert (status, out) == (1, "")
    assert err.startswith("Unknown tool: no_such_tool.")


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ("{not json", "gist-mcp: arguments must be a JSON object: Expecting property name"),
        ("[1, 2]", "gist-mcp: arguments must be a JSON object\n"),
    ],
)
def test_call_arguments_must_be_a_json_object(run: Run, arguments: str, said: str) -> None:
    status, out, err = run("--sandbox", "call", "list_tags", arguments)
    assert (status, out) == (2, "")
    assert err.startswith(said)


def test_call_with_dynamic_toolsets_in_the_sandbox_lists_every_toolset(run: Run) -> None:
    status, out, err = run("--sandbox", "--dynamic-toolsets", "call", "list_toolsets")
    assert (status, err) == (0, "")
    assert [ts["name"] for ts in json.loads(out)["toolsets"]] == [ts.name for ts in TOOLSETS]


def test_no_key_exits_2_naming_the_variable(run: Run) -> None:
    status, out, err = run("call", "list_tags")
    assert (status, out) == (2, "")
    assert "GIST_API_KEY" in err


def test_an_unusable_data_folder_exits_1_naming_it(run: Run, clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    clean_env.setenv("GIST_MCP_DATA_DIR", str(blocker / "data"))
    status, out, err = run("webhook-url")
    assert (status, out) == (1, "")
    assert err.startswith("gist-mcp: ")
    assert "a-file" in err
