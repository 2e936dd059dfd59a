"""`python -m gist_mcp` is the `gist-mcp` command."""

from gist_mcp.cli import run

run()
