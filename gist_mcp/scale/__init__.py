"""Running several replicas: PostgreSQL and Redis backends for state that must be shared, and metrics.

Nothing here is imported unless configured (`GIST_MCP_DATABASE_URL`, `GIST_MCP_REDIS_URL`, `--metrics`);
the drivers come with the `scale` extra (`pip install "gist-mcp[scale]"`). One module per job:

- `migrations`: versioned PostgreSQL schema per component, applied once at start by any replica;
- `postgres`: the webhook store (`webhooks.store.WebhookStore`) in PostgreSQL;
- `ratelimit`: the Gist rate limit (`_ratelimit.Limiter`) counted in Redis across replicas;
- `fanout`: webhook arrivals announced to every replica over Redis pub/sub;
- `events`: the SDK's `EventStore` (SSE resumption) on Redis streams;
- `redis_client`: the one Redis connection factory;
- `metrics`: Prometheus text at `/metrics` from the measurement points in `gist_mcp._probes`.

Hosted mode's token, client and code store (issue 11) belongs in PostgreSQL too: implement its store
interface in a module here and create its tables with `migrations.migrate(conn, "hosted", MIGRATIONS)`,
a component of its own beside "webhooks", reading `WebhookSettings.database_url`'s variable
(`GIST_MCP_DATABASE_URL`) through `environment.service_url`.
"""
