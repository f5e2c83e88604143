"""Every failure classified once, with a message that tells a person what to do next.

The client raises typed errors; this module is the one place that turns them (and config
problems) into `AirbyteTracedException`s with the right `FailureType`.
"""

from __future__ import annotations

from collections.abc import Sequence

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import ValidationError

from destination_ontraport.model.mapping import MappingConfigError
from destination_ontraport.ontraport.errors import (
    AuthenticationError,
    OntraportError,
    PermissionDeniedError,
    TransientError,
    UnsafeRequestError,
)
from destination_ontraport.protocol.catalog import CatalogError
from destination_ontraport.rejected.s3_store import ObjectStorageError


class ConfigProblem(Exception):
    """A setting the user must change (e.g. an unsupported sync mode, a removal over the guard)."""


def describe_validation_error(error: ValidationError) -> str:
    """pydantic's text quotes input values (the key among them); this names only fields and rules."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "config"
        parts.append(f"{where}: {item['msg']}")
    return "Invalid configuration: " + "; ".join(parts)


def user_message(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return describe_validation_error(exc)
    return str(exc)


def rerun_note(keyless_streams: Sequence[str] = ()) -> str:
    """What running the sync again does: true for the sync that failed. Contacts (saveorupdate on
    email, or a lookup before a create) and records with a matching key are never written twice; a
    stream without a key creates every record it receives, so its records after the last state come
    again and are created again."""
    if not keyless_streams:
        return "the sync can be run again safely and will not duplicate contacts."
    streams = ", ".join(keyless_streams)
    which = (
        f"stream {streams} has no matching key and creates every record received"
        if len(keyless_streams) == 1
        else f"streams {streams} have no matching key and create every record received"
    )
    return (
        f"running the sync again does not duplicate contacts or records matched by a key, but {which}: "
        "its records written after the last state message are created again when the sync runs again. "
        "Check Ontraport for duplicates after the re-run, or choose a matching key (a unique field) so "
        "that re-runs update instead of creating."
    )


def as_traced(exc: BaseException, keyless_streams: Sequence[str] = ()) -> AirbyteTracedException:
    """`keyless_streams`: streams of the failed sync that create every record (see `rerun_note`)."""
    if isinstance(exc, AirbyteTracedException):
        return exc
    message = user_message(exc)
    config_errors = (
        CatalogError,
        ValidationError,
        MappingConfigError,
        ConfigProblem,
        AuthenticationError,
        PermissionDeniedError,
    )
    if isinstance(exc, config_errors) or (isinstance(exc, ObjectStorageError) and not exc.transient):
        failure = FailureType.config_error
    elif isinstance(exc, TransientError | ObjectStorageError):
        failure = FailureType.transient_error
        message = (
            f"{message.rstrip('.')}. Records after the last state message were not confirmed; "
            f"{rerun_note(keyless_streams)}"
        )
    elif isinstance(exc, UnsafeRequestError | OntraportError):
        failure = FailureType.system_error
    else:
        failure = FailureType.system_error
        message = f"Unexpected error: {type(exc).__name__}: {message}"
    return AirbyteTracedException(
        internal_message=message, message=message, failure_type=failure, exception=exc
    )
