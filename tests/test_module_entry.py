"""`python -m gist_mcp` is the `gist-mcp` command: run in process, so coverage sees `__main__`."""

from __future__ import annotations

import runpy
import sys

import pytest

from gist_mcp import __version__


def test_python_dash_m_prints_the_version(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["gist-mcp", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("gist_mcp", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"gist-mcp {__version__}"
