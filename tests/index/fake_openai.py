"""A scripted OpenAI-compatible (and Ollama) chat server on 127.0.0.1, for tests.

Each request to `/v1/chat/completions` takes the next reply from the script (the last one
repeats) and is recorded, so a test can check both what policybot sent and what it shows.
A reply is a `Reply`, or a function of the request body returning one (so a reply can cite
whatever passages the prompt actually held)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before anything is sent
    chunk_delay: float = 0.0  # between streamed pieces
    byte_delay: float = 0.0  # between the bytes of a whole reply, or of each streamed event
    raw: bytes | None = None  # sent as the body as is (garbage, an error page)
    pieces: list[str] | None = None  # how a streamed reply is cut (default: by words)


Script = Reply | Callable[[dict[str, Any]], Reply]


@dataclass
class Request:
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.body["messages"] if m["role"] == "system"), "")

    @property
    def user(self) -> str:
        return next(m["content"] for m in reversed(self.body["messages"]) if m["role"] == "user")

    def passages(self) -> list[dict[str, str]]:
        """The passages the prompt held: number, attributes and text."""
        out = []
        for m in re.finditer(r"<passage ([^>]*)>\n(.*?)\n</passage>", self.user, re.S):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            out.append({**attrs, "text": m.group(2)})
        return out


@dataclass
class FakeOpenAI:
    script: list[Script] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _closing: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    @property
    def root(self) -> str:
        """Where an Ollama client points (it adds /api/chat itself)."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, *replies: Script) -> None:
        self.script[:] = list(replies)

    def _next(self, body: dict[str, Any]) -> Reply:
        script = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return script(body) if callable(script) else script

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(Request(body, {k.lower(): v for k, v in self.headers.items()}))
                reply = fake._next(body)
                if reply.delay and fake._closing.wait(reply.delay):
                    return
                if reply.raw is not None or reply.status != 200:
                    payload = reply.raw if reply.raw is not None else b'{"error": "boom"}'
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if self.path.startswith("/api/chat"):
                    self._ollama(body, reply)
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._whole(body, reply)

            def _ollama(self, body: dict[str, Any], reply: Reply) -> None:
                """Ollama's /api/chat: one JSON object, or one per line when streaming."""

                def line(content: str, done: bool) -> bytes:
                    obj: dict[str, Any] = {
                        "model": body.get("model", "fake"),
                        "created_at": "2025-01-01T00:00:00Z",
                        "message": {"role": "assistant", "content": content},
                        "done": done,
                    }
                    if done:
                        obj.update(done_reason="stop", prompt_eval_count=1, eval_count=1)
                    return json.dumps(obj).encode() + b"\n"

                if body.get("stream", True):
                    payload = b"".join(
                        line(p, False) for p in re.findall(r"\S+\s*|\s+", reply.text)
                    ) + line("", True)
                else:
                    payload = line(reply.text, True)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _whole(self, body: dict[str, Any], reply: Reply) -> None:
                payload = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self._trickle(payload, reply)

            def _trickle(self, payload: bytes, reply: Reply) -> None:
                """Send `payload`, a byte at a time `byte_delay` apart if set."""
                if not reply.byte_delay:
                    self.wfile.write(payload)
                    return
                for i in range(len(payload)):
                    self.wfile.write(payload[i : i + 1])
                    self.wfile.flush()
                    if fake._closing.wait(reply.byte_delay):
                        return

            def _stream(self, body: dict[str, Any], reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = reply.pieces or re.findall(r"\S+\s*|\s+", reply.text)

                def event(delta: dict[str, Any], finish: str | None = None) -> None:
                    chunk = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }
                    self._trickle(f"data: {json.dumps(chunk)}\n\n".encode(), reply)
                    self.wfile.flush()

                event({"role": "assistant", "content": ""})
                for piece in pieces:
                    if reply.chunk_delay and fake._closing.wait(reply.chunk_delay):
                        return
                    event({"content": piece})
                event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
