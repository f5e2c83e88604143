"""The benchmark's inputs and targets: deterministic contact records and the scenarios of the issue.

Scaling. The sandbox's rate window and its latency are scaled down by the same factor (10), so a
run takes minutes instead of hours: 180 requests per 6-s window with 30-70 ms latency stands for
Ontraport's 180 per minute with 300-700 ms. The connector is told the window
(`rate_limit_window_seconds: 6`). Its `max_requests_per_minute` is counted per real minute, so
"one third of the limit" (60 per scaled minute, i.e. per 6-s window) is configured as 600.

Records. One stream, `contacts`, synced in `append` mode. Every record carries an email (the match
key), first and last name, company, city, a number (`lifetime_value` -> custom numeric field), a
drop-down label (`plan`: Free/Pro/Enterprise -> option id), a date (`signup_date` -> Unix seconds)
and two source-only columns that map to no Ontraport field (`customer_id` and the cursor
`updated_at`). A STATE follows every 500 records and the last one.
"""

from __future__ import annotations

import calendar
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

SCALE = 10
WINDOW_SECONDS = 6.0  # stands for Ontraport's 60 s
RATE_LIMIT = 180  # requests per window, as Ontraport
UNLIMITED = 1_000_000  # "no limit" for the CPU/memory scenarios
LATENCY_FAST = "30-70"  # stands for 300-700 ms
LATENCY_SLOW = "100-300"  # stands for 1-3 s
CAP_PER_WINDOW = RATE_LIMIT // 3  # one third of the limit: 60 per (scaled) minute
CAP_PER_REAL_MINUTE = int(CAP_PER_WINDOW * 60 / WINDOW_SECONDS)  # what the config takes: 600

STREAM = "contacts"
TAGS = ("Airbyte", "Bench")
STATE_EVERY = 500
SEED = 20_240_501
PLANS = {"Free": "1", "Pro": "2", "Enterprise": "3"}  # the sandbox's "Plan" drop-down options

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "John",
    "Frances",
    "Ken",
    "Radia",
    "Dennis",
    "Katherine",
    "Tim",
    "Hedy",
    "Linus",
    "Sophie",
    "Guido",
    "Anita",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Fran",
    "Whitfield",
    "Mary",
    "Claude",
    "Jean",
    "Ivan",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "McCarthy",
    "Allen",
    "Thompson",
    "Perlman",
    "Ritchie",
    "Johnson",
    "Berners-Lee",
    "Lamarr",
    "Torvalds",
    "Wilson",
    "Rossum",
    "Borg",
    "Wirth",
    "Goldwasser",
    "Lamport",
    "Bilas",
    "Diffie",
    "Shaw",
    "Shannon",
    "Sammet",
    "Sutherland",
]
COMPANIES = (
    "Analytical Engines",
    "Harvard Mark I",
    "Bletchley Park",
    "Mathematisch Centrum",
    "CLU Labs",
    "TeX Works",
    "Apollo Guidance",
    "Lisp Machines",
    "Bell Labs",
    "ARPANET Co",
    "Xerox PARC",
    "Acme Widgets",
)
CITIES = (
    "London",
    "Arlington",
    "Manchester",
    "Rotterdam",
    "Cambridge",
    "Stanford",
    "Boston",
    "Murray Hill",
    "Palo Alto",
    "Zurich",
    "Helsinki",
    "Amsterdam",
    "Vienna",
    "Toronto",
)
CHANGEABLE = ("city", "company", "plan", "lifetime_value", "last_name")


