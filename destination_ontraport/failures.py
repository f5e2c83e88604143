"""Every failure classified once, with a message that tells a person what to do next.

The client raises typed errors, the model and the sync raise `model/problems.py`'s; this module is
the one place that says which `FailureType` each is (`failure_type`: a setting to fix, a failure
worth retrying, or a fault) and turns them into `AirbyteTracedException`s (`as_traced`, for `write`;
`discover` reports the same type in its own messages).
"""

from __future__ import annotations

from collections.abc import Sequence

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import ValidationError

from destination_ontraport.model.problems import ConfigProblem, MappingConfigError
from destination_ontraport.ontraport.errors import (
    AuthenticationError,
    OntraportError,
    PermissionDeniedError,
    TransientError,
)
from destination_ontraport.protocol.catalog import CatalogError
from destination_ontraport.rejected.s3_store import ObjectStorageError

CONFIG_ERRORS = (
    CatalogError,
    ValidationError,
    MappingConfigError,
    ConfigProblem,
    AuthenticationError,
    PermissionDeniedError,
)
"""A setting to change: the credentials, an option, the catalog, a mapping."""


def failure_type(exc: BaseException) -> FailureType:
    """The one table: a setting to fix (config_error), a failure that may pass when the sync runs
    again (transient_error: the API or the bucket still failing after the retries), or a fault of
    the connector or an answer it cannot use (system_error: any other error, Ontraport's included)."""
    if isinstance(exc, CONFIG_ERRORS) or (isinstance(exc, ObjectStorageError) and not exc.transient):
        return FailureType.config_error
    if isinstance(exc, TransientError | ObjectStorageError):
        return FailureType.transient_error
    return FailureType.system_error


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
    failure = failure_type(exc)
    if failure == FailureType.transient_error:
        message = (
            f"{message.rstrip('.')}. Records after the last state message were not confirmed; "
            f"{rerun_note(keyless_streams)}"
        )
    elif failure == FailureType.system_error and not isinstance(exc, OntraportError):
        message = f"Unexpected error: {type(exc).__name__}: {message}"
    return AirbyteTracedException(
        internal_message=message, message=message, failure_type=failure, exception=exc
    )
