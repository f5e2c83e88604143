"""The connector's configuration: one pydantic model, from which the published spec is generated.

Keeping the model as the single source of truth means the spec, the validation and the code can
never disagree; `spec.json` at the repository root is only a generated copy (a test compares them).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from destination_ontraport.config_keys import unknown_keys
from destination_ontraport.ontraport.settings import ONTRAPORT_WINDOW_SECONDS
from destination_ontraport.rejected.settings import ObjectStorage, S3ObjectStorage, object_storage_field
from destination_ontraport.synclog.settings import BucketSyncLog, FileSyncLog, SyncLogSettings, sync_log_field

DEFAULT_API_URL = "https://api.ontraport.com/1"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

MissingContactsAction = Literal["keep", "remove_tags", "delete"]
DeletedRecordsAction = Literal["delete", "remove_tags", "ignore"]

# The setup form's cards, in this order (Airbyte's spec: a `group` on each top-level property and
# this `groups` list of {id, title}). Within a card the properties keep their `order`. The test and
# tuning knobs have no card: they are hidden from the form (`airbyte_hidden`) and stay settable
# through Airbyte's API and in a config file.
GROUPS: tuple[tuple[str, str], ...] = (
    ("connection", "Ontraport connection"),
    ("mapping", "Contacts and field mapping"),
    ("removals", "Full refresh and deletes"),
    ("limits", "Limits and rejected records"),
)


def _ui(order: int, group: str | None = None, **extra: Any) -> dict[str, Any]:
    """The Airbyte form keys of one property: its `order`, and its `group` or `airbyte_hidden`."""
    placement: dict[str, Any] = {"group": group} if group else {"airbyte_hidden": True}
    return {"order": order, **placement, **extra}


IgnoredPath = Annotated[str, Field(title="Source field", examples=["internal_notes", "address.geo"])]


class FieldMappingEntry(BaseModel):
    """One explicit mapping from a source path to an Ontraport contact field."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", title="Mapping")

    source: str = Field(
        title="Source field",
        description="Dotted path of the value in the source record, e.g. `address.city`.",
        min_length=1,
        examples=["address.city", "plan_name"],
        json_schema_extra={"order": 0},
    )
    target: str = Field(
        title="Ontraport field",
        description="Ontraport contact field name or alias, e.g. `city`, `First Name` or `External ID`.",
        min_length=1,
        examples=["city", "First Name", "External ID"],
        json_schema_extra={"order": 1},
    )