# --- records --------------------------------------------------------------------------------------
def make_people(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` distinct source records, the same for the same arguments (emails are unique)."""
    rng = random.Random(seed)
    people = []
    first_day = date(2015, 1, 1)
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        people.append(
            {
                "customer_id": i + 1,
                "email": f"{first}.{last}.{i + 1}@example.com".lower(),
                "first_name": first,
                "last_name": last,
                "company": rng.choice(COMPANIES),
                "city": rng.choice(CITIES),
                "lifetime_value": rng.randrange(0, 50_000),
                "plan": rng.choice(tuple(PLANS)),
                "signup_date": (first_day + timedelta(days=rng.randrange(0, 3650))).isoformat(),
                "updated_at": "2024-05-01T00:00:00Z",
            }
        )
    return people


def change_some(people: Sequence[dict[str, Any]], share: float, seed: int = SEED) -> list[dict[str, Any]]:
    """A copy of `people` in which `share` of the records (chosen at random) each change one field."""
    rng = random.Random(seed + 1)
    changed = [dict(p) for p in people]
    chosen = sorted(rng.sample(range(len(changed)), round(share * len(changed))))
    for n, i in enumerate(chosen):
        person = changed[i]
        name = CHANGEABLE[n % len(CHANGEABLE)]
        if name == "city":
            person["city"] = next(c for c in CITIES if c != person["city"])
        elif name == "company":
            person["company"] = next(c for c in COMPANIES if c != person["company"])
        elif name == "plan":
            person["plan"] = next(p for p in PLANS if p != person["plan"])
        elif name == "lifetime_value":
            person["lifetime_value"] = int(person["lifetime_value"]) + 1
        else:
            person["last_name"] = person["last_name"] + "-Smith"
        person["updated_at"] = "2024-06-01T00:00:00Z"
    return changed


def with_copies(
    people: Sequence[dict[str, Any]], copies: int, spread: int, seed: int = SEED
) -> list[dict[str, Any]]:
    """Each person `copies` times, as a change-data-capture stream repeats a row: copy k of person i
    is placed at i + k * U(0, spread) (in persons), so the copies of one contact arrive within a short
    stretch of the stream; some share a batch, others land in a later batch. The copies are equal in
    every mapped field; only the cursor `updated_at` moves on."""
    rng = random.Random(seed + 2)
    keyed: list[tuple[float, int, int, dict[str, Any]]] = []
    for i, person in enumerate(people):
        keyed.append((float(i), i, 0, person))
        for k in range(1, copies):
            copy = dict(person)
            copy["updated_at"] = f"2024-05-01T00:00:{k:02d}Z"
            keyed.append((i + k * rng.uniform(0, spread), i, k, copy))
    keyed.sort(key=lambda item: (item[0], item[1], item[2]))
    return [item[3] for item in keyed]


def wire_values(person: dict[str, Any]) -> dict[str, str]:
    """The contact fields, as Ontraport stores them, that a record maps to (what a naive integration
    sends, and what the CPU scenarios seed so that every record is unchanged)."""
    day = date.fromisoformat(str(person["signup_date"]))
    return {
        "email": str(person["email"]),
        "firstname": str(person["first_name"]),
        "lastname": str(person["last_name"]),
        "company": str(person["company"]),
        "city": str(person["city"]),
        "f1002": str(person["lifetime_value"]),
        "f1003": PLANS[str(person["plan"])],
        "f1006": str(calendar.timegm(day.timetuple())),
    }


def seeded_contact(person: dict[str, Any]) -> dict[str, Any]:
    return {**wire_values(person), "tags": list(TAGS)}


# --- Airbyte messages ------------------------------------------------------------------------------
def record_message(data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": STREAM, "data": data, "emitted_at": 1_717_200_000_000}}


def state_message(position: int) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": STREAM}, "stream_state": {"position": position}},
        },
    }


def messages(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """RECORD messages with a STATE after every 500 records and after the last one."""
    n = 0
    for n, data in enumerate(records, start=1):
        yield record_message(data)
        if n % STATE_EVERY == 0:
            yield state_message(n)
    if n % STATE_EVERY:
        yield state_message(n)


def write_input(path: Path, records: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Writes the JSONL input; returns (records, states)."""
    counts = {"RECORD": 0, "STATE": 0}
    with path.open("w", encoding="utf-8") as sink:
        for message in messages(records):
            counts[message["type"]] += 1
            sink.write(json.dumps(message, separators=(",", ":")) + "\n")
    return counts["RECORD"], counts["STATE"]


def catalog() -> dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {
                    "name": STREAM,
                    "json_schema": {"type": "object"},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
            }
        ]
    }


# --- scenarios -------------------------------------------------------------------------------------
Metric = Literal[
    "requests_per_record",
    "extra_requests_per_record",
    "requests_per_contact",
    "rate_share",
    "share_429",
    "cpu_us_per_record",
    "peak_rss_mb",
    "estimate_error",
]


@dataclass(frozen=True)
class Target:
    metric: Metric
    low: float | None = None
    high: float | None = None

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        name = TARGET_LABELS[self.metric]
        if self.low is not None and self.high is not None:
            return f"{self.low:g} <= {name} <= {self.high:g}"
        if self.low is not None:
            return f"{name} >= {self.low:g}"
        return f"{name} <= {self.high:g}"


TARGET_LABELS: dict[Metric, str] = {
    "requests_per_record": "req/rec",
    "extra_requests_per_record": "req/rec above the same sync without them",
    "requests_per_contact": "req/contact",
    "rate_share": "rate",
    "share_429": "429s",
    "cpu_us_per_record": "CPU us/rec",
    "peak_rss_mb": "RSS MB",
    "estimate_error": "dry-run estimate error",
}

NO_429 = Target("share_429", high=0.01)
ESTIMATE = Target("estimate_error", high=0.02)
"""A dry run on the same account first: its estimate within 2% of the requests the sync then spends."""
RSS_LIMIT_MB = 250.0
RSS_FLAT_GROWTH = 0.15  # "flat": 4x the records may add at most 15% to the peak RSS


Kind = Literal["contacts", "orders", "order_lines", "orders_resync", "deals", "deals_linked"]
"""What a scenario syncs: contacts (a classic stream), or, through data activation (bench/activation.py),
purchases (one record per order with its `Lines`, one record per order line, or the same order lines
again) or deals (without links, or linked to their contact and company by email and name)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    contacts: int  # distinct contacts at full size (for the other kinds: orders, or deals)
    quick_contacts: int
    copies: int = 1
    changed_share: float = 0.0
    warm: bool = False  # the sandbox holds what a cold sync of the same contacts left
    seed_unchanged: bool = False  # the sandbox is seeded (admin API) with the records' exact values
    latency_ms: str = LATENCY_FAST
    rate_limit: int = RATE_LIMIT
    max_requests_per_minute: int | None = None  # connector config (per real minute)
    naive_contacts: int = 300  # the naive strategy runs on the records of the first N contacts
    quick_naive_contacts: int = 50
    targets: tuple[Target, ...] = ()
    notes: str = ""
    kind: Kind = "contacts"
    campaigns: tuple[str, ...] = ()  # the account's campaigns, every contact put on them (config)
    sequences: tuple[str, ...] = ()  # ... and its sequences

    @property
    def automations(self) -> bool:
        """Whether the sync puts contacts on campaigns or sequences (and is also run without them)."""
        return bool(self.campaigns or self.sequences)

    def label(self, quick: bool) -> str:
        return self.title.format(n=f"{self.size(quick):,}")

    def size(self, quick: bool) -> int:
        return self.quick_contacts if quick else self.contacts

    def naive_size(self, quick: bool) -> int:
        return min(self.quick_naive_contacts if quick else self.naive_contacts, self.size(quick))

    @property
    def allowed_per_window(self) -> float:
        """The rate the scenario is measured against: the sandbox's limit, or the connector's cap."""
        if self.max_requests_per_minute is not None:
            return min(self.rate_limit, self.max_requests_per_minute * WINDOW_SECONDS / 60.0)
        return float(self.rate_limit)

    def records(self, quick: bool, contacts: int | None = None) -> list[dict[str, Any]]:
        people = make_people(self.size(quick))
        if self.changed_share:
            people = change_some(people, self.changed_share)
        if contacts is not None:
            people = people[:contacts]
        if self.copies > 1:
            return with_copies(people, self.copies, spread=DUPLICATE_SPREAD)
        return people

    def base_people(self, quick: bool) -> list[dict[str, Any]]:
        """What was synced before (warm scenarios) or seeded (CPU scenarios)."""
        return make_people(self.size(quick))


DUPLICATE_SPREAD = 400  # persons: the copies of one contact span up to ~1,200 records (1.2 batches)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "cold",
        "cold: {n} new contacts, 2 tags, 300-700 ms latency",
        5000,
        500,
        targets=(Target("requests_per_record", high=1.01), Target("rate_share", low=0.90), NO_429, ESTIMATE),
        notes="empty account; also the issue's 'cold, 300 to 700 ms latency' row",
    ),
    Scenario(
        "warm",
        "warm: the same {n} again, nothing changed",
        5000,
        500,
        warm=True,
        targets=(Target("requests_per_record", high=0.025), NO_429, ESTIMATE),
        notes="the account holds what a cold sync of the same records left",
    ),
    Scenario(
        "warm10",
        "warm: 10% of them changed (one field each)",
        5000,
        500,
        warm=True,
        changed_share=0.10,
        targets=(Target("requests_per_record", high=0.13), NO_429, ESTIMATE),
    ),
    Scenario(
        "dup3",
        "each contact 3 times in the stream ({n} distinct)",
        5000,
        500,
        copies=3,
        naive_contacts=100,
        quick_naive_contacts=20,
        targets=(Target("requests_per_contact", high=1.07), NO_429, ESTIMATE),
        notes=(
            "copies equal in every mapped field, only the cursor moves; copy k of contact i at "
            f"i + k*U(0,{DUPLICATE_SPREAD}) contacts"
        ),
    ),
    Scenario(
        "slow",
        "cold: {n} new contacts, 1-3 s latency",
        5000,
        500,
        latency_ms=LATENCY_SLOW,
        targets=(Target("rate_share", low=0.90), NO_429),
    ),
    Scenario(
        "cap",
        "cold: {n} new contacts, max_requests_per_minute = 1/3 of the limit",
        5000,
        500,
        max_requests_per_minute=CAP_PER_REAL_MINUTE,
        naive_contacts=0,
        quick_naive_contacts=0,
        targets=(Target("rate_share", low=0.90, high=1.0), NO_429),
        notes=(
            f"cap {CAP_PER_WINDOW} per scaled minute (config {CAP_PER_REAL_MINUTE}/real min); "
            "rate is achieved/cap"
        ),
    ),
    Scenario(
        "automations",
        "cold: {n} new contacts, 2 tags, put on 1 campaign and 1 sequence",
        5000,
        500,
        naive_contacts=0,
        quick_naive_contacts=0,
        campaigns=("Onboarding",),
        sequences=("Welcome",),
        targets=(
            Target("extra_requests_per_record", high=0.01),
            Target("requests_per_record", high=1.06),
            NO_429,
        ),
        notes=(
            "the records of `cold`; req/rec above the same sync without campaigns and sequences, which "
            "runs after it on an unlimited sandbox (its request count does not depend on the rate)"
        ),
    ),
    Scenario(
        "cpu50k",
        "{n} unchanged records, no latency, no limit",
        50_000,
        5_000,
        seed_unchanged=True,
        latency_ms="0",
        rate_limit=UNLIMITED,
        naive_contacts=0,
        quick_naive_contacts=0,
        targets=(Target("peak_rss_mb", high=RSS_LIMIT_MB), NO_429),
    ),
    Scenario(
        "cpu200k",
        "{n} unchanged records, no latency, no limit",
        200_000,
        20_000,
        seed_unchanged=True,
        latency_ms="0",
        rate_limit=UNLIMITED,
        naive_contacts=0,
        quick_naive_contacts=0,
        # 300 us a record: at 180 requests a minute an unchanged re-sync reads about 147 records a
        # second, so that is under 5% of one core; CPU below it buys no wall time.
        targets=(Target("cpu_us_per_record", high=300.0), Target("peak_rss_mb", high=RSS_LIMIT_MB), NO_429),
        notes=f"RSS must also stay flat: at most {RSS_FLAT_GROWTH:.0%} above cpu50k",
    ),
)

# Purchases and linked records (issue 20), through data activation: see bench/activation.py for the
# records. Orders: 3.3 lines each on average, 2 orders per buyer (half the buyers in Ontraport
# already), one product per 12 orders (all new). The floor of a cold sync is one processManual per
# order plus one create per new buyer (0.25 an order) and per product (0.08); the lookups add about
# one request per 49 values of each, and set-up a few requests a sync. Deals: one contact per 10
# deals and one company per 40, all in Ontraport already.
ACTIVATION_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "orders",
        "purchases: {n} orders, one record each with its Lines, 300-700 ms latency",
        600,
        150,
        naive_contacts=0,
        quick_naive_contacts=0,
        kind="orders",
        # 600 logged + 150 new buyers + 50 products + ~30 lookups and set-up, per order
        targets=(Target("requests_per_record", high=1.45), NO_429),
        notes="requests / record here is per order; floor 1 processManual + 0.25 new buyer + 0.08 product",
    ),
    Scenario(
        "order_lines",
        "purchases: the same {n} orders as order lines (one record per line)",
        600,
        150,
        naive_contacts=0,
        quick_naive_contacts=0,
        kind="order_lines",
        targets=(Target("requests_per_record", high=0.44), NO_429),
        notes="per order line: the same requests as `orders` over 3.3 times the records",
    ),
    Scenario(
        "orders_resync",
        "purchases: the same order lines again, all {n} orders logged already",
        600,
        150,
        naive_contacts=0,
        quick_naive_contacts=0,
        kind="orders_resync",
        targets=(Target("requests_per_record", high=0.025), NO_429),
        notes="no processManual: one lookup per 49 orders",
    ),
    Scenario(
        "deals",
        "deals: {n} new deals, no links",
        2000,
        200,
        naive_contacts=0,
        quick_naive_contacts=0,
        kind="deals",
        targets=(Target("requests_per_record", high=1.04), NO_429),
        notes="the baseline of `deals_linked`: one create per deal",
    ),
    Scenario(
        "deals_linked",
        "deals: the same {n} deals, linked to their contact and company by email and name",
        2000,
        200,
        naive_contacts=0,
        quick_naive_contacts=0,
        kind="deals_linked",
        targets=(Target("requests_per_record", high=1.04), NO_429),
        notes="linking adds the lookups of the distinct keys only: at most 0.03 a record more than `deals`",
    ),
)

BY_NAME = {scenario.name: scenario for scenario in (*SCENARIOS, *ACTIVATION_SCENARIOS)}
