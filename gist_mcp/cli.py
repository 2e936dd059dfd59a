"""The `gist-mcp` command: run the server (stdio or HTTP, real Gist or the sandbox) and small helpers.

Exit status 2 means the configuration is wrong (missing key, unknown toolset...); the message is one
line on stderr. stdout belongs to the MCP stdio transport, so everything else logs to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import anyio
from pydantic import SecretStr

from gist_mcp import __version__
from gist_mcp._json import JSON
from gist_mcp.catalog import TOOLSET_NAMES, choose_toolsets
from gist_mcp.errors import GistConfigError
from gist_mcp.redact import redact_logs
from gist_mcp.settings import AUTH_MODES, Settings

if TYPE_CHECKING:
    from gist_mcp.server import GistServer

SANDBOX_KEY = "sandbox-key"
"""The API key the sandbox and `gist-mcp emulator` accept (a demo workspace: nothing to protect)."""
SANDBOX_URL = "http://sandbox.gist.invalid"
EMULATOR_PORT = 8090
"""Default port of `gist-mcp emulator`."""
WAITING_ON_STDIO = (
    "gist-mcp: serving MCP on stdio and waiting for an MCP client (Claude Desktop, Claude Code, an agent "
    "framework) to talk to it. It is not hung: configure a client to start this command (README: Install), "
    "or try a tool right here with `gist-mcp --sandbox call list_users`. Ctrl-C stops it."
)
NO_KEY = (
    "gist-mcp: GIST_API_KEY is not set. Copy your key from Gist (Settings > API & Webhooks > API Key) "
    "into GIST_API_KEY, or run `gist-mcp --sandbox` to try the demo workspace without an account."
)


def _common(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """Options accepted before and after a command (after it, they must not reset what came before)."""
    if sub:
        parser.argument_default = argparse.SUPPRESS
    parser.add_argument("--sandbox", action="store_true", help="use the embedded Gist emulator with demo data")
    parser.add_argument(
        "--toolsets",
        metavar="LIST",
        help=f"comma-separated toolsets: default, all, or any of {','.join(TOOLSET_NAMES)} [env GIST_TOOLSETS]",
    )
    parser.add_argument(
        "--dynamic-toolsets",
        action="store_true",
        help="add list_toolsets and enable_toolset to switch toolsets on at runtime [env GIST_DYNAMIC_TOOLSETS]",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="offer only tools that cannot change data [env GIST_READ_ONLY]",
    )
    parser.add_argument(
        "--log-level",
        default=argparse.SUPPRESS if sub else "WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity on stderr (default WARNING)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; its --help is the command's reference."""
    parser = argparse.ArgumentParser(
        prog="gist-mcp",
        description=(
            "MCP server for the Gist CRM (getgist.com). Without a command it serves MCP on stdio "
            "(what Claude Desktop and Claude Code start). Needs GIST_API_KEY unless --sandbox."
        ),
        epilog=(
            "examples:\n"
            "  gist-mcp --sandbox                       try every tool on a demo workspace, no account\n"
            "  GIST_API_KEY=... gist-mcp                 serve your workspace on stdio\n"
            "  gist-mcp --transport http --port 8000    Streamable HTTP on http://127.0.0.1:8000/mcp\n"
            "  gist-mcp --sandbox call list_users '{\"limit\": 3}'\n"
            "  gist-mcp emulator --port 8090            serve the demo Gist API for GIST_API_BASE_URL\n"
            "\n"
            "environment: GIST_API_KEY, GIST_API_BASE_URL (default https://api.getgist.com), GIST_TOOLSETS,\n"
            "GIST_READ_ONLY, GIST_DYNAMIC_TOOLSETS, GIST_TOOL_TIMEOUT (seconds per call, default 45),\n"
            "GIST_RATE_LIMIT (default 100/10), GIST_CONFIRM (ask or never, default ask), "
            "GIST_MCP_AUTH_TOKEN (16+ characters, required to bind HTTP to a non-loopback address),\n"
            "GIST_MCP_AUTH=gist-oauth with GIST_MCP_PUBLIC_URL, GIST_OAUTH_CLIENT_ID, GIST_OAUTH_CLIENT_SECRET,\n"
            "GIST_MCP_SECRET_KEY (hosted mode, README: Run it for your team)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gist-mcp {__version__}")
    _common(parser)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="MCP transport (default stdio)")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--stateless", action="store_true", help="HTTP without sessions, for several replicas")
    parser.add_argument(
        "--auth",
        choices=AUTH_MODES,
        help="gist-oauth: hosted mode, each user logs in to their own Gist workspace [env GIST_MCP_AUTH]",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="HTTP: Prometheus text at /metrics, behind the same Bearer token as /mcp (needs gist-mcp[scale])",
    )
    parser.add_argument(
        "--webhook-port", type=int, metavar="PORT", help="stdio mode: receive Gist webhooks on this port"
    )
    parser.add_argument(
        "--webhook-host", default="127.0.0.1", help="address of the webhook listener (default 127.0.0.1)"
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST",
        help="Host header to accept on a public bind (repeatable)",
    )
    parser.add_argument(
        "--allowed-origin", action="append", default=[], metavar="ORIGIN", help="browser Origin to accept (repeatable)"
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    tools = commands.add_parser("tools", help="print the tool catalogue (no key needed)")
    _common(tools, sub=True)
    url = commands.add_parser("webhook-url", help="print the URL to paste into Gist's webhook settings")
    url.add_argument("--public-url", help="the public https:// address that reaches this server (tunnel, proxy)")
    url.add_argument("--port", type=int, default=8000, help="local port when no --public-url (default 8000)")
    url.add_argument("--workspace", metavar="ID", help="hosted mode (GIST_MCP_AUTH=gist-oauth): this workspace's URL")
    call = commands.add_parser("call", help="run one tool and print its result as JSON")
    _common(call, sub=True)
    call.add_argument("tool", help="tool name, e.g. get_user")
    call.add_argument("arguments", nargs="?", default="{}", help="JSON object of arguments (default {})")
    emulator = commands.add_parser(
        "emulator",
        help="serve the Gist API emulator with the demo workspace on loopback (no key needed)",
        description=(
            "Serve the Gist API emulator with the demo workspace. Point a server at it with "
            f"GIST_API_BASE_URL=http://127.0.0.1:PORT and GIST_API_KEY={SANDBOX_KEY}. Loopback only."
        ),
    )
    emulator.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=EMULATOR_PORT, help=f"port (default {EMULATOR_PORT})")
    return parser


