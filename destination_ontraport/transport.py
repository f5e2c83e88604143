"""requests' transport, with GETs sent over plain `http.client` keep-alive connections.

Why not urllib3 for GETs: it re-encodes each request target byte by byte in Python, and its pool
and response layers add more; a bulk lookup carries a ~3 KB query, so that costs ~1.3 ms of CPU per
request, three times what the request itself needs and most of the connector's CPU on a re-sync.
Writes (POST, PUT, DELETE) stay on urllib3 untouched: its care for requests that must not be sent
twice matters there. A GET is repeat-safe, so the one subtle job left, replacing a keep-alive
connection the server has closed, is done simply: check before reuse, reconnect and send again.

Anything unusual (a proxy, client certificates, streaming) also goes to urllib3.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, select_proxy

Timeout = float | tuple[float, float] | tuple[float, None] | None
_Key = tuple[str, str, int, str]  # scheme, host, port, how the certificate is verified


class NotConnectedError(ConnectionError):
    """No connection could be made, so nothing reached the server; `cause` names why."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(f"could not connect ({type(cause).__name__})")
        self.cause = cause


# A reused connection that fails this way before any answer was closed by the server while idle.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class KeepAliveGetAdapter(HTTPAdapter):
    """Mount on a `requests.Session` like `HTTPAdapter`; thread-safe (one connection per thread and
    server, so a worker pool keeps at most one connection per worker)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[http.client.HTTPConnection] = []
        self._contexts: dict[str, ssl.SSLContext] = {}

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeout = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if (
            request.method != "GET"
            or stream
            or cert
            or request.body
            or select_proxy(url, dict(proxies or {}))
        ):
            return super().send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )
        connect_timeout, read_timeout = _timeouts(timeout)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        key: _Key = (scheme, parts.hostname or "", port, str(verify))
        headers = {
            name: value for name, value in request.headers.items() if name.lower() != "accept-encoding"
        }
        headers["Accept-Encoding"] = "identity"  # http.client does not decompress
        target = request.path_url
        conn = self._reusable(key)
        fresh = conn is None
        while True:
            if conn is None:
                conn = self._connect(key, verify, connect_timeout, read_timeout)
            elif conn.sock is not None:
                conn.sock.settimeout(read_timeout)  # this request's, not the first one's
            try:
                conn.request("GET", target, headers=headers)
                answer = conn.getresponse()
                body = answer.read()
            except _STALE as exc:
                self._discard(key, conn)
                if fresh:
                    raise requests.exceptions.ConnectionError(exc) from None
                conn, fresh = None, True  # the server had closed the idle connection: once more
                continue
            except TimeoutError:
                self._discard(key, conn)
                raise requests.exceptions.ReadTimeout("no answer within the read timeout") from None
            except (OSError, http.client.HTTPException) as exc:
                self._discard(key, conn)
                raise requests.exceptions.ConnectionError(exc) from None
            if answer.will_close:
                self._discard(key, conn)
            return self._response(request, answer, body)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        super().close()

    # --- connections ----------------------------------------------------------------------------
    def _pool(self) -> dict[_Key, http.client.HTTPConnection]:
        pool: dict[_Key, http.client.HTTPConnection] | None = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def _reusable(self, key: _Key) -> http.client.HTTPConnection | None:
        conn = self._pool().get(key)
        if conn is not None and (conn.sock is None or _dropped(conn.sock)):
            self._discard(key, conn)
            return None
        return conn

    def _connect(
        self, key: _Key, verify: bool | str, connect_timeout: float | None, read_timeout: float | None
    ) -> http.client.HTTPConnection:
        scheme, host, port, _ = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(
                host, port, timeout=connect_timeout, context=self._context(verify)
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            raise requests.exceptions.ConnectTimeout("no connection within the connect timeout") from None
        except ssl.SSLError as exc:
            conn.close()
            raise requests.exceptions.SSLError(exc) from None
        except OSError as exc:
            conn.close()
            raise requests.exceptions.ConnectionError(NotConnectedError(exc)) from None
        assert conn.sock is not None
        conn.sock.settimeout(read_timeout)
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pool()[key] = conn
        with self._lock:
            self._opened.append(conn)
        return conn

    def _discard(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        conn.close()
        pool = self._pool()
        if pool.get(key) is conn:
            del pool[key]
        with self._lock:
            if conn in self._opened:
                self._opened.remove(conn)

    def _context(self, verify: bool | str) -> ssl.SSLContext:
        """As requests verifies: certifi's bundle, or the CA file/folder given, or no verification."""
        label = str(verify)
        context = self._contexts.get(label)
        if context is None:
            if verify is False:
                context = ssl._create_unverified_context()  # noqa: S323 - the caller asked for verify=False
            elif isinstance(verify, str):
                if os.path.isdir(verify):
                    context = ssl.create_default_context(capath=verify)
                else:
                    context = ssl.create_default_context(cafile=verify)
            else:
                context = ssl.create_default_context(cafile=certifi.where())
            self._contexts[label] = context
        return context

    # --- answers ----------------------------------------------------------------------------------
    def _response(
        self, request: requests.PreparedRequest, answer: http.client.HTTPResponse, body: bytes
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        merged: dict[str, str] = {}
        for name, value in answer.getheaders():
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        response.headers = CaseInsensitiveDict(merged)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(body)  # `.content` reads it, as it reads urllib3's stream
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response


def _timeouts(timeout: Timeout) -> tuple[float | None, float | None]:
    if isinstance(timeout, tuple):
        return timeout
    return timeout, timeout


def _dropped(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable has been closed by the server (or sent garbage)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
