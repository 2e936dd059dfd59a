"""gist-mcp: the Gist CRM as typed MCP tools, resources and a sandbox."""

__version__ = "0.1.0"
