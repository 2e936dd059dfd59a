"""Webhook settings from the environment (read through `environment.Environment`), and the private data
directory they live in.

The receiver's URL carries a token: `GIST_WEBHOOK_TOKEN`, or else one generated once and kept in the
data directory, so the URL the user pasted into Gist stays valid across restarts. The data directory
(`GIST_MCP_DATA_DIR`, default the platform's user data folder) holds customers' data, so it is made
private to the user (0700) and its files 0600.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gist_mcp.environment import Environment, service_url
from gist_mcp.errors import GistConfigError

TOKEN_FILE = "webhook-token"
DB_FILE = "webhooks.sqlite3"
RECEIVER_PATH = "/webhooks/gist/{token}"
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,}")


def private_dir(path: Path) -> Path:
    """Create `path` if needed and make it readable by its owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if needed and make it readable by its owner only."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path


@dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    """Receiver and store settings. `repr()` leaves out the token and the secret."""

    token: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    data_dir: Path
    retention_days: int = 30
    max_events: int = 100_000
    database_url: str | None = field(default=None, repr=False)
    """GIST_MCP_DATABASE_URL (`postgresql://…`, may carry a password): the store lives in PostgreSQL
    instead of the data directory's SQLite file, shared by every replica."""

    @property
    def db_path(self) -> Path:
        """The SQLite file every gist-mcp process using this data directory shares."""
        return self.data_dir / DB_FILE

    @property
    def receiver_path(self) -> str:
        """The URL path Gist must post to (it contains the token: show it to the user, never log it)."""
        return RECEIVER_PATH.format(token=self.token)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, data_dir_override: Path | None = None
    ) -> WebhookSettings:
        """Read `GIST_WEBHOOK_*`, `GIST_MCP_DATA_DIR` and `GIST_MCP_DATABASE_URL`; may create the data
        directory to keep a new token.

        Raises GistConfigError naming the variable (or file) that is malformed.
        """
        env = Environment(environ)
        data_dir = (data_dir_override or data_dir_from_env(environ)).expanduser()
        token = env.text("GIST_WEBHOOK_TOKEN")
        secret = env.secret("GIST_WEBHOOK_SECRET")
        return cls(
            token=_checked_token("GIST_WEBHOOK_TOKEN", token) if token else _stored_token(data_dir),
            secret=secret.get_secret_value() if secret else None,
            data_dir=data_dir,
            retention_days=env.count("GIST_WEBHOOK_RETENTION_DAYS", 30),
            max_events=env.count("GIST_WEBHOOK_MAX_EVENTS", 100_000),
            database_url=service_url(env, "GIST_MCP_DATABASE_URL", ("postgresql", "postgres")),
        )


def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """`GIST_MCP_DATA_DIR`, else the platform's user data folder for gist-mcp (nothing is created)."""
    folder = Environment(environ).text("GIST_MCP_DATA_DIR")
    if folder:
        return Path(folder)
    import platformdirs  # only where the folder is not given (~2 ms of a start)

    return Path(platformdirs.user_data_dir("gist-mcp", appauthor=False))


def _checked_token(source: str, token: str) -> str:
    """The token goes into a URL path: URL-safe characters only, and long enough not to be guessed."""
    if not _TOKEN.fullmatch(token):
        raise GistConfigError(
            f"{source} must be at least 16 characters from A-Z, a-z, 0-9 and . _ ~ - (it is part of the URL)."
        )
    return token


def _stored_token(data_dir: Path) -> str:
    """The token kept in the data directory, generated on first use.

    The new token is written to a temporary file and hard-linked into place, so two processes starting
    at once agree on one token and neither ever reads a half-written file.
    """
    path = data_dir / TOKEN_FILE
    if not path.exists():
        private_dir(data_dir)
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=f".{TOKEN_FILE}.")  # created 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race; use its token
        finally:
            os.unlink(temporary)
    return _checked_token(str(path), path.read_text().strip())
