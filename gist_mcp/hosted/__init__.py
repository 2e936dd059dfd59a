"""Hosted mode (`--transport http --auth gist-oauth`): one HTTP server, many users, each with their own
Gist workspace through Gist's OAuth.

- `config`: the hosted settings (`GIST_MCP_PUBLIC_URL`, `GIST_OAUTH_*`, `GIST_MCP_SECRET_KEY`).
- `scopes`: which of Gist's eleven OAuth scopes the enabled toolsets need.
- `store`: the storage interface for clients, codes, tokens and Gist grants, and its SQLite implementation.
- `gist_oauth`: the Gist side of the login (consent URL, code exchange, workspace lookup).
- `provider`: the MCP side, an OAuth 2.1 authorization server built on the SDK's `mcp.server.auth`.
- `clients`: one `GistClient` per login (one rate limiter per workspace), chosen per request by the caller's token.
- `webhooks`: one signed receiver URL and one webhook event store per workspace.
- `app`: wiring all of it into a `GistServer` and its HTTP app.
"""
