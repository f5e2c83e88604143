"""The /1/ routes: which handler answers which method and path.

Each handler follows `docs/ontraport-api-notes.md`; where the notes say UNCONFIRMED the choice made
here is noted in README.md and, where a client could reasonably depend on it, is a behaviour
switch. Dedicated contact routes (`/Contact`, `/Contacts`) serve object type 0; the generic routes
(`/object`, `/objects`) serve the type their `objectID` names: tags (14) or any record type of
the account's schema. Campaigns, sequences, products and transactions (section 13 of the API
notes) have their own modules: api_automations.py and api_commerce.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import api_automations as automations
from . import api_commerce as commerce
from . import api_records as records
from . import api_tags as tags
from .api_common import envelope, invalid_object, object_id
from .app import Sandbox
from .builtin_objects import CAMPAIGN_OBJECT_ID, PRODUCT_OBJECT_ID, TRANSACTION_OBJECT_ID
from .errors import ApiError
from .meta import TAG_OBJECT_ID, ObjectType
from .params import Params, as_str, has

Handler = Callable[[Sandbox, Params], dict[str, Any]]
RecordHandler = Callable[[Sandbox, Params, ObjectType], dict[str, Any]]

SAVE_OR_UPDATE_PATHS = frozenset({"/1/contacts/saveorupdate", "/1/objects/saveorupdate"})


def _contacts(handler: RecordHandler) -> Handler:
    def contact_handler(app: Sandbox, params: Params) -> dict[str, Any]:
        return handler(app, params, app.meta.contact)

    return contact_handler


def _builtin(handler: RecordHandler, built_in: int) -> Handler:
    """A dedicated route of a built-in type (`/CampaignBuilderItems`, `/Products`, `/Transactions`)."""

    def builtin_handler(app: Sandbox, params: Params) -> dict[str, Any]:
        return handler(app, params, commerce.builtin_kind(app, built_in))

    return builtin_handler


def _by_object(handler: RecordHandler, tag_handler: Handler | None = None) -> Handler:
    """A generic route: `objectID` picks the record type (or the tag object, where it has one)."""

    def generic_handler(app: Sandbox, params: Params) -> dict[str, Any]:
        wanted = object_id(params)
        if wanted == TAG_OBJECT_ID and tag_handler is not None:
            return tag_handler(app, params)
        kind = app.meta.get(wanted)
        if kind is None:
            raise invalid_object(params)
        return handler(app, params, kind)

    return generic_handler


def objects_meta(app: Sandbox, params: Params) -> dict[str, Any]:
    """`GET /objects/meta`: one object type with `objectID`, else every type of the account
    (custom objects are the keys >= 10000, which is how the SDK finds them)."""
    by_name = as_str(params.get("format", "")).lower() == "byname"
    if has(params, "objectID"):
        wanted = object_id(params)
        if wanted != TAG_OBJECT_ID and app.meta.get(wanted) is None:
            raise invalid_object(params)
        object_ids = [wanted]
    else:  # the built-in types only under the `builtin_types_in_meta` switch
        object_ids = app.meta.ids(include_hidden=app.settings.builtin_types_in_meta == "listed")
    return envelope(app, app.meta.describe(object_ids, by_name))


ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/1/contact"): _contacts(records.get_one),
    ("DELETE", "/1/contact"): _contacts(records.delete_one),
    ("GET", "/1/contacts"): _contacts(records.list_many),
    ("POST", "/1/contacts"): _contacts(records.create),
    ("PUT", "/1/contacts"): _contacts(records.update),
    ("DELETE", "/1/contacts"): _contacts(records.delete_many),
    ("POST", "/1/contacts/saveorupdate"): _contacts(records.save_or_update),
    ("GET", "/1/contacts/getinfo"): _contacts(records.info),
    ("GET", "/1/contacts/meta"): _contacts(records.meta_of),
    ("GET", "/1/object"): _by_object(records.get_one, tags.get_tag),
    ("DELETE", "/1/object"): _by_object(records.delete_one, tags.delete_tag),
    ("GET", "/1/objects"): _by_object(records.list_many, tags.list_tags),
    ("POST", "/1/objects"): _by_object(records.create, tags.create_tag),
    ("PUT", "/1/objects"): _by_object(records.update, tags.update_tag),
    ("DELETE", "/1/objects"): _by_object(records.delete_many, tags.delete_tags),
    ("POST", "/1/objects/saveorupdate"): _by_object(records.save_or_update),
    ("GET", "/1/objects/getinfo"): _by_object(records.info, tags.tags_info),
    ("GET", "/1/objects/meta"): objects_meta,
    ("GET", "/1/object/getbyemail"): _by_object(records.get_by_email),
    ("GET", "/1/tags"): tags.list_tags,
    ("POST", "/1/tags"): tags.create_tag,
    ("PUT", "/1/tags"): tags.update_tag,
    ("DELETE", "/1/tags"): tags.delete_tags,
    ("GET", "/1/tag"): tags.get_tag,
    ("DELETE", "/1/tag"): tags.delete_tag,
    ("GET", "/1/tags/getinfo"): tags.tags_info,
    ("GET", "/1/objects/tag"): tags.records_with_tag,
    ("PUT", "/1/objects/tag"): tags.tag_records,
    ("DELETE", "/1/objects/tag"): tags.untag_records,
    ("PUT", "/1/objects/tagbyname"): tags.tag_by_name,
    ("DELETE", "/1/objects/tagbyname"): tags.untag_by_name,
    # campaigns and sequences (notes 13 A3, A4); sequences are object 5 on the generic routes
    ("PUT", "/1/objects/subscribe"): automations.subscribe,
    ("DELETE", "/1/objects/subscribe"): automations.unsubscribe,
    ("PUT", "/1/objects/sequence"): automations.add_to_sequence,
    ("DELETE", "/1/objects/sequence"): automations.remove_from_sequence,
    ("GET", "/1/campaignbuilderitems"): _builtin(records.list_many, CAMPAIGN_OBJECT_ID),
    ("GET", "/1/campaignbuilderitem"): _builtin(records.get_one, CAMPAIGN_OBJECT_ID),
    ("GET", "/1/campaignbuilderitems/getinfo"): _builtin(records.info, CAMPAIGN_OBJECT_ID),
    ("GET", "/1/campaignbuilderitems/meta"): _builtin(records.meta_of, CAMPAIGN_OBJECT_ID),
    # purchases (notes 13 B6-B8)
    ("GET", "/1/products"): _builtin(records.list_many, PRODUCT_OBJECT_ID),
    ("POST", "/1/products"): commerce.create_product,
    ("PUT", "/1/products"): _builtin(records.update, PRODUCT_OBJECT_ID),
    ("DELETE", "/1/products"): _builtin(records.delete_many, PRODUCT_OBJECT_ID),
    ("GET", "/1/product"): _builtin(records.get_one, PRODUCT_OBJECT_ID),
    ("DELETE", "/1/product"): _builtin(records.delete_one, PRODUCT_OBJECT_ID),
    ("GET", "/1/products/getinfo"): _builtin(records.info, PRODUCT_OBJECT_ID),
    ("GET", "/1/products/meta"): _builtin(records.meta_of, PRODUCT_OBJECT_ID),
    ("POST", "/1/transaction/processmanual"): commerce.process_manual,
    ("GET", "/1/transactions"): _builtin(records.list_many, TRANSACTION_OBJECT_ID),
    ("GET", "/1/transaction"): _builtin(records.get_one, TRANSACTION_OBJECT_ID),
    ("GET", "/1/transactions/getinfo"): _builtin(records.info, TRANSACTION_OBJECT_ID),
    ("GET", "/1/transactions/meta"): _builtin(records.meta_of, TRANSACTION_OBJECT_ID),
}

KNOWN_PATHS = frozenset(path for _, path in ROUTES)


def is_save_or_update(method: str, path: str) -> bool:
    """The requests the `save_failed_rate` switch may answer with `Save failed!`."""
    return method == "POST" and path.rstrip("/").lower() in SAVE_OR_UPDATE_PATHS


def route(method: str, path: str) -> Handler:
    normalised = path.rstrip("/").lower()
    handler = ROUTES.get((method, normalised))
    if handler is not None:
        return handler
    if normalised in KNOWN_PATHS:
        raise ApiError(405, "Method not allowed")
    raise ApiError(404, "Invalid endpoint")