def load_settings(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Environment first, then command-line flags; the sandbox brings its own key and URL."""
    settings = Settings.from_env(environ)
    if args.toolsets is not None:
        settings = settings.replace(toolsets=choose_toolsets(args.toolsets, "--toolsets"))
    if args.read_only:
        settings = settings.replace(read_only=True)
    if args.dynamic_toolsets:
        settings = settings.replace(dynamic_toolsets=True)
    if getattr(args, "auth", None):
        settings = settings.replace(gist_oauth=True)
    if args.sandbox:
        settings = settings.replace(sandbox=True, api_key=SecretStr(SANDBOX_KEY), base_url=SANDBOX_URL)
    return settings


def build_server(settings: Settings, listen: tuple[str, int] | None = None) -> GistServer:
    """The server for these settings: the sandbox's emulator in process, the Watch Events hub if on.

    In the sandbox the emulator sends its webhooks through the real receiver, in process, into a
    store of its own. Imported lazily so that --help, --version and `tools` stay instant.
    """
    from gist_mcp.server import create_server
    from gist_mcp.watch import deliver_in_process, hub_from_env

    wanted = "webhooks" in settings.toolsets or settings.dynamic_toolsets
    hub = hub_from_env(sandbox=settings.sandbox, listen=listen, redis_url=settings.redis()) if wanted else None
    transport = None
    if settings.sandbox:
        import httpx

        from gist_mcp.emulator import GistEmulator

        emulator = GistEmulator(api_keys=(SANDBOX_KEY,))
        if hub is not None:
            emulator.webhook_sink = deliver_in_process(hub)
        transport = httpx.ASGITransport(app=emulator.app)
    return create_server(settings, transport=transport, webhooks=hub)


def started() -> None:
    """The start is over: keep what it built out of every later collection (`gc.freeze`), and turn the
    collector back on. Called just before serving; does nothing unless `gist_mcp.__main__` paused it."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def print_tools(settings: Settings) -> None:
    """One line per tool: name, title, toolset, and whether it can change data."""
    from gist_mcp.catalog import select

    for op in select(settings.toolsets, settings.read_only):
        mode = "read-only" if op.read_only else ("destructive" if op.destructive else "writes")
        print(f"{op.name:<16} {op.toolset:<10} {mode:<12} {op.title}")


def print_webhook_url(public_url: str | None, port: int) -> int:
    """Print the receiver URL (it holds the token: treat it like a password)."""
    from gist_mcp.webhooks import WebhookSettings

    settings = WebhookSettings.from_env()
    base = (public_url or f"http://127.0.0.1:{port}").rstrip("/")
    print(base + settings.receiver_path)
    if not public_url:
        print(
            "gist-mcp: Gist needs a public https:// address: expose this port with a tunnel or reverse proxy "
            "and pass it as --public-url (README: Watch Events).",
            file=sys.stderr,
        )
    return 0


def print_workspace_webhook_url(workspace_id: str | None) -> int:
    """Hosted mode: print a workspace's receiver URL (signed with GIST_MCP_SECRET_KEY; treat it like a password)."""
    from gist_mcp.hosted.config import HostedSettings
    from gist_mcp.hosted.webhooks import workspace_url

    if not workspace_id:
        raise GistConfigError("In hosted mode, webhook-url needs --workspace ID (the login log line names it).")
    print(workspace_url(HostedSettings.from_env(), workspace_id))
    return 0


def run_call(settings: Settings, tool: str, arguments: str) -> int:
    """Run one tool; print structured content on stdout, or the error on stderr with status 1."""
    try:
        args: JSON = json.loads(arguments)
    except ValueError as error:
        print(f"gist-mcp: arguments must be a JSON object: {error}", file=sys.stderr)
        return 2
    if not isinstance(args, dict):
        print("gist-mcp: arguments must be a JSON object", file=sys.stderr)
        return 2
    server = build_server(settings)

    async def call() -> int:
        from mcp import Client, MCPError

        async with Client(server) as client:
            try:
                result = await client.call_tool(tool, args)
            except MCPError as error:  # an unknown or unavailable tool is a JSON-RPC error
                print(error.error.message, file=sys.stderr)
                return 1
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            print(text.removeprefix(f"Error executing tool {tool}: "), file=sys.stderr)
            return 1
        print(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
        return 0

    started()
    return anyio.run(call)


def serve_emulator(host: str, port: int) -> int:
    """Serve the emulator with the demo workspace on a loopback address until Ctrl-C (it accepts SANDBOX_KEY)."""
    from gist_mcp._serve import listen, serve_asgi
    from gist_mcp.emulator import GistEmulator
    from gist_mcp.http_app import is_loopback

    if not is_loopback(host):
        raise GistConfigError(f"the emulator serves loopback only (its key is public): {host} is not loopback")
    sock = listen(host, port)

    async def run() -> None:
        async with serve_asgi(GistEmulator(api_keys=(SANDBOX_KEY,)).app, sock=sock) as url:
            print(
                f"gist-mcp: Gist emulator with the demo workspace on {url}\n"
                f"  point a server at it: GIST_API_BASE_URL={url} GIST_API_KEY={SANDBOX_KEY} gist-mcp",
                file=sys.stderr,
                flush=True,
            )
            await anyio.sleep_forever()

    started()
    anyio.run(run)
    return 0


def serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run the MCP server on the chosen transport until it is stopped."""
    listen = (args.webhook_host, args.webhook_port) if args.webhook_port is not None else None
    if args.transport == "stdio":
        if args.metrics:
            raise GistConfigError("--metrics needs --transport http (/metrics is served beside /mcp).")
        if sys.stdin.isatty():  # a person ran it in a terminal: say what it waits for
            print(WAITING_ON_STDIO, file=sys.stderr, flush=True)
        server = build_server(settings, listen)
        started()
        server.run()
        return 0
    import uvicorn

    from gist_mcp.http_app import build_http_app, check_exposure, server_config

    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    check_exposure(args.host, token)
    server = build_server(settings)
    extra_routes = list(server.webhooks.routes()) if server.webhooks is not None else []
    if args.metrics:
        from starlette.routing import Route

        from gist_mcp._sdk import add_middleware
        from gist_mcp.scale.metrics import METRICS_PATH, OperationTimer, enable

        extra_routes.append(Route(METRICS_PATH, enable().endpoint, methods=["GET"]))
        add_middleware(server, OperationTimer())
    event_store = None
    if (redis_url := settings.redis()) is not None and not args.stateless:  # stateless answers have no streams
        from gist_mcp.scale.events import RedisEventStore

        event_store = RedisEventStore(redis_url)
    app = build_http_app(
        server,
        host=args.host,
        auth_token=token,
        allowed_hosts=args.allowed_host,
        allowed_origins=args.allowed_origin,
        stateless=args.stateless,
        extra_routes=extra_routes,
        event_store=event_store,
    )
    logging.getLogger("gist_mcp").warning("Serving MCP on http://%s:%s/mcp", args.host, args.port)
    started()
    uvicorn.Server(server_config(app, host=args.host, port=args.port, log_level=args.log_level.lower())).run()
    return 0


def configure_logging(level: str) -> None:
    """stderr gets records at `level`; the `gist_mcp` logger itself passes everything on, so an MCP
    client that asked for debug messages (`_sdk.SessionLog`) gets them without making stderr verbose."""
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(level)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[stderr])
    logging.getLogger("gist_mcp").setLevel(logging.DEBUG)


def serve_hosted(settings: Settings, args: argparse.Namespace) -> int:
    """Hosted mode: OAuth for MCP clients, each user's own Gist workspace (README: Run it for your team)."""
    if args.transport != "http":
        raise GistConfigError("--auth gist-oauth (GIST_MCP_AUTH) needs --transport http.")
    import httpx
    import uvicorn

    from gist_mcp.hosted.app import SandboxGist, hosted_server
    from gist_mcp.hosted.config import HostedSettings
    from gist_mcp.hosted.store import SQLiteHostedStore, hosted_store_from_env
    from gist_mcp.hosted.webhooks import WorkspaceWebhooks
    from gist_mcp.http_app import build_http_app, server_config
    from gist_mcp.webhooks.config import WebhookSettings, data_dir_from_env

    host = f"[{args.host}]" if ":" in args.host else args.host
    hosted = HostedSettings.from_env(sandbox=settings.sandbox, bound_url=f"http://{host}:{args.port}")
    redact_logs(hosted.client_secret.get_secret_value())
    sandbox = SandboxGist() if settings.sandbox else None
    if sandbox is not None:
        hosted = sandbox.settings(hosted, settings.base_url)
    data_dir = data_dir_from_env()
    data_dir = data_dir / "sandbox" if sandbox is not None else data_dir  # never mixed with real data
    # PostgreSQL with GIST_MCP_DATABASE_URL, else SQLite; the sandbox's demo logins stay in its own folder.
    store = SQLiteHostedStore.in_dir(data_dir) if sandbox is not None else hosted_store_from_env(data_dir)
    webhooks = None
    if "webhooks" in settings.toolsets or settings.dynamic_toolsets:
        webhook_settings = WebhookSettings.from_env(data_dir_override=data_dir)
        if sandbox is not None:  # demo workspaces' events never go into a real database (their ids could clash)
            webhook_settings = dataclasses.replace(webhook_settings, database_url=None)
        webhooks = WorkspaceWebhooks(hosted, webhook_settings)
    server = hosted_server(settings, hosted, store, transport=sandbox.transport if sandbox else None, webhooks=webhooks)
    if sandbox is not None:
        sandbox.install(server, webhooks)
    public_host = httpx.URL(hosted.public_url).netloc.decode()
    app = build_http_app(
        server,
        host=args.host,
        auth_token=None,  # OAuth guards /mcp
        allowed_hosts=[*args.allowed_host, public_host],
        allowed_origins=args.allowed_origin,
        stateless=args.stateless,
    )
    logging.getLogger("gist_mcp").warning("Serving hosted MCP on %s/mcp", hosted.public_url)
    config = server_config(app, host=args.host, port=args.port, log_level=args.log_level.lower())

    async def run() -> None:
        # The store closes in the loop that served: a PostgreSQL pool belongs to the loop it opened in.
        try:
            await uvicorn.Server(config).serve()
        finally:
            await store.close()

    started()
    anyio.run(run)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gist-mcp` command."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        settings = load_settings(args)
        redact_logs(settings.api_key.get_secret_value() if settings.api_key else None)
        if args.command == "tools":
            print_tools(settings)
            return 0
        if args.command == "webhook-url" and settings.gist_oauth:
            return print_workspace_webhook_url(args.workspace)
        if args.command == "webhook-url":
            return print_webhook_url(args.public_url, args.port)
        if args.command == "emulator":
            return serve_emulator(args.host, args.port)
        if settings.gist_oauth and args.command is None:
            return serve_hosted(settings, args)
        if settings.api_key is None:
            print(NO_KEY, file=sys.stderr)
            return 2
        if args.command == "call":
            return run_call(settings, args.tool, args.arguments)
        return serve(settings, args)
    except GistConfigError as error:
        print(f"gist-mcp: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. the data folder cannot be created, or the port is taken
        print(f"gist-mcp: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """Console-script wrapper: exit with main()'s status (quietly when stdout closes early, as with `| head`)."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the failed flush at exit; point stdout at devnull so it stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)
