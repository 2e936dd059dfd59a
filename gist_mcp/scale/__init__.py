"""Running several replicas: PostgreSQL and Redis backends for state that must be shared, and metrics.

Nothing here is imported unless configured (`GIST_MCP_DATABASE_URL`, `GIST_MCP_REDIS_URL`, `--metrics`);
the drivers come with the `scale` extra (`pip install "gist-mcp[scale]"`). One module per job:

- `migrations`: versioned PostgreSQL schema per component, applied once at start by any replica;
- `pool`: the one way to connect: a psycopg pool, opened and migrated at start;
- `postgres`: the webhook store (`webhooks.store.WebhookStore`) in PostgreSQL;
- `hosted`: hosted mode's store of clients, logins, codes and tokens (`hosted.store.HostedStore`) in
  PostgreSQL, chosen by `hosted.store.hosted_store_from_env` with the same `GIST_MCP_DATABASE_URL`;
- `ratelimit`: the Gist rate limit (`_ratelimit.Limiter`) counted in Redis across replicas;
- `fanout`: webhook arrivals announced to every replica over Redis pub/sub;
- `events`: the SDK's `EventStore` (SSE resumption), per session, on Redis streams;
- `resume`: a resume (`Last-Event-ID`) of a session another replica holds, served from `events`;
- `redis_client`: the one Redis connection factory;
- `metrics`: Prometheus text at `/metrics` from the measurement points in `gist_mcp._probes`.

Each PostgreSQL store's schema is a component of its own in `migrations` ("webhooks", "hosted").
Hosted mode's per-workspace webhook events stay in SQLite files for now (`hosted.webhooks`: the
PostgreSQL webhook table has no workspace column yet).
"""
