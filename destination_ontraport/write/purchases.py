"""Purchases: each order logged once, with its products, for its contact.

Per flush, for the orders the stream route handed over (whole orders: see sync/purchase_route.py):
1. look up which external order ids Ontraport already holds (`GET /Transactions` with
   `external_order_id IN [...]`, 49 a request, every row re-checked against the ids asked: whether
   Ontraport honours that condition is not settled, and a server that ignores it answers every
   transaction); those orders are already logged (by an earlier sync, or by a run that died before
   its STATE) and are not logged again;
2. for the others: the buyers' contacts by email (created, with saveorupdate, when missing), and the
   products by name or SKU (created once with `POST /Products` when missing), through the sync's
   shared resolvers (`resolver.py`);
3. one `POST /transaction/processManual` per order (`chargeLog`: record only, never charge; the
   invoice suppressed), several in flight; a lost answer is looked up before the order is sent again.

Whether Ontraport refuses a second transaction with the same `external_order_id` is not settled
(notes 13 B9): nothing here relies on it. A refusal of a purchase is looked up once: if the order is
there after all (another run logged it meanwhile), it counts as already logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from destination_ontraport.model.money import money_text
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.orders import Order, OrderLine
from destination_ontraport.model.purchases import (
    ORDER_ID_FIELD,
    PRODUCTS,
    TRANSACTION_LIST_FIELDS,
    TRANSACTIONS,
    product_fields,
    purchase_body,
)
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import RecordApi, pages
from destination_ontraport.ontraport.errors import (
    AmbiguousWriteError,
    NotFoundError,
    RequestRejectedError,
    TransientError,
)
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.outcome import RefusedRecord, WriteOutcome
from destination_ontraport.write.resolver import BoundedCache, Resolvers

logger = logging.getLogger("airbyte")

LOG_ATTEMPTS = 4


class PurchaseApi(RecordApi, Protocol):
    """The client as the purchase writer uses it (fakes in tests match it)."""

    def log_purchase(self, body: Mapping[str, Any]) -> str: ...


@dataclass
class _Round:
    """One flush: the orders to log, and what became of each."""

    orders: list[Order]
    outcome: WriteOutcome = field(default_factory=WriteOutcome)
    contacts: dict[str, str] = field(default_factory=dict)  # email (normalised) -> contact id
    products: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, sku) -> product id
    failed: dict[str, str] = field(default_factory=dict)  # order id -> why it is refused
    product_problems: dict[tuple[str, str], str] = field(default_factory=dict)  # why one was not created
    made_products: int = 0
    made_contacts: int = 0


class PurchaseWriter:
    """Writes the orders of the sync's Purchases streams (one writer for all of them: an order id is
    one order, whichever stream brings it). `contacts`: the account's contact object (its email field
    finds the buyer)."""

    obj: ObjectType = TRANSACTIONS
    key = ORDER_ID_FIELD

    def __init__(
        self, client: PurchaseApi, contacts: ObjectType, resolvers: Resolvers, dry_run: DryRun | None = None
    ) -> None:
        email = contacts.fields.get("email")
        if email is None:
            raise ValueError("the account's contacts have no email field: purchases cannot find their buyers")
        self._client = client
        self._workers = resolvers.workers
        self._dry_run = dry_run
        self._contacts = resolvers.of(contacts, email, oldest_of_several=True)
        self._by_name = resolvers.of(
            PRODUCTS, PRODUCTS.fields.require("name", "product name"), oldest_of_several=True
        )
        self._by_sku = resolvers.of(
            PRODUCTS, PRODUCTS.fields.require("sku", "product SKU"), oldest_of_several=True
        )
        self._pending: dict[str, Order] = {}
        self._refused: list[Order] = []
        self._records = 0  # input records of the orders pending (the loop asks after every record)
        self._logged = BoundedCache()  # order id -> invoice id: logged by this sync
        self._present = BoundedCache()  # order id -> transaction id: found already logged
        self._seen = BoundedCache()  # every order id this sync was handed
        self._warned_condition = False
        self.seen_ids: set[str] = set()  # never a contact: removals of leftovers do not read it

    # --- what the stream route and the loop see -----------------------------------------------
    @property
    def pending_records(self) -> int:
        return self._records

    def match_key(self, fields: Mapping[str, str]) -> str:
        return (fields.get(ORDER_ID_FIELD.name) or "").strip()

    def add(self, record: MappedRecord) -> None:
        raise TypeError("a purchase stream hands whole orders over (add_order), not records")

    def add_removal(self, record: MappedRecord) -> None:
        raise TypeError("purchases are logged, never removed")

    def add_order(self, order: Order) -> None:
        """A whole order (its last line arrived). Lines of an order that come apart from its other
        lines cannot join a logged purchase: the later ones are refused with the reason."""
        if order.order_id in self._seen:
            order.fail(
                "its lines came apart from its other lines, which are already part of this sync's order "
                f"{order.order_id!r}: an order's lines must come one after another"
            )
        self._records += len(order.sources)
        if order.missing() is not None:
            self._refused.append(order)
        else:
            self._pending[order.order_id] = order
        self._seen.put(order.order_id, "")

    def close(self) -> None:
        """The threads belong to the sync's resolvers, which close them."""

    # --- a flush -------------------------------------------------------------------------------
    def flush(self) -> Iterator[WriteOutcome]:
        if not self._pending and not self._refused:
            return
        orders, self._pending = list(self._pending.values()), {}
        refused, self._refused, self._records = self._refused, [], 0
        work = _Round(orders)
        for order in refused:
            _refuse(work.outcome, order, order.missing() or "")
        present = self._already_logged([order.order_id for order in orders])
        to_log = []
        for order in orders:
            if order.order_id in present:
                work.outcome.unchanged += 1
                self._compare_totals(order, present[order.order_id])
            else:
                to_log.append(order)
        if to_log:
            self._log_orders(work, to_log)
        yield work.outcome

    def _log_orders(self, work: _Round, orders: list[Order]) -> None:
        self._find_contacts(work, orders)
        self._find_products(work, orders)
        ready = [order for order in orders if order.order_id not in work.failed]
        for order in orders:
            if order.order_id in work.failed:
                _refuse(work.outcome, order, work.failed[order.order_id])
        if self._dry_run is not None:
            self._describe(ready)
            work.outcome.created += len(ready)
            return
        results = self._workers.map(lambda order: (order, self._log_one(work, order)), ready)
        logged_now = []
        for order, (logged, reason) in results:
            if reason is not None:
                _refuse(work.outcome, order, reason)
            elif logged:
                work.outcome.created += 1
                logged_now.append(order)
            else:
                work.outcome.unchanged += 1
        self._report(work, logged_now)

    # --- 1. orders already logged --------------------------------------------------------------
    def _already_logged(
        self, order_ids: Sequence[str], *, inline: bool = False
    ) -> dict[str, Mapping[str, Any]]:
        """The transactions Ontraport holds for these external order ids (those this sync knows of
        without a lookup included). `inline`: from a worker thread, whose pool may be waiting on it:
        the lookups are sent from this thread."""
        found: dict[str, Mapping[str, Any]] = {}
        asking = []
        for order_id in order_ids:
            known = self._logged.get(order_id) or self._present.get(order_id)
            if known is not None:
                found[order_id] = {"id": known}
            else:
                asking.append(order_id)
        if not asking:
            return found
        name, fields = ORDER_ID_FIELD.name, list(TRANSACTION_LIST_FIELDS)
        chunks = self._client.lookup_chunks(TRANSACTIONS, name, asking, fields)

        def read(chunk: list[str]) -> list[dict[str, Any]]:
            return list(
                pages(lambda start: self._client.find(TRANSACTIONS, name, chunk, fields, start=start))
            )

        answers = [read(chunk) for chunk in chunks] if inline else self._workers.map(read, chunks)
        wanted, others = set(asking), 0
        for rows in answers:
            for row in rows:
                order_id = str(row.get(name) or "").strip()
                if order_id in wanted:
                    found.setdefault(order_id, row)
                    self._present.put(order_id, str(row.get("id", "")))
                else:
                    others += 1
        if others and not self._warned_condition:
            self._warned_condition = True
            logger.warning(
                f"Ontraport answered a lookup of orders by external_order_id with {others} transaction(s) of "
                "other orders: it does not narrow transactions by that condition on this account. Every row "
                "is checked against the orders asked, so nothing is logged twice, but each lookup reads "
                "every transaction of the account."
            )
        return found

    def _compare_totals(self, order: Order, row: Mapping[str, Any]) -> None:
        held = row.get("subtotal")
        try:
            differs = held not in (None, "") and Decimal(str(held)) != order.total
        except InvalidOperation:
            differs = False
        if differs:
            logger.warning(
                f"Order {excerpt(order.order_id)!r} is already in Ontraport (transaction {row.get('id')}) "
                f"with subtotal {held}, the source now says {money_text(order.total)}: a logged purchase is "
                "never changed by this connector (refund or correct it in Ontraport)."
            )

    # --- 2. contacts and products --------------------------------------------------------------
    def _find_contacts(self, work: _Round, orders: Sequence[Order]) -> None:
        resolver = self._contacts
        resolved = resolver.resolve(order.email for order in orders)
        missing: dict[str, dict[str, str]] = {}
        for order in orders:
            wanted = resolver.normalise(order.email)
            if wanted not in resolved.ids:
                missing.setdefault(wanted, {"email": order.email})
        if missing and self._dry_run is None:
            created = resolver.create(missing)
            resolved.ids.update(created.ids)
            resolved.refused.update(created.refused)
            work.made_contacts += created.made
        for order in orders:
            wanted = resolver.normalise(order.email)
            if wanted in resolved.ids:
                work.contacts[wanted] = resolved.ids[wanted]
            elif wanted in resolved.refused:
                work.failed.setdefault(order.order_id, _not_logged(order, resolved.refused[wanted]))

    def _find_products(self, work: _Round, orders: Sequence[Order]) -> None:
        """By name, then by SKU (as WP Fusion finds a shop's product), then created: once per product."""
        lines = {_product(line): line for order in orders for line in order.lines}
        by_name = self._by_name.resolve(name for name, _ in lines if name)
        for name, sku in lines:
            found = by_name.ids.get(self._by_name.normalise(name)) if name else None
            if found is not None:
                work.products[(name, sku)] = found
        rest = {key: line for key, line in lines.items() if key not in work.products}
        by_sku = self._by_sku.resolve(sku for _, sku in rest if sku)
        for (name, sku), _line in list(rest.items()):
            found = by_sku.ids.get(self._by_sku.normalise(sku)) if sku else None
            if found is not None:
                work.products[(name, sku)] = found
                del rest[(name, sku)]
        if rest and self._dry_run is None:
            self._create_products(work, rest)
        for order in orders:
            for line in order.lines:
                if _product(line) not in work.products and self._dry_run is None:
                    why = work.product_problems.get(_product(line), "the product could not be created")
                    work.failed.setdefault(order.order_id, _not_logged(order, f"{line.label}: {why}"))

    def _create_products(self, work: _Round, missing: Mapping[tuple[str, str], OrderLine]) -> None:
        named = {
            self._by_name.normalise(name): (key, line) for key, line in missing.items() if (name := key[0])
        }
        coded = {self._by_sku.normalise(key[1]): (key, line) for key, line in missing.items() if not key[0]}
        for resolver, wanted in ((self._by_name, named), (self._by_sku, coded)):
            if not wanted:
                continue
            created = resolver.create(
                {
                    value: product_fields(key[0], key[1], line.unit_price)
                    for value, (key, line) in wanted.items()
                }
            )
            work.made_products += created.made
            for value, (key, _line) in wanted.items():
                if value in created.ids:
                    work.products[key] = created.ids[value]
                    if key[0] and key[1]:
                        self._by_sku.remember(key[1], created.ids[value])
                else:
                    work.product_problems[key] = created.refused.get(value, "not created")

    # --- 3. processManual ----------------------------------------------------------------------
    def _log_one(self, work: _Round, order: Order) -> tuple[bool, str | None]:
        """(logged by this call, None), (False, None) when it turned out to be there already, or
        (False, the reason Ontraport refused it)."""
        contact = work.contacts[self._contacts.normalise(order.email)]
        body = purchase_body(order, contact, [work.products[_product(line)] for line in order.lines])
        for attempt in range(1, LOG_ATTEMPTS + 1):
            try:
                invoice = self._client.log_purchase(body)
            except AmbiguousWriteError:
                if self._logged_meanwhile(order):
                    return True, None
                if attempt < LOG_ATTEMPTS:
                    logger.warning(
                        f"Logging order {excerpt(order.order_id)!r} failed and it is not in Ontraport; "
                        f"trying again (attempt {attempt + 1} of {LOG_ATTEMPTS})."
                    )
                continue
            except (RequestRejectedError, NotFoundError) as exc:
                if self._logged_meanwhile(order):
                    return False, None
                return False, _not_logged(order, f"Ontraport refused the purchase: {exc}")
            self._logged.put(order.order_id, invoice)
            return True, None
        raise TransientError(
            f"Could not log order {excerpt(order.order_id)!r} after {LOG_ATTEMPTS} attempts; the sync stops "
            "and can be retried safely (orders already logged are looked up, never logged again)."
        )

    def _logged_meanwhile(self, order: Order) -> bool:
        """Runs in a worker thread (see `_already_logged`)."""
        found = self._already_logged([order.order_id], inline=True)
        if order.order_id in found:
            self._logged.put(order.order_id, str(found[order.order_id].get("id", "")))
            return True
        return False

    def _report(self, work: _Round, logged: Sequence[Order]) -> None:
        if self._client.condition_needs_ids_zero is None and work.outcome.created:
            # settles whether lookups need ids=0 (from an answer that must hold a record), once
            self._client.find(TRANSACTIONS, ORDER_ID_FIELD.name, [logged[0].order_id], ["id"])
        if work.outcome.created or work.made_products or work.made_contacts:
            lines = sum(len(order.lines) for order in logged)
            logger.info(
                f"Purchases: {work.outcome.created} order(s) logged ({lines} lines), "
                f"{work.outcome.unchanged} already in Ontraport, {work.made_products} product(s) and "
                f"{work.made_contacts} contact(s) created."
            )

    def _describe(self, orders: Sequence[Order]) -> None:
        dry_run = self._dry_run
        for order in orders:
            if dry_run is None or dry_run.described_enough:
                return
            dry_run.examples.append(
                f"would log order {excerpt(order.order_id, 40)} for {excerpt(order.email, 60)}: "
                f"{len(order.lines)} line(s), {money_text(order.total)}"
            )


def _product(line: OrderLine) -> tuple[str, str]:
    return (line.product, line.sku)


def _not_logged(order: Order, why: str) -> str:
    return f"order {order.order_id!r} is not logged: {why}"


def _refuse(outcome: WriteOutcome, order: Order, reason: str) -> None:
    outcome.refused.extend(
        RefusedRecord(position, stream, order.order_id, reason, None) for position, stream in order.sources
    )


__all__ = ["PurchaseApi", "PurchaseWriter"]
