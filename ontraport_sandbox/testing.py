"""Start the sandbox from tests, benchmarks and the demo, and always stop it.

    with running_sandbox(rate_limit=1000, latency_ms="5-20") as sandbox:
        requests.get(f"{sandbox.url}/Contacts", headers=sandbox.headers)
        sandbox.stats()["total_requests"]

The sandbox runs as a subprocess (as it will in every real use) so a test exercises the same
command line a person types. Only the standard library is used here too, so any caller can
import it. Every wait is bounded: a sandbox that fails to start raises instead of hanging.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.error import HTTPError
from urllib.request import Request, urlopen

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
SEQUENCE_OBJECT_ID = 5  # builtin_objects.py; repeated so that this module imports nothing else
PRODUCT_OBJECT_ID = 16
TRANSACTION_OBJECT_ID = 46
CAMPAIGN_OBJECT_ID = 140
Membership = dict[
    str, list[Any]
]  # {"campaigns": [names], "campaign_ids": [ids], "sequences", "sequence_ids"}
START_TIMEOUT = 15.0
ADMIN_TIMEOUT = 120.0  # seeding 200,000 contacts takes a few seconds


class SandboxError(RuntimeError):
    """The sandbox did not start, or an admin call was refused."""


class SandboxHandle:
    def __init__(
        self, process: subprocess.Popen[bytes], host: str, port: int, app_id: str, api_key: str
    ) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.app_id = app_id
        self.api_key = api_key
        self.base = f"http://{host}:{port}"  # ignore-https-check: a local test server
        self.url = f"{self.base}/1"
        self.admin_url = f"{self.base}/__sandbox"

    @property
    def headers(self) -> dict[str, str]:
        """The auth headers the sandbox accepts."""
        return {"Api-Appid": self.app_id, "Api-Key": self.api_key}

    def _admin(self, method: str, name: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        url = f"{self.admin_url}/{name}"
        headers = {"Content-Type": "application/json"}
        request = Request(url, data=data, method=method, headers=headers)  # noqa: S310 - our http URL
        try:
            with urlopen(request, timeout=ADMIN_TIMEOUT) as response:  # noqa: S310 - our http URL
                return json.loads(response.read())
        except HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise SandboxError(f"{method} /__sandbox/{name}: {exc.code} {detail}") from exc

    def stats(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._admin("GET", "stats"))

    def contacts(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._admin("GET", "contacts"))

    def tags(self) -> list[dict[str, str]]:
        return cast(list[dict[str, str]], self._admin("GET", "tags"))

    def seed(self, contacts: list[dict[str, Any]]) -> list[int]:
        """Loads contacts without spending rate budget; returns their ids in order."""
        result = cast(dict[str, Any], self._admin("POST", "contacts", contacts))
        return [int(contact_id) for contact_id in result["ids"]]

    def objects(self, object_id: int) -> list[dict[str, Any]]:
        """Every record of one object type, with every field (and `tags` where the type has them)."""
        return cast(list[dict[str, Any]], self._admin("GET", f"objects?objectID={int(object_id)}"))

    def seed_objects(self, object_id: int, records: list[dict[str, Any]]) -> list[int]:
        """Loads records of any object type without spending rate budget; returns their ids."""
        result = cast(dict[str, Any], self._admin("POST", f"objects?objectID={int(object_id)}", records))
        return [int(record_id) for record_id in result["ids"]]

    def declare(self, document: dict[str, Any]) -> dict[str, Any]:
        """Applies a meta document (the `--meta` shape: `fields` for contacts, `objects` by type
        id) on top of the current schema; returns the whole schema."""
        return cast(dict[str, Any], self._admin("POST", "meta", document))

    def meta(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._admin("GET", "meta"))

    # --- campaigns, sequences and purchases (README "Automations and purchases") ----------------

    @staticmethod
    def _named(items: Sequence[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [{"name": item} if isinstance(item, str) else dict(item) for item in items]

    def seed_campaigns(self, campaigns: Sequence[str | Mapping[str, Any]]) -> list[int]:
        """Campaign Builder campaigns (object 140) by name, or as records (`{"name": ..., "pause":
        "1", "deleted": "1", "id": 7}`); returns their ids."""
        return self.seed_objects(CAMPAIGN_OBJECT_ID, self._named(campaigns))

    def seed_sequences(self, sequences: Sequence[str | Mapping[str, Any]]) -> list[int]:
        """Sequences (object 5) by name or as records; returns their ids (= their `drip_id`)."""
        return self.seed_objects(SEQUENCE_OBJECT_ID, self._named(sequences))

    def campaigns(self) -> list[dict[str, Any]]:
        """Every campaign with every field (`subs`, `subs_ever` as of now)."""
        return self.objects(CAMPAIGN_OBJECT_ID)

    def sequences(self) -> list[dict[str, Any]]:
        """Every sequence with every field (`drip_id`, `subscriber_count` as of now) and `id`."""
        return self.objects(SEQUENCE_OBJECT_ID)

    def memberships(self, contact_ids: Iterable[int] | None = None) -> dict[int, Membership]:
        """Contact id -> its campaigns and sequences (names and ids): every contact on at least one,
        or exactly the contacts named. Queued subscription changes are not in it yet."""
        query = ""
        if contact_ids is not None:
            query = "?contact_id=" + ",".join(str(int(contact_id)) for contact_id in contact_ids)
        found = cast(dict[str, Membership], self._admin("GET", f"memberships{query}"))
        return {int(contact_id): entry for contact_id, entry in found.items()}

    def seed_memberships(
        self,
        contact_ids: Iterable[int],
        campaigns: Sequence[int | str] = (),
        sequences: Sequence[int | str] = (),
    ) -> dict[int, Membership]:
        """Puts contacts on campaigns and sequences (ids or names) as if subscribed earlier,
        without a request, a stats count or a restart; returns their memberships."""
        payload = {
            "contact_ids": list(contact_ids),
            "campaigns": list(campaigns),
            "sequences": list(sequences),
        }
        found = cast(dict[str, Membership], self._admin("POST", "memberships", payload))
        return {int(contact_id): entry for contact_id, entry in found.items()}

    def process_subscriptions(self) -> int:
        """Applies the subscription changes queued under `subscription_processing="queued"`."""
        return int(cast(dict[str, Any], self._admin("POST", "process", {}))["processed"])

    def seed_products(self, products: Sequence[str | Mapping[str, Any]]) -> list[int]:
        """Products (object 16) by name or as records (`{"name", "price": "12.50", "sku"}`)."""
        return self.seed_objects(PRODUCT_OBJECT_ID, self._named(products))

    def products(self) -> list[dict[str, Any]]:
        return self.objects(PRODUCT_OBJECT_ID)

    def transactions(self) -> list[dict[str, Any]]:
        """Every logged transaction with every field plus `lines`: `[{"product_id", "quantity",
        "unit_price", "total"}]` (money as strings with two decimals)."""
        return cast(list[dict[str, Any]], self._admin("GET", "transactions"))

    def reset(self) -> None:
        self._admin("POST", "reset", {})

    def configure(self, **settings: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self._admin("POST", "config", settings))

    def config(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._admin("GET", "config"))


def _cli_args(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


def _read_port(process: subprocess.Popen[bytes], deadline: float) -> int:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError("the sandbox did not print LISTENING in time")
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise SandboxError(f"the sandbox exited before listening (exit code {process.poll()})")
            buffer += chunk
    finally:
        selector.close()
    line = buffer.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    word, _, port = line.partition(" ")
    if word != "LISTENING" or not port.isdigit():
        raise SandboxError(f"unexpected first line from the sandbox: {line!r}")
    return int(port)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdout is not None:
        process.stdout.close()


@contextlib.contextmanager
def running_sandbox(**cli_options: Any) -> Iterator[SandboxHandle]:
    """Starts `python -m ontraport_sandbox --port 0 <options>`; keyword names are the CLI
    options with `_` for `-` (`rate_limit=5`, `latency_ms="10-20"`, `app_id=...`). `port=N` asks
    for a fixed port, for callers that must name it before the sandbox starts."""
    options = dict(cli_options)
    port_wanted = int(options.pop("port", 0))
    host = str(options.get("host", "127.0.0.1"))
    app_id = str(options.get("app_id", "demo-app"))
    api_key = str(options.get("api_key", "demo-key"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "ontraport_sandbox", "--port", str(port_wanted), *_cli_args(options)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    try:
        port = _read_port(process, time.monotonic() + START_TIMEOUT)
        connect_to = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - not a bind
        yield SandboxHandle(process, connect_to, port, app_id, api_key)
    finally:
        _stop(process)
