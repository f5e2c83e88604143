"""The default sandbox account's meta as plain data, for tests that need a realistic field catalog
without a running sandbox: `FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)`.

Read from the sandbox's own schema (`meta.default_meta`), so the connector's unit tests map and
coerce against exactly the fields its end-to-end tests meet, and a field added to the sandbox
reaches both (a hand-kept copy could drift from it unnoticed).
"""

from __future__ import annotations

from typing import Any

from .meta import CONTACT_OBJECT_ID, default_meta


def default_objects_meta() -> dict[str, Any]:
    """What the default sandbox answers to `GET /objects/meta?format=byId`: `data`, keyed by object
    type id (a fresh copy each call: callers may change it)."""
    schema = default_meta()
    return schema.describe(schema.ids())


SANDBOX_CONTACT_FIELDS: dict[str, dict[str, Any]] = default_objects_meta()[str(CONTACT_OBJECT_ID)]["fields"]
"""The contact fields, as `GET /Contacts/meta` returns them in `data["0"]["fields"]`."""
