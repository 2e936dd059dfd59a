"""The one settings reader (`environment.Environment`) and the command's exit codes, in process."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest
from conftest import CANARY_KEY

from gist_mcp import cli
from gist_mcp.environment import Environment
from gist_mcp.errors import GistConfigError
from gist_mcp.http_app import MIN_AUTH_TOKEN_LENGTH
from gist_mcp.settings import Settings
from gist_mcp.webhooks import WebhookSettings

GOOD_TOKEN = "t" * MIN_AUTH_TOKEN_LENGTH


def test_defaults_and_placeholders() -> None:
    settings = Settings.from_env({"GIST_API_KEY": "${user_config.api_key}", "GIST_MCP_AUTH_TOKEN": "${user_config.t}"})
    assert settings.api_key is None
    assert settings.auth_token is None
    assert settings.deadline == 45.0
    assert settings.rate_limit == (100, 10.0)


def test_values_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {
            "GIST_API_KEY": f"  {CANARY_KEY} ",
            "GIST_TOOL_TIMEOUT": "12.5",
            "GIST_RATE_LIMIT": " 50 / 5s ",
            "GIST_READ_ONLY": "yes",
            "GIST_MCP_AUTH_TOKEN": GOOD_TOKEN,
        }
    )
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == CANARY_KEY
    assert CANARY_KEY not in repr(settings)
    assert GOOD_TOKEN not in repr(settings)
    assert (settings.deadline, settings.rate_limit, settings.read_only) == (12.5, (50, 5.0), True)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("GIST_RATE_LIMIT", "0/10", "GIST_RATE_LIMIT must look like 100/10 (requests per seconds), not '0/10'."),
        ("GIST_RATE_LIMIT", "100/0", "GIST_RATE_LIMIT must look like 100/10 (requests per seconds), not '100/0'."),
        ("GIST_RATE_LIMIT", "fast", "GIST_RATE_LIMIT must look like 100/10 (requests per seconds), not 'fast'."),
        ("GIST_READ_ONLY", "maybe", "GIST_READ_ONLY must be true or false (1/0, yes/no), not 'maybe'."),
        ("GIST_DYNAMIC_TOOLSETS", "2", "GIST_DYNAMIC_TOOLSETS must be true or false (1/0, yes/no), not '2'."),
        ("GIST_API_BASE_URL", "ftp://gist", "GIST_API_BASE_URL must be an http(s) URL, not 'ftp://gist'."),
    ],
)
def test_a_malformed_setting_is_refused_naming_the_variable_and_value(name: str, value: str, error: str) -> None:
    with pytest.raises(GistConfigError) as refused:
        Settings.from_env({name: value})
    assert str(refused.value) == error


@pytest.mark.parametrize(("value", "read_only"), [("0", False), ("OFF", False), ("1", True), ("On", True)])
def test_flags_read_both_spellings(value: str, read_only: bool) -> None:
    assert Settings.from_env({"GIST_READ_ONLY": value}).read_only is read_only


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "0", "-3", "soon", "1e400"])
def test_timeout_must_be_positive_and_finite(value: str) -> None:
    with pytest.raises(GistConfigError, match="GIST_TOOL_TIMEOUT must be a positive number of seconds"):
        Settings.from_env({"GIST_TOOL_TIMEOUT": value})


@pytest.mark.parametrize(
    "key", [f"{CANARY_KEY}\nX-Evil: 1", f"{CANARY_KEY}\x00", f"{CANARY_KEY}\x7f", f"{CANARY_KEY}é"]
)
def test_a_key_with_control_or_non_ascii_characters_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(GistConfigError) as refused:
        Settings.from_env({"GIST_API_KEY": key})
    assert "GIST_API_KEY" in str(refused.value)
    assert CANARY_KEY not in str(refused.value)


def test_every_variable_goes_through_the_one_reader(tmp_path: Path) -> None:
    env = {"GIST_MCP_DATA_DIR": str(tmp_path), "GIST_WEBHOOK_TOKEN": "w" * 20, "GIST_WEBHOOK_SECRET": "se\x01cret"}
    with pytest.raises(GistConfigError, match="GIST_WEBHOOK_SECRET must not contain control characters"):
        WebhookSettings.from_env(env)
    with pytest.raises(GistConfigError, match="GIST_MCP_DATA_DIR must not contain control characters"):
        WebhookSettings.from_env({**env, "GIST_MCP_DATA_DIR": "/tmp/a\nb", "GIST_WEBHOOK_SECRET": ""})
    assert Environment({"X": " 7 "}).count("X", 1) == 7
    assert math.isclose(Environment({}).seconds("X", 2.5), 2.5)


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    assert CANARY_KEY not in captured.out + captured.err
    return status, captured.err


def test_main_exits_2_naming_the_variable(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env.setenv("GIST_API_KEY", CANARY_KEY)
    clean_env.setenv("GIST_TOOL_TIMEOUT", "nan")
    assert run_main(["call", "list_tags"], capsys) == (
        2,
        "gist-mcp: GIST_TOOL_TIMEOUT must be a positive number of seconds, not 'nan'.\n",
    )
    clean_env.delenv("GIST_TOOL_TIMEOUT")
    clean_env.setenv("GIST_API_KEY", CANARY_KEY + "\nInjected: 1")
    status, err = run_main(["call", "list_tags"], capsys)
    assert status == 2
    assert "GIST_API_KEY must not contain control characters" in err


@pytest.mark.parametrize("token", [None, "${user_config.auth_token}", "short-token"])
def test_public_bind_needs_a_long_token(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str | None
) -> None:
    clean_env.setenv("GIST_API_KEY", CANARY_KEY)
    if token is not None:
        clean_env.setenv("GIST_MCP_AUTH_TOKEN", token)
    status, err = run_main(["--transport", "http", "--host", "0.0.0.0", "--port", "1"], capsys)
    assert status == 2
    assert "GIST_MCP_AUTH_TOKEN" in err
    if token == "short-token":
        assert f"at least {MIN_AUTH_TOKEN_LENGTH} characters" in err
        assert token not in err


def test_main_installs_log_redaction(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("GIST_API_KEY", CANARY_KEY)
    assert run_main(["tools", "--toolsets", "tags"], capsys)[0] == 0
    logging.getLogger("mcp.server").warning("echoed Bearer %s", CANARY_KEY)
    assert caplog.records[-1].getMessage() == "echoed Bearer [redacted]"