class OntraportConfig(BaseModel):
    """Everything the connector needs to know to write contacts into one Ontraport account."""

    model_config = ConfigDict(
        hide_input_in_errors=True,
        extra="ignore",
        title="Ontraport Destination Spec",
        json_schema_extra={"additionalProperties": True},
    )

    app_id: str = Field(
        title="App ID",
        description=(
            "Ontraport API App ID "
            "(Administration > Integrations > Ontraport API Instructions and Key Manager)."
        ),
        min_length=1,
        examples=["2_AppID_12345678"],
        json_schema_extra=_ui(0, "connection"),
    )
    api_key: SecretStr = Field(
        title="API Key",
        description="Ontraport API key belonging to the App ID. Stored as a secret; never logged.",
        min_length=1,
        json_schema_extra=_ui(1, "connection", airbyte_secret=True),
    )
    tags: str | None = Field(
        default=None,
        title="Tags",
        description="Comma-separated tag names added to every contact written. Missing tags are created.",
        examples=["Airbyte, Newsletter"],
        json_schema_extra=_ui(2, "mapping"),
    )
    match_field: str = Field(
        default="email",
        title="Match field",
        description=(
            "Ontraport field (name or alias) that identifies a contact. `email` uses Ontraport's "
            "repeat-safe merge; another unique field (e.g. a custom `External ID`) uses lookup-then-create."
        ),
        min_length=1,
        examples=["email", "External ID", "f1001"],
        json_schema_extra=_ui(3, "mapping"),
    )
    field_mapping: list[FieldMappingEntry] = Field(
        default_factory=list,
        title="Field mapping",
        description=(
            "Explicit mappings on top of the automatic ones (source field names are matched to "
            "Ontraport field names and aliases automatically)."
        ),
        json_schema_extra=_ui(4, "mapping"),
    )
    auto_mapping: bool = Field(
        default=True,
        title="Automatic field mapping",
        description=(
            "Map source fields to Ontraport fields whose name or alias matches (case, spaces and _ ignored)."
        ),
        json_schema_extra=_ui(5, "mapping"),
    )
    ignore_fields: list[IgnoredPath] = Field(
        default_factory=list,
        title="Ignored source fields",
        description="Dotted source paths never sent to Ontraport, even when their name matches a field.",
        examples=[["internal_notes", "address.geo"]],
        json_schema_extra=_ui(6, "mapping"),
    )
    create_linked_contacts: bool = Field(
        default=False,
        title="Create missing linked contacts",
        description=(
            "Data activation: when a record links to a contact by email (e.g. a Deal's `Primary Contact "
            "(Email)`) and Ontraport has no contact with that email, create the contact (with just its "
            "email) and link it. Off: such a record is rejected with the reason. Purchases always create "
            "their buyer's contact."
        ),
        json_schema_extra=_ui(7, "mapping"),
    )
    missing_contacts: MissingContactsAction = Field(
        default="keep",
        title="Contacts missing from a full refresh",
        description=(
            "Overwrite syncs only: what happens to contacts that carry all the configured tags but were "
            "not in this sync. `keep` leaves them, `remove_tags` takes the tags off, `delete` deletes "
            "them. Needs `tags`. Nothing is removed when the sync fails."
        ),
        json_schema_extra=_ui(7, "removals"),
    )
    deleted_records: DeletedRecordsAction = Field(
        default="delete",
        title="Deleted source records",
        description=(
            "What a record marks as deleted does to its contact: a CDC record with `_ab_cdc_deleted_at` "
            "set, or any record of a `soft_delete` stream. `delete` deletes the contact, `remove_tags` "
            "takes the configured tags off it (needs `tags`), `ignore` leaves it and counts the record "
            "as skipped."
        ),
        json_schema_extra=_ui(8, "removals"),
    )
    max_removals: int = Field(
        default=1000,
        ge=0,
        title="Maximum removals per sync",
        description=(
            "Safety guard: a sync that would untag or delete more contacts than this stops before "
            "removing any, and says why."
        ),
        json_schema_extra=_ui(9, "removals"),
    )
    dry_run: bool = Field(
        default=False,
        title="Dry run",
        description=(
            "Read only: report what the sync would create, update, tag and remove, and write nothing."
        ),
        json_schema_extra=_ui(10, "limits"),
    )
    max_requests_per_minute: int | None = Field(
        default=None,
        ge=1,
        title="Maximum requests per minute",
        description=(
            "Cap on this connector's API requests per minute, below the account's limit (180), so that "
            "the account's other integrations keep working. Empty: use the whole limit."
        ),
        json_schema_extra=_ui(11, "limits"),
    )
    rejected_records_threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Rejected records threshold (%)",
        description=(
            "The sync fails when more than this percentage of records is rejected (they are always "
            "reported). Empty: 10% of the records of classic streams; data-activation streams then "
            "report their rejections and succeed, as Airbyte's activation destinations do."
        ),
        examples=[10],
        json_schema_extra=_ui(12, "limits"),
    )
    rejected_records_path: str | None = Field(
        default=None,
        title="Rejected records file",
        description="Optional path of a JSONL file that receives each rejected record with its reason.",
        examples=["/local/ontraport_rejected.jsonl"],
        json_schema_extra=_ui(13, "limits"),
    )
    object_storage_config: ObjectStorage = object_storage_field(**_ui(14, "limits"))
    sync_log: SyncLogSettings = sync_log_field(**_ui(15, "limits"))
    api_url: str = Field(
        default=DEFAULT_API_URL,
        title="API URL",
        description="Ontraport REST API base URL. Plain HTTP is only allowed for localhost.",
        examples=[DEFAULT_API_URL, "http://localhost:8765/1"],
        json_schema_extra=_ui(14),
    )
    rate_limit_window_seconds: SkipJsonSchema[float] = Field(
        default=ONTRAPORT_WINDOW_SECONDS,
        gt=0,
        title="Rate-limit window (seconds)",
        description=(
            "Not in the spec: only for a local sandbox whose window is scaled down (the tests, the "
            "benchmarks). Ontraport's window is always 60 s; a raised limit is read from its headers."
        ),
    )
    max_concurrent_requests: int = Field(
        default=10,
        ge=1,
        le=64,
        title="Concurrent requests",
        description="Requests kept in flight at once, so that slow responses do not waste the rate budget.",
        json_schema_extra=_ui(15),
    )
    request_timeout_seconds: float = Field(
        default=90.0,
        gt=0,
        title="Request timeout (seconds)",
        description="Per-request timeout; Ontraport can take up to 60 s to answer.",
        json_schema_extra=_ui(16),
    )
    campaigns: str | None = Field(
        default=None,
        title="Campaigns",
        description=(
            "Classic streams only. Comma-separated names of Ontraport campaigns every contact written is put "
            "on, once: a contact already on one is never subscribed again. They must exist in Ontraport."
        ),
        examples=["Onboarding, Newsletter"],
        json_schema_extra=_ui(18, "mapping"),
    )
    sequences: str | None = Field(
        default=None,
        title="Sequences",
        description=(
            "Classic streams only. Comma-separated names of Ontraport sequences every contact written is put "
            "on, once: a contact already on one is never subscribed again. They must exist in Ontraport."
        ),
        examples=["Welcome series"],
        json_schema_extra=_ui(19, "mapping"),
    )
    batch_size: int = Field(
        default=1000,
        ge=1,
        le=10000,
        title="Batch size",
        description="Records collected before contacts are looked up and written (bounds memory).",
        json_schema_extra=_ui(17),
    )
    debug_http_trace: str = Field(
        default="",
        title="HTTP trace file",
        description=(
            "For support and local runs: a file that receives every request and answer as one JSON "
            "line (method, path, query, status, time, rate headers, body excerpts), with the API key, "
            "App ID and storage keys masked. It holds the records' data. Empty: no trace."
        ),
        examples=["/local/ontraport_http_trace.jsonl"],
        json_schema_extra=_ui(18),
    )

    @model_validator(mode="before")
    @classmethod
    def _no_misspelled_option(cls, data: Any) -> Any:
        """A near miss of a known option (`dryrun`) is refused: ignored, it would do something else
        than the person meant (really write). Other unknown keys only warn (`unknown_option_warning`)."""
        misspelled = [key for key in unknown_keys(cls, data) if key.suggestion is not None]
        if misspelled:
            raise PydanticCustomError(
                "misspelled_option",
                "{problems}. A misspelled option would be ignored and the sync would do something else "
                "than meant, so nothing runs until it is spelled as in the spec (docs/ontraport.md)",
                {"problems": "; ".join(key.describe() for key in misspelled)},
            )
        return data

    @field_validator("api_url")
    @classmethod
    def _secure_api_url(cls, value: str) -> str:
        """The API key travels in a header: refuse to send it in clear text across a network."""
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("api_url must be an http(s) URL such as https://api.ontraport.com/1")
        if parts.scheme == "http" and not _is_local(value):
            raise ValueError(
                "api_url uses plain HTTP to a remote host, which would send the API key in clear "
                "text; use https:// (http is only allowed for localhost)"
            )
        return value.strip().rstrip("/")

    @field_validator("debug_http_trace", mode="before")
    @classmethod
    def _no_trace_when_blank(cls, value: Any) -> Any:
        """`null` (as a config saved by an API client may hold it) and blanks mean no trace."""
        return "" if value is None else value.strip() if isinstance(value, str) else value

    @field_validator("app_id", "match_field")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("app_id")
    @classmethod
    def _header_safe_app_id(cls, value: str) -> str:
        return _header_safe(value, "the App ID")

    @field_validator("api_key")
    @classmethod
    def _header_safe_api_key(cls, value: SecretStr) -> SecretStr:
        """A key pasted with a line break or spaces around it would otherwise fail every request with
        a message about the network."""
        key = value.get_secret_value().strip()
        if not key:
            raise ValueError("must not be blank")
        return SecretStr(_header_safe(key, "the API key"))

    @model_validator(mode="after")
    def _removal_needs_tags(self) -> OntraportConfig:
        """Removing 'contacts not in this sync' is only safe when tags mark which contacts are ours."""
        if self.missing_contacts != "keep" and not self.tag_names:
            raise ValueError(
                f"missing_contacts={self.missing_contacts} needs non-empty tags: the tags mark which "
                "contacts this connection owns; without them every contact in the account would qualify"
            )
        if self.deleted_records == "remove_tags" and not self.tag_names:
            raise ValueError("deleted_records=remove_tags needs non-empty tags: there are no tags to remove")
        return self

    @model_validator(mode="after")
    def _sync_log_has_somewhere_to_go(self) -> OntraportConfig:
        """The bucket variant reuses object_storage_config's bucket; a file shared with the rejected
        records would mix two kinds of rows in one file."""
        log = self.sync_log
        if isinstance(log, BucketSyncLog) and not isinstance(self.object_storage_config, S3ObjectStorage):
            raise ValueError(
                "sync_log is set to the rejected-records bucket, but object_storage_config names no S3 "
                "bucket; configure the bucket in object_storage_config, or write the sync log to a local file"
            )
        if isinstance(log, FileSyncLog) and _same_file(log.path, self.rejected_records_path):
            raise ValueError(
                "sync_log and rejected_records_path name the same file; give the sync log a file of its own"
            )
        return self

    @model_validator(mode="after")
    def _scaled_window_only_for_a_sandbox(self) -> OntraportConfig:
        """Ontraport counts requests over a rolling minute; support may raise an account's limit, never
        the window, and every answer reports the limit (X-Rate-Limit-Limit), which the pacer reads. A
        shorter window against the real API would run into HTTP 429 all sync long, a longer one would
        waste the budget: only a local sandbox scales its window (the tests and benchmarks use 6 s)."""
        if self.rate_limit_window_seconds != ONTRAPORT_WINDOW_SECONDS and not _is_local(self.api_url):
            raise ValueError(
                f"rate_limit_window_seconds={self.rate_limit_window_seconds:g} is only for a local sandbox "
                "with a scaled rate-limit window: Ontraport's window is always 60 seconds, and a limit "
                "Ontraport raised for the account is read from its answers. Remove the option"
            )
        return self

    @property
    def tag_names(self) -> list[str]:
        """The configured tags, trimmed, empty entries dropped, duplicates removed in order."""
        return _names(self.tags)

    @property
    def campaign_names(self) -> list[str]:
        """The configured campaigns, as `tag_names` reads tags."""
        return _names(self.campaigns)

    @property
    def sequence_names(self) -> list[str]:
        """The configured sequences, as `tag_names` reads tags."""
        return _names(self.sequences)


