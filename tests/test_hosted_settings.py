"""Hosted-mode settings: every variable is checked, a bad one exits 2 naming it, secrets are never shown."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from gist_mcp.cli import main
from gist_mcp.errors import GistConfigError
from gist_mcp.hosted.config import (
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_TOKEN_URL,
    SANDBOX_CLIENT_ID,
    HostedSettings,
)
from gist_mcp.settings import Settings

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
"""A fixed, valid Fernet key: test ids built from it are the same in every process (pytest-xdist compares them)."""
SECRET_CANARY = "oauth-secret-canary-8d1e"
FULL = {
    "GIST_MCP_PUBLIC_URL": "https://mcp.example.com/",
    "GIST_OAUTH_CLIENT_ID": "client-id-1",
    "GIST_OAUTH_CLIENT_SECRET": SECRET_CANARY,
    "GIST_MCP_SECRET_KEY": KEY,
}


def test_full_environment_is_read_with_gists_default_urls() -> None:
    hosted = HostedSettings.from_env(FULL)
    assert hosted.public_url == "https://mcp.example.com"
    assert hosted.callback_url == "https://mcp.example.com/oauth/gist/callback"
    assert (hosted.authorize_url, hosted.token_url) == (DEFAULT_AUTHORIZE_URL, DEFAULT_TOKEN_URL)
    assert SECRET_CANARY not in repr(hosted)
    assert KEY not in repr(hosted)


@pytest.mark.parametrize("name", sorted(FULL))
def test_each_missing_variable_is_named(name: str) -> None:
    environ = {k: v for k, v in FULL.items() if k != name}
    with pytest.raises(GistConfigError, match=name):
        HostedSettings.from_env(environ)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GIST_MCP_PUBLIC_URL", "mcp.example.com"),
        ("GIST_MCP_PUBLIC_URL", "http://mcp.example.com"),  # OAuth needs https off loopback
        ("GIST_MCP_PUBLIC_URL", "https://mcp.example.com/?x=1"),
        ("GIST_OAUTH_AUTHORIZE_URL", "ftp://app.getgist.com/oauth/authorize"),
        ("GIST_OAUTH_TOKEN_URL", "not a url"),
        ("GIST_MCP_SECRET_KEY", SECRET_CANARY),
        ("GIST_MCP_SECRET_KEY", f"{KEY},{SECRET_CANARY}"),
        ("GIST_OAUTH_CLIENT_SECRET", "line\nbreak"),
    ],
)
def test_malformed_variables_are_named_without_showing_secrets(name: str, value: str) -> None:
    with pytest.raises(GistConfigError, match=name) as raised:
        HostedSettings.from_env({**FULL, name: value})
    assert SECRET_CANARY not in str(raised.value)


def test_sandbox_needs_only_the_secret_key() -> None:
    hosted = HostedSettings.from_env({"GIST_MCP_SECRET_KEY": KEY}, sandbox=True, bound_url="http://127.0.0.1:8000")
    assert hosted.public_url == "http://127.0.0.1:8000"
    assert hosted.client_id == SANDBOX_CLIENT_ID
    with pytest.raises(GistConfigError, match="GIST_MCP_SECRET_KEY"):
        HostedSettings.from_env({}, sandbox=True, bound_url="http://127.0.0.1:8000")


def test_key_rotation_first_key_encrypts_every_key_decrypts() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_with_old = Fernet(old).encrypt(b"gist-token")
    rotated = HostedSettings.from_env({**FULL, "GIST_MCP_SECRET_KEY": f"{new}, {old}"})
    assert rotated.keys.decrypt(sealed_with_old) == b"gist-token"
    assert Fernet(new).decrypt(rotated.keys.encrypt(b"x")) == b"x"


def test_gist_mcp_auth_accepts_only_gist_oauth() -> None:
    assert Settings.from_env({"GIST_MCP_AUTH": "gist-oauth"}).gist_oauth
    assert not Settings.from_env({}).gist_oauth
    with pytest.raises(GistConfigError, match="GIST_MCP_AUTH"):
        Settings.from_env({"GIST_MCP_AUTH": "basic"})


def test_command_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIST_MCP_SECRET_KEY", SECRET_CANARY)
    assert main(["--transport", "http", "--auth", "gist-oauth"]) == 2
    err = capsys.readouterr().err
    assert "GIST_MCP_SECRET_KEY" in err
    assert SECRET_CANARY not in err
    assert len(err.strip().splitlines()) == 1


def test_hosted_mode_needs_the_http_transport(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GIST_MCP_AUTH", "gist-oauth")
    assert main([]) == 2
    assert "--transport http" in capsys.readouterr().err
