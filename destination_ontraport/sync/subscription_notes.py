"""What a sync says about campaigns and sequences at its end: who was left off and why, and whether
Ontraport had carried its subscriptions out.

Both are about "never twice". Where Ontraport's lookups do not say what a contact is on, only the
contacts the sync created were subscribed; the rest are counted here, with the reason and what to do.
Ontraport answers a subscribe before carrying it out (§13 A3): a sync that starts before it has would
read those contacts as not subscribed. So the end of a sync reads its last subscribed contact back
(one request) and says, when Ontraport has not caught up yet, not to start the next sync too soon.
"""

from __future__ import annotations

import logging

from destination_ontraport.ontraport.client import RecordApi
from destination_ontraport.ontraport.errors import OntraportError
from destination_ontraport.sync.report import Counts
from destination_ontraport.write.subscriber import processed
from destination_ontraport.write.subscription_ledger import SubscriptionLedger

logger = logging.getLogger("airbyte")


def confirm_subscriptions(client: RecordApi, ledger: SubscriptionLedger) -> bool | None:
    """True when Ontraport shows the sync's last subscriptions, False when not yet, None when the
    sync subscribed nobody (or the read failed: the sync's work is done, so it is only said)."""
    try:
        shown = processed(client, ledger)
    except OntraportError as exc:
        logger.warning(
            f"Could not read back a subscribed contact to see whether Ontraport processed it: {exc}"
        )
        return None
    if shown is True:
        logger.info("Ontraport shows this sync's subscriptions to campaigns and sequences (read back once).")
    elif shown is False:
        logger.warning(
            "Ontraport had not yet carried out this sync's subscriptions to campaigns and sequences when "
            "the sync ended (it answers a subscribe first and processes it later; the contact read back "
            "does not show them yet). A sync that starts before Ontraport has processed them reads those "
            "contacts as not subscribed and subscribes them again: let Ontraport finish (the contacts "
            "show the campaigns in Ontraport) before the next sync of this connection starts."
        )
    return shown


def log_left_off(counts: Counts, dry_run: bool) -> None:
    """The existing contacts left off campaigns or sequences (their membership was not readable)."""
    if not counts.subscriptions_left_off:
        return
    were = "would be" if dry_run else "were"
    logger.warning(
        f"{counts.subscriptions_left_off} existing contact(s) {were} left off the campaigns or sequences "
        "they ask for: Ontraport's lookups do not say which campaigns and sequences a contact is on, so "
        "this sync cannot tell whether they are on them already, and subscribing a contact that is "
        "already on one may start it again. Only contacts this sync created were subscribed. Put the "
        "others on in Ontraport if they are not on them yet (for example by a rule on the connection's tag)."
    )


__all__ = ["confirm_subscriptions", "log_left_off"]
