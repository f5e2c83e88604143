"""The GET transport over real sockets on 127.0.0.1: keep-alive reuse, a server that closes idle
connections, drops, timeouts, proxies and TLS, as a requests Session mounted with it sees them."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import trustme

from destination_ontraport.transport import KeepAliveGetAdapter, NotConnectedError

SECRET = "transport-test-secret-key-0123456789"


@dataclass
class Seen:
    connections: int = 0
    targets: list[str] = field(default_factory=list)
    encodings: list[str] = field(default_factory=list)
    requests_on_connection: dict[int, int] = field(default_factory=dict)


Behaviour = Callable[
    [BaseHTTPRequestHandler, int], str
]  # (handler, n-th request on its connection) -> action


def make_handler(seen: Seen, behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

        def setup(self) -> None:
            super().setup()
            seen.connections += 1
            self.connection_number = seen.connections
            seen.requests_on_connection[self.connection_number] = 0

        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self) -> None:
            seen.requests_on_connection[self.connection_number] += 1
            seen.targets.append(self.path)
            seen.encodings.append(self.headers.get("Accept-Encoding", ""))
            length = int(self.headers.get("Content-Length") or 0)
            received = self.rfile.read(length).decode() if length else ""
            action = behaviour(self, seen.requests_on_connection[self.connection_number])
            if action == "drop":
                self.close_connection = True
                return
            if action.startswith("sleep"):
                time.sleep(float(action.split()[1]))
            body = json.dumps({"code": 0, "path": self.path, "received": received}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("X-Rate-Limit-Remaining", "179")
            self.send_header("X-Note", "a")
            self.send_header("X-Note", "b")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if action == "close-after":  # keep-alive promised, then closed while idle
                self.wfile.flush()
                self.close_connection = True

        do_GET = do_POST = _answer

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that timed out and left makes the answer fail: expected here, not worth a traceback."""


@dataclass
class Server:
    url: str
    seen: Seen
    port: int


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[ThreadingHTTPServer] = []

    def start(behaviour: Behaviour = lambda handler, n: "ok", tls: ssl.SSLContext | None = None) -> Server:
        seen = Seen()
        server = QuietServer(("127.0.0.1", 0), make_handler(seen, behaviour))
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        port = server.server_address[1]
        scheme = "https" if tls else "http"
        return Server(f"{scheme}://127.0.0.1:{port}/1", seen, port)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.trust_env = False
        adapter = KeepAliveGetAdapter(max_retries=0)
        client.mount("http://", adapter)
        client.mount("https://", adapter)
        client.headers["Api-Key"] = SECRET
        yield client


def test_gets_share_one_keep_alive_connection_and_read_like_requests(
    serve: Callable[..., Server], session: requests.Session
) -> None:
    server = serve()
    query = "condition=" + "%7B%22value%22:%22a@b.com%22%7D," * 60 + "&range=50"
    answers = [session.get(f"{server.url}/Contacts?{query}", timeout=(2, 5)) for _ in range(5)]
    assert server.seen.connections == 1
    assert server.seen.targets == [f"/1/Contacts?{query}"] * 5  # the query exactly as given
    assert server.seen.encodings == ["identity"] * 5
    answer = answers[-1]
    assert answer.status_code == 200
    assert answer.json()["path"] == f"/1/Contacts?{query}"
    assert answer.headers["x-rate-limit-remaining"] == "179"
    assert answer.headers["X-Note"] == "a, b"
    assert answer.encoding == "utf-8"
    assert answer.url == f"{server.url}/Contacts?{query}"


def test_idle_connection_closed_by_the_server_is_replaced_without_an_error(
    serve: Callable[..., Server], session: requests.Session
) -> None:
    server = serve(lambda handler, n: "close-after")
    for _ in range(3):
        assert session.get(f"{server.url}/Contacts", timeout=(2, 5)).status_code == 200
        time.sleep(0.05)  # let the close arrive, as an idle timeout would
    assert server.seen.connections == 3


