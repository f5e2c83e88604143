"""HTTP plumbing: one thread per connection, keep-alive, and the per-request pipeline
(auth -> rate limit -> latency -> faults -> handler) that every /1/ request goes through.

The connector keeps several requests in flight over a pooled keep-alive session, so the server
must never serialise requests: latency and slow faults are plain sleeps outside any lock, and
only the store's short critical sections are shared. Responses are written with one send and
TCP_NODELAY so that Nagle's algorithm never adds 40 ms to a benchmark.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from .admin import handle_admin
from .api import is_save_or_update, route
from .app import Sandbox
from .errors import ApiError
from .faults import Fault
from .params import request_params
from .ratelimit import RateState
from .settings import Settings
from .switches import SAVE_FAILED_BODY

AUTH_FAILED = "Your App ID and API Key do not authenticate."
TEXT = "text/html;charset=UTF-8"  # what Ontraport sends with its plain-text errors
JSON = "application/json"
SERVER_ERROR = "An internal server error occurred."
URI_TOO_LONG = "Request-URI Too Long"
MAX_LINE = 65537
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: Sandbox) -> None:
        self.app = app
        super().__init__(address, SandboxRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # clients hanging up (or faults we injected) are not server errors
        super().handle_error(request, client_address)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ontraport-sandbox/0.1"
    disable_nagle_algorithm = True
    timeout = 120  # an idle keep-alive connection does not pin its thread forever

    @property
    def app(self) -> Sandbox:
        return cast(SandboxServer, self.server).app

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a log line per request would cost more than the request itself."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # ------------------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(MAX_LINE).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(MAX_LINE)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-body: Ontraport would not act on half a request, nor do we.
            raise ValueError("body shorter than Content-Length")
        return body

    def _send(
        self, status: int, body: bytes, content_type: str, headers: list[tuple[str, str]] | None = None
    ) -> int:
        lines = [
            f"HTTP/1.1 {status} {_reason(status)}",
            f"Date: {self.date_time_string()}",
            f"Server: {self.server_version}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in headers or [])
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return status

    def _send_text(self, status: int, text: str, rate: RateState | None = None) -> int:
        return self._send(status, text.encode("utf-8"), TEXT, rate.headers() if rate else None)

    def _drop(self) -> None:
        """Closes the connection without a byte of response, like a dying proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send_text(400, "Malformed request body")
            return
        if split.path.startswith("/__sandbox"):
            status, payload = handle_admin(self.app, method, split.path, split.query, body)
            self._send(status, _ENCODER.encode(payload).encode("utf-8"), JSON)
        elif split.path == "/1" or split.path.startswith("/1/"):
            self._api(method, split.path, split.query, body)
        else:
            self._send_text(404, "Not Found")

    # ------------------------------------------------------------------------------------------
    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.app
        app.stats.begin(method, path)
        if method == "DELETE" and body.strip():
            app.stats.delete_with_body()
        status: int | None = None
        try:
            if len(self.requestline) > app.settings.max_request_line:  # bytes: it is decoded as latin-1
                # the web server in front of PHP refuses it: no auth, no rate limit, no envelope
                status = self._send_text(414, URI_TOO_LONG)
            else:
                status = self._api_pipeline(app, method, path, query, body)
        finally:
            app.stats.end(status)

    def _api_pipeline(self, app: Sandbox, method: str, path: str, query: str, body: bytes) -> int | None:
        settings = app.settings  # read once: a concurrent reconfiguration cannot tear this request
        rate, refused = self._admit(app, settings)
        if refused is not None:
            return refused

        fault = app.faults.draw(settings)
        if fault is not None:
            app.stats.fault(fault.kind)
            if fault.phase == "before":
                ended, sent = self._act_out(fault, settings, rate)
                if ended:
                    return sent

        save_failed = (
            app.faults.draw_save_failed(settings)
            if fault is None and is_save_or_update(method, path)
            else None
        )
        if save_failed is not None:
            app.stats.fault("save_failed")
            if save_failed == "before":
                return self._send_text(settings.save_failed_status, SAVE_FAILED_BODY, rate)

        status, payload, content_type = self._handle(app, settings, method, path, query, body)

        if save_failed == "after":  # the save took effect, yet the answer says it failed
            return self._send_text(settings.save_failed_status, SAVE_FAILED_BODY, rate)

        if fault is not None and fault.phase == "after":
            ended, sent = self._act_out(fault, settings, rate)
            if ended:
                return sent
        return self._send(status, payload, content_type, rate.headers())

    def _admit(self, app: Sandbox, settings: Settings) -> tuple[RateState, int | None]:
        """Authentication, the rate limit and the configured latency: the request's rate state, and
        the status of the refusal sent (401 or 429), None when the request goes on."""
        app_id = self.headers.get("Api-Appid", "")
        api_key = self.headers.get("Api-Key", "")
        authenticated = bool(app_id) and app_id == settings.app_id and api_key == settings.api_key
        if authenticated:
            rate = app.limiter.admit(app_id, settings.rate_limit, settings.window_seconds)
        else:
            rate = app.limiter.peek(app_id, settings.rate_limit, settings.window_seconds)
        latency = app.faults.latency_seconds(settings)
        if latency > 0:
            time.sleep(latency)
        if not authenticated:
            return rate, self._send_text(401, AUTH_FAILED, rate)
        if not rate.allowed:
            return rate, self._send_text(429, settings.rate_limit_message(), rate)
        return rate, None

    def _act_out(self, fault: Fault, settings: Settings, rate: RateState) -> tuple[bool, int | None]:
        """A drawn fault, in its phase: (True, status sent) when it ends the request, a 500 or a
        dropped connection (no status); (False, None) when it only slows the request down."""
        if fault.kind == "5xx":
            return True, self._send_text(500, SERVER_ERROR, rate)
        if fault.kind == "drop":
            self._drop()
            return True, None
        time.sleep(settings.slow_seconds)
        return False, None

    def _handle(
        self, app: Sandbox, settings: Settings, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, bytes, str]:
        try:
            handler = route(method, path)
            content_type = self.headers.get("Content-Type", "")
            read_delete_form = settings.delete_form_body == "read"
            params = request_params(method, query, content_type, body, read_delete_form)
            result = handler(app, params)
            return 200, _ENCODER.encode(result).encode("utf-8"), JSON
        except ApiError as exc:
            return exc.status, exc.text.encode("utf-8"), TEXT
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return 500, SERVER_ERROR.encode("utf-8"), TEXT
