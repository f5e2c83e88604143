"""A Purchases stream (`destination_object_name` Transaction): its records grouped into orders.

A record is read as part of its order (model/orders.py). A record with `Lines` is a whole order. The
records of an order_lines table are its lines, one after another: consecutive records with one
External Order ID are one order, which is complete once a record of another order arrives, or once
the platform says the stream is COMPLETE. Only then does it go to the purchase writer: an order is
logged whole or not at all, because a logged purchase cannot take lines later.

Until then the order is open, and the message loop treats its lines as pending: a STATE that arrives
in the middle of an order (and every STATE after it) waits until the order is written, exactly as a
STATE waits for any record before it (`open_group`). Input that ends without the stream's COMPLETE
(a source that failed, or input piped by hand without it) leaves its last order open: it is not
logged, its STATEs do not go out, and the next sync sends those lines again (`unfinished` says so).

A rejected line refuses its whole order: the line itself with its own reason, the order's other lines
with "its line at input position N was rejected".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.mapping import FieldCatalog, RecordMapper, normalise
from destination_ontraport.model.orders import (
    EXTERNAL_ORDER_ID,
    MAX_ORDER_LINES,
    ORDER_PROPERTIES,
    Order,
    OrderPart,
    order_id_of,
    read_order_part,
)
from destination_ontraport.model.problems import ConfigProblem, RecordRejected
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import MAX_LOOKUP_VALUE, lookup_value_fits
from destination_ontraport.protocol.messages import StreamKey
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute
from destination_ontraport.write.purchases import PurchaseWriter

logger = logging.getLogger("airbyte")

MAX_UNKNOWN_LOGGED = 50


class PurchaseRoute(StreamRoute):
    """A StreamRoute whose records become orders for a PurchaseWriter (see the module docstring)."""

    def __init__(self, stream: CatalogStream, orders: PurchaseWriter) -> None:
        super().__init__(
            stream, RecordMapper(FieldCatalog(()), None, auto_mapping=False), orders, activation=True
        )
        self._orders = orders
        self._open: Order | None = None
        self._serial = 0  # numbers the orders opened, so that a STATE knows which one it waits for
        self._unknown: set[str] = set()

    # --- records -------------------------------------------------------------------------------
    def take(self, data: Mapping[str, Any], position: int) -> int | None:
        self.records_taken += 1
        order_id = order_id_of(data)  # without one the record is refused alone: it joins no order
        _fits(order_id, "External Order ID")
        self._refuse_past_the_limit(order_id, position)
        try:
            part = read_order_part(data, order_id)
            for value, what in _looked_up(part):
                _fits(value, what)
        except RecordRejected as exc:
            self._line_refused(order_id, position, exc.reason)
            raise
        self._note_unknown(part.unknown)
        self._join(part, position)
        return None

    def _join(self, part: OrderPart, position: int) -> None:
        order = self._open
        if order is not None and (part.whole or order.whole or order.order_id != part.order_id):
            self._close()
            order = None
        if order is None:
            self._open = Order.start(part, position, self.label)
            self._serial += 1
        else:
            order.join(part, position, self.label)
        if part.whole:
            self._close()

    def _line_refused(self, order_id: str, position: int, reason: str) -> None:
        """The order this record belongs to is refused with it: its other lines, before and after."""
        order = self._open
        if order is None or order.whole or order.order_id != order_id:
            self._close()
            order = self._open = Order(order_id, "", None, whole=False)
            self._serial += 1
        order.refuse_line(position, reason)

    def _refuse_past_the_limit(self, order_id: str, position: int) -> None:
        """An order is held until its last line: one that never ends must not grow without bound. Its
        lines past MAX_ORDER_LINES are refused as they come (the order with them)."""
        order = self._open
        if order is not None and order.order_id == order_id and len(order.sources) >= MAX_ORDER_LINES:
            reason = f"order {order_id!r} has more than the {MAX_ORDER_LINES} lines an order may have"
            order.fail(f"it has more than the {MAX_ORDER_LINES} lines an order may have")
            raise RecordRejected(reason)

    def _close(self) -> None:
        if self._open is not None:
            self._orders.add_order(self._open)
            self._open = None

    def _note_unknown(self, names: Iterable[str]) -> None:
        new = [name for name in names if name not in self._unknown]
        if not new or len(self._unknown) >= MAX_UNKNOWN_LOGGED:
            return
        self._unknown.update(new)
        logger.warning(
            f"Stream {self.label!r}: {', '.join(repr(excerpt(name, 60)) for name in new)} "
            f"{'is no property' if len(new) == 1 else 'are no properties'} of a purchase and not sent "
            f"(a purchase takes {', '.join(ORDER_PROPERTIES)})."
        )

    def identity(self, data: Mapping[str, Any]) -> tuple[str, str] | None:
        """A rejected purchase names no record that a removal would spare."""
        return None

    # --- the open order ------------------------------------------------------------------------
    @property
    def buffered(self) -> int:
        return len(self._open.sources) if self._open is not None else 0

    def open_group(self) -> tuple[StreamKey, int] | None:
        return ((self.namespace, self.name), self._serial) if self._open is not None else None

    def open_positions(self) -> list[int]:
        return [position for position, _ in self._open.sources] if self._open is not None else []

    def stream_ended(self) -> None:
        self._close()

    def unfinished(self) -> str | None:
        order = self._open
        if order is None or not order.sources:
            return None
        return (
            f"Stream {self.label!r}: order {excerpt(order.order_id)!r} ({len(order.sources)} line(s)) is not "
            "logged: the input ended without the stream's COMPLETE, so its last line may not have arrived. "
            "The STATEs after its first line were not sent; the next sync sends these lines again. (Input "
            "piped in by hand ends with a STREAM_STATUS COMPLETE per stream.)"
        )


def check_purchase_stream(stream: CatalogStream) -> None:
    """Purchases are logged once and never changed or deleted: `append`, matched by External Order ID
    (the only key discover offers, which the UI then picks by itself)."""
    if stream.mode != DestinationSyncMode.append:
        raise ConfigProblem(
            f"Stream {stream.label!r} writes purchases in {stream.mode.value}, but a purchase is logged once "
            "and never changed or deleted by this connector: choose append (discover offers only append for "
            "Transaction)."
        )
    key = stream.primary_key
    if key and [[normalise(part) for part in path] for path in key] != [[normalise(EXTERNAL_ORDER_ID)]]:
        raise ConfigProblem(
            f"Stream {stream.label!r}: purchases are matched by {EXTERNAL_ORDER_ID!r} (what keeps an order "
            f"from being logged twice), not by {key}; choose {EXTERNAL_ORDER_ID!r} as the matching key."
        )


def _looked_up(part: OrderPart) -> list[tuple[str, str]]:
    """The values of a record that go into a lookup's URL: each must fit one."""
    values = [(part.email, "Email")]
    for line in part.lines:
        values += [(line.product, "Product"), (line.sku, "Product SKU")]
    return [(value, what) for value, what in values if value]


def _fits(value: str, what: str) -> None:
    if not lookup_value_fits(value):
        raise RecordRejected(
            f"{what}: {excerpt(value, 40)!r} is {len(value):,} characters long, too long to look up in "
            f"Ontraport (a lookup goes in the URL, which holds at most {MAX_LOOKUP_VALUE:,} bytes of one "
            "value)"
        )


__all__ = ["PurchaseRoute", "check_purchase_stream"]
