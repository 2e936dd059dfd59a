"""A stand-in for Gist that answers exactly the bytes a test gives it: hostile answers the emulator
(which only ever sends well-formed JSON) cannot produce. It records what it received."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Answer:
    """One canned answer: the body as raw bytes, so it can hold what JSON encoders refuse to write."""

    body: bytes | str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]


class StandIn:
    """Answers `answers[path]` (path without the leading /) to any method, else 404; logs every request."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.answers: dict[str, Answer] = dict(answers or {})
        self.received: list[Received] = []
        self.app = Starlette(
            routes=[Route("/{path:path}", self._answer, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
        )

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    async def _answer(self, request: Request) -> Response:
        path = request.path_params["path"]
        self.received.append(Received(request.method, path, request.url.query, dict(request.headers)))
        answer = self.answers.get(path, Answer(b'{"errors": [{"message": "not found"}]}', status=404))
        body = answer.body.encode("utf-8", "surrogatepass") if isinstance(answer.body, str) else answer.body
        return Response(body, answer.status, headers=answer.headers, media_type=answer.content_type)