def test_reused_connection_dropped_without_an_answer_is_sent_again_once(
    serve: Callable[..., Server], session: requests.Session
) -> None:
    # The second request on each connection is dropped: the race where the server closes a
    # keep-alive connection just as the next request goes out.
    server = serve(lambda handler, n: "drop" if n == 2 else "ok")
    assert session.get(f"{server.url}/Contacts?a=1", timeout=(2, 5)).status_code == 200
    assert session.get(f"{server.url}/Contacts?a=2", timeout=(2, 5)).status_code == 200
    assert server.seen.connections == 2
    assert server.seen.targets == ["/1/Contacts?a=1", "/1/Contacts?a=2", "/1/Contacts?a=2"]


def test_drop_on_a_new_connection_is_a_connection_error_without_the_key(
    serve: Callable[..., Server], session: requests.Session
) -> None:
    server = serve(lambda handler, n: "drop")
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        session.get(f"{server.url}/Contacts", timeout=(2, 5))
    assert not isinstance(raised.value, requests.exceptions.Timeout)
    assert server.seen.targets == ["/1/Contacts"]  # not sent twice: nothing says it went stale
    assert SECRET not in repr(raised.value) and SECRET not in str(raised.value)


def test_slow_answer_is_a_read_timeout_of_that_request(
    serve: Callable[..., Server], session: requests.Session
) -> None:
    answered: list[int] = []

    def first_fast_then_slow(handler: BaseHTTPRequestHandler, n: int) -> str:
        answered.append(n)
        return "ok" if len(answered) == 1 else "sleep 1.0"

    server = serve(first_fast_then_slow)
    assert session.get(f"{server.url}/Contacts", timeout=(2, 30)).status_code == 200
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):  # on the reused connection, with its own timeout
        session.get(f"{server.url}/Contacts", timeout=(2, 0.3))
    assert time.monotonic() - started < 0.9
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(f"{server.url}/Contacts", timeout=(2, 0.3))
    assert server.seen.connections == 2  # the connection that timed out was not reused


def test_nothing_listening_is_a_connection_error(session: requests.Session) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        session.get(f"http://127.0.0.1:{port}/1/Contacts", timeout=(2, 5))
    (reason,) = raised.value.args
    assert isinstance(reason, NotConnectedError)  # the client reads this as "nothing was sent"
    assert isinstance(reason.cause, ConnectionRefusedError)
    assert SECRET not in str(raised.value)


def test_writes_go_through_urllib3(serve: Callable[..., Server], session: requests.Session) -> None:
    server = serve()
    answer = session.post(f"{server.url}/Contacts/saveorupdate", data={"email": "a@b.com"}, timeout=(2, 5))
    assert answer.json()["received"] == "email=a%40b.com"
    assert server.seen.encodings == ["gzip, deflate"]  # requests' own header: urllib3 sent it


def test_gets_use_the_configured_proxy(serve: Callable[..., Server], session: requests.Session) -> None:
    proxy = serve()
    answer = session.get(
        "http://ontraport.invalid/1/Contacts?x=1",
        timeout=(2, 5),
        proxies={"http": f"http://127.0.0.1:{proxy.port}"},
    )
    assert answer.status_code == 200
    assert proxy.seen.targets == ["http://ontraport.invalid/1/Contacts?x=1"]  # absolute form: a proxy request


def test_https_is_verified_against_the_given_authority(
    serve: Callable[..., Server], session: requests.Session, tmp_path: Path
) -> None:
    authority = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    server = serve(tls=tls)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    assert session.get(f"{server.url}/Contacts", timeout=(2, 5), verify=str(ca_file)).status_code == 200
    assert session.get(f"{server.url}/Contacts", timeout=(2, 5), verify=str(ca_file)).status_code == 200
    assert server.seen.connections == 1
    with pytest.raises(requests.exceptions.SSLError):  # an unknown authority: refused by default
        session.get(f"{server.url}/Contacts", timeout=(2, 5))
