"""Running several replicas: PostgreSQL and Redis backends for state that must be shared, and metrics.

Nothing here is imported unless configured (`GIST_MCP_DATABASE_URL`, `GIST_MCP_REDIS_URL`, `--metrics`);
the drivers come with the `scale` extra (`pip install "gist-mcp[scale]"`). One module per job:
`migrations` (versioned PostgreSQL schema), `postgres` (the webhook store).
"""