def _names(text: str | None) -> list[str]:
    """Comma-separated names: trimmed, empty entries dropped, duplicates removed in order."""
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def unknown_option_warning(config: Any) -> str | None:
    """The warning for unknown keys that are no near miss of an option (those are refused), or None."""
    unknown = [key.path for key in unknown_keys(OntraportConfig, config) if key.suggestion is None]
    if not unknown:
        return None
    return (
        f"Unknown config option(s) {', '.join(unknown)} are ignored; check their spelling against the "
        "spec (docs/ontraport.md lists the options)."
    )


def _same_file(path: str, other: str | None) -> bool:
    return other is not None and Path(path).expanduser().resolve() == Path(other).expanduser().resolve()


def _is_local(url: str) -> bool:
    """Whether `url` names this machine (the sandbox), not a host across a network."""
    return urlsplit(url.strip()).hostname in LOCAL_HOSTS


def _header_safe(value: str, what: str) -> str:
    """Credentials travel in HTTP headers, which cannot hold line breaks or other control characters.
    The message never quotes the value."""
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError(
            f"{what} contains a space, line break or other invisible character; "
            "copy it again from Ontraport and paste only the key itself"
        )
    return value


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Airbyte's UI does not follow `$ref`, so nested models are inlined into the spec."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return resolve({**target, **extra})
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _simplify_optional(prop: dict[str, Any]) -> None:
    """`X | None` becomes `anyOf[X, null]` in pydantic; Airbyte specs express it as a plain type."""
    any_of = prop.get("anyOf")
    if any_of and len(any_of) == 2 and {"type": "null"} in any_of:
        inner = next(p for p in any_of if p != {"type": "null"})
        del prop["anyOf"]
        prop.update(inner)


def connection_specification() -> dict[str, Any]:
    """The JSON schema of the config, shaped the way Airbyte's spec expects it."""
    schema = _inline_refs(OntraportConfig.model_json_schema())
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["groups"] = [{"id": group, "title": title} for group, title in GROUPS]
    for prop in schema["properties"].values():
        _simplify_optional(prop)
        if prop.get("default", "") is None:
            del prop["default"]
        if prop.get("format") == "password":
            del prop["format"]
            prop.pop("writeOnly", None)
    return schema
