"""What the connector learns about the account before writing: its client, its fields, its objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel, SecretStr

from destination_ontraport.config import OntraportConfig
from destination_ontraport.model.mapping import FieldCatalog, FieldInfo, RecordMapper
from destination_ontraport.model.objects import CONTACT_OBJECT_ID, ObjectType, object_types
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.settings import EngineSettings
from destination_ontraport.ontraport.trace import HttpTrace


def make_client(config: OntraportConfig, *, quick: bool = False) -> OntraportClient:
    """`quick` is for `check` and `discover`: a person is waiting, so two attempts and a 30 s timeout."""
    timeout = config.request_timeout_seconds
    settings = EngineSettings(
        config.api_url,
        config.app_id,
        config.api_key.get_secret_value(),
        timeout_seconds=min(timeout, 30.0) if quick else timeout,
        max_requests_per_minute=config.max_requests_per_minute,
        window_seconds=config.rate_limit_window_seconds,
        max_in_flight=config.max_concurrent_requests,
        max_attempts=2 if quick else 8,
    )
    client = OntraportClient(settings)
    if config.debug_http_trace:
        client.watch(HttpTrace(config.debug_http_trace, [config.app_id, *secret_values(config)]))
    return client


def secret_values(model: BaseModel) -> Iterator[str]:
    """Every secret of the config (the API key, the storage keys), wherever a block nests it: what
    the HTTP trace masks. A secret added to the config later is masked without a change here."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            yield value.get_secret_value()
        elif isinstance(value, BaseModel):
            yield from secret_values(value)


def contact_mapper(config: OntraportConfig, fields: FieldCatalog, match_field: FieldInfo) -> RecordMapper:
    """The mapper of a classic (contact) stream. `check` builds it too, so that every field_mapping a
    write would refuse (an unknown or read-only target, two mappings to one field, a mapped and
    ignored source) fails `check` with the very message the write would give."""
    return RecordMapper(
        fields,
        match_field,
        [(entry.source, entry.target) for entry in config.field_mapping],
        auto_mapping=config.auto_mapping,
        ignore=config.ignore_fields,
    )


@dataclass
class Account:
    """The contact fields and the config's match field (every sync needs them); the other object
    types only when a stream names one (`objects()` reads them once)."""

    client: OntraportClient
    fields: FieldCatalog
    match_field: FieldInfo
    _objects: list[ObjectType] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, config: OntraportConfig, *, quick: bool = False) -> Account:
        client = make_client(config, quick=quick)
        try:
            fields = FieldCatalog.from_meta(client.contact_fields())
            match_field = fields.require(config.match_field, "match_field")
            contact_mapper(config, fields, match_field)  # refuses here what a write would refuse
        except BaseException:
            client.close()
            raise
        return cls(client, fields, match_field)

    @cached_property
    def contacts(self) -> ObjectType:
        return ObjectType(CONTACT_OBJECT_ID, "Contact", self.fields)

    def objects(self) -> list[ObjectType]:
        """Every object type a stream can write (GET /objects/meta, once)."""
        if self._objects is None:
            self._objects = object_types(self.client.all_object_meta())
        return self._objects
