"""Campaigns and sequences: `objects/subscribe`, `objects/sequence`, and the campaign list.

Evidence, by section of `docs/ontraport-api-notes.md` section 13:
- A3: `PUT /objects/subscribe` takes `objectID`, `add_list`, `ids` and `sub_type` ("campaign"
  when absent; clients send `Campaign`/`Sequence`); `DELETE /objects/subscribe` takes
  `remove_list`; `PUT`/`DELETE /objects/sequence` are the sequence-only variant. Each answers
  `"data":"The subscription is now being processed."`.
- A3/D12: with no ids, clients send `ids=0` or `performAll=1`, which means every contact. The
  sandbox refuses any subscribe or unsubscribe that does not name explicit positive contact ids,
  counts it in `subscribe_all` and logs it: Ontraport would act on every contact.
- A4: campaigns are `GET /CampaignBuilderItems` (read-only, `id` and `name` without listFields);
  sequences are object 5, read through `GET /objects?objectID=5` (served by the generic routes).
"""

from __future__ import annotations

from typing import Any

from .api_common import action_selection, envelope, invalid_object, object_id
from .app import Sandbox
from .errors import ApiError
from .meta import CONTACT_OBJECT_ID
from .params import Params, as_list, as_str, has, intval, truthy
from .subscriptions import CAMPAIGN, PROCESSING, SEQUENCE, Change

_EXACT_SUB_TYPES = {"Campaign": CAMPAIGN, "Sequence": SEQUENCE}


def sub_type(app: Sandbox, params: Params) -> str:
    """The `sub_type_case` switch: 'insensitive' takes any case of campaign/sequence, 'exact'
    only `Campaign`/`Sequence` (what the clients send); anything else is 400 in both modes."""
    if not has(params, "sub_type"):
        return CAMPAIGN
    text = as_str(params["sub_type"]).strip()
    if app.settings.sub_type_case == "exact":
        found = _EXACT_SUB_TYPES.get(text)
    else:
        found = text.lower() if text.lower() in (CAMPAIGN, SEQUENCE) else None
    if found is None:
        raise ApiError(400, f"Invalid sub_type: {text}")
    return found


def _list_ids(params: Params, key: str) -> tuple[int, ...]:
    values = [intval(value) for value in as_list(params.get(key))]
    values = [value for value in values if value > 0]
    if not values:
        raise ApiError(400, f"Missing required parameter: {key}")
    return tuple(dict.fromkeys(values))


def _refuse_everyone(app: Sandbox, route: str) -> ApiError:
    app.stats.subscribe_all()
    app.log(f"SUBSCRIBE-ALL refused: {route} without explicit contact ids would act on every contact")
    return ApiError(
        400,
        "Refused by the sandbox: a subscription change without explicit positive contact ids "
        "(ids missing, 0, or with performAll) would act on every contact",
    )


def _contact_ids(app: Sandbox, params: Params, route: str) -> tuple[int, ...]:
    """The explicit contact ids the change covers (narrowed by a condition or search if given;
    unknown ids are ignored like everywhere else). The caller holds the store lock."""
    ids = [intval(value) for value in as_list(params.get("ids"))]
    if not ids or any(value <= 0 for value in ids) or truthy(params.get("performAll")):
        raise _refuse_everyone(app, route)
    selection = action_selection(app, params, app.meta.contact, implicit_all=False)
    return tuple(selection.ids)


def _change(app: Sandbox, params: Params, *, list_type: str, adding: bool, route: str) -> dict[str, Any]:
    wanted = object_id(params)
    if app.meta.get(wanted) is None:
        raise invalid_object(params)
    if wanted != CONTACT_OBJECT_ID:
        raise ApiError(400, f"Object type {wanted}: the sandbox models subscriptions of contacts only")
    lists = _list_ids(params, "add_list" if adding else "remove_list")
    with app.store.lock:
        contacts = _contact_ids(app, params, route)
        change = Change(list_type, lists, contacts, adding)
        if app.settings.subscription_processing == "queued":
            app.subscriptions.enqueue(change)
        else:
            app.subscriptions.apply(app.store, change, app.settings.resubscribe, app.stats)
    return envelope(app, PROCESSING)


def subscribe(app: Sandbox, params: Params) -> dict[str, Any]:
    """`PUT /objects/subscribe`: campaigns, or sequences with `sub_type=Sequence`."""
    return _change(app, params, list_type=sub_type(app, params), adding=True, route="PUT /objects/subscribe")


def unsubscribe(app: Sandbox, params: Params) -> dict[str, Any]:
    """`DELETE /objects/subscribe`: parameters from the query string (the pipeline reads a DELETE's
    form body only under `delete_form_body=read`; a JSON body is read as for tagByName)."""
    return _change(
        app, params, list_type=sub_type(app, params), adding=False, route="DELETE /objects/subscribe"
    )


def add_to_sequence(app: Sandbox, params: Params) -> dict[str, Any]:
    """`PUT /objects/sequence`: sequences only; `sub_type` is not read."""
    return _change(app, params, list_type=SEQUENCE, adding=True, route="PUT /objects/sequence")


def remove_from_sequence(app: Sandbox, params: Params) -> dict[str, Any]:
    return _change(app, params, list_type=SEQUENCE, adding=False, route="DELETE /objects/sequence")
