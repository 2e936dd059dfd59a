"""Serving options that cannot work are refused before anything listens: exit 2 and one line naming the fix.

In process through `cli.main`, so a refused start never leaves a server running; the secret given
never appears in what the command prints.
"""

from __future__ import annotations

import pytest
from conftest import CANARY_KEY

from gist_mcp import cli
from gist_mcp.http_app import MIN_AUTH_TOKEN_LENGTH

SHORT_TOKEN = "tok_canary_short"[: MIN_AUTH_TOKEN_LENGTH - 1]


@pytest.fixture
def env(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    clean_env.setenv("GIST_API_KEY", CANARY_KEY)
    return clean_env


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The stderr of a start that must exit 2 without printing on stdout."""
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    assert (status, captured.out) == (2, "")
    assert CANARY_KEY not in captured.err
    assert SHORT_TOKEN not in captured.err
    assert captured.err.startswith("gist-mcp: ")
    return captured.err


def test_metrics_on_stdio_is_refused(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--metrics needs --transport http" in refusal(capsys, "--metrics")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "gist-mcp.example.com"])
def test_a_public_bind_without_a_token_is_refused(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    err = refusal(capsys, "--transport", "http", "--host", host)
    assert f"Binding to {host} exposes the server: set GIST_MCP_AUTH_TOKEN" in err


def test_a_public_bind_with_a_short_token_is_refused(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("GIST_MCP_AUTH_TOKEN", SHORT_TOKEN)
    err = refusal(capsys, "--transport", "http", "--host", "192.0.2.7")
    assert f"GIST_MCP_AUTH_TOKEN must be at least {MIN_AUTH_TOKEN_LENGTH} characters to bind to 192.0.2.7" in err


def test_hosted_mode_on_stdio_is_refused(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("GIST_MCP_AUTH", "gist-oauth")
    assert "--auth gist-oauth (GIST_MCP_AUTH) needs --transport http." in refusal(capsys)


def test_the_emulator_serves_loopback_only(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    err = refusal(capsys, "emulator", "--host", "0.0.0.0")
    assert "the emulator serves loopback only (its key is public): 0.0.0.0 is not loopback" in err
