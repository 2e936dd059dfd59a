"""The deploy/ example stays in step with the code: its variables are documented, its flags accepted."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gist_mcp.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"


def test_every_variable_the_compose_file_sets_is_in_the_readme_configuration_table() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    readme = (REPO / "README.md").read_text()
    variables = set(re.findall(r"^\s+(GIST_\w+):", compose, re.MULTILINE))

    assert variables >= {"GIST_MCP_DATABASE_URL", "GIST_MCP_REDIS_URL", "GIST_RATE_LIMIT", "GIST_WEBHOOK_TOKEN"}
    assert {name for name in variables if f"| `{name}`" not in readme} == set()


def test_the_image_entrypoint_and_compose_command_are_flags_the_cli_accepts() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.MULTILINE).group(1))  # type: ignore[union-attr]
    command = json.loads(re.search(r"command: (\[.*\])", (DEPLOY / "compose.yaml").read_text()).group(1))  # type: ignore[union-attr]

    args = build_parser().parse_args([*entrypoint[1:], *command])

    assert (args.transport, args.stateless, args.metrics, args.host) == ("http", True, True, "0.0.0.0")
