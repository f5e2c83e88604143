"""Every failure classified once (failures.py): `write` (`as_traced`) and `discover` give the same
failure type for the same error, from the one table `failure_type`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests_mock
from airbyte_cdk.models import FailureType
from pydantic import ValidationError

from destination_ontraport.config import OntraportConfig
from destination_ontraport.destination import DestinationOntraport
from destination_ontraport.failures import as_traced, failure_type
from destination_ontraport.model.problems import ConfigProblem, MappingConfigError
from destination_ontraport.ontraport.errors import (
    AmbiguousWriteError,
    AuthenticationError,
    OntraportError,
    PermissionDeniedError,
    RemovalTripwireError,
    RequestRejectedError,
    TransientError,
    UnexpectedAnswerError,
    UnsafeRequestError,
)
from destination_ontraport.protocol.catalog import CatalogError
from destination_ontraport.rejected.s3_store import ObjectStorageError
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS


def _validation_error() -> ValidationError:
    try:
        OntraportConfig.model_validate({})
    except ValidationError as exc:
        return exc
    raise AssertionError("an empty config must not validate")


CONFIG, TRANSIENT, SYSTEM = FailureType.config_error, FailureType.transient_error, FailureType.system_error
CASES: list[tuple[BaseException, FailureType]] = [
    (_validation_error(), CONFIG),
    (MappingConfigError("no field 'x'"), CONFIG),
    (ConfigProblem("raise max_removals"), CONFIG),
    (CatalogError("not valid JSON"), CONFIG),
    (AuthenticationError("401", status=401), CONFIG),
    (PermissionDeniedError("403", status=403), CONFIG),
    (ObjectStorageError("no such bucket", transient=False), CONFIG),
    (ObjectStorageError("S3 still failing", transient=True), TRANSIENT),
    (TransientError("gave up after 8 attempts"), TRANSIENT),
    (AmbiguousWriteError("no answer"), TRANSIENT),
    (RequestRejectedError("error code 1", status=None), SYSTEM),
    (UnexpectedAnswerError("Save failed!"), SYSTEM),
    (OntraportError("unexpected shape"), SYSTEM),
    (UnsafeRequestError("no ids"), SYSTEM),
    (RemovalTripwireError("count fell by 4"), SYSTEM),
    (ValueError("a bug"), SYSTEM),
]


@pytest.mark.parametrize(("exc", "expected"), CASES, ids=[type(exc).__name__ for exc, _ in CASES])
def test_one_table_classifies_every_failure_for_write(exc: BaseException, expected: FailureType) -> None:
    assert failure_type(exc) == expected
    assert as_traced(exc).failure_type == expected


@pytest.fixture
def api() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as mock:
        mock.get(
            "https://api.test/1/Contacts/meta",
            json={"code": 0, "data": {"0": {"name": "Contact", "fields": SANDBOX_CONTACT_FIELDS}}},
        )
        yield mock


def _discover_failure(api: requests_mock.Mocker, **answer: object) -> str:
    api.get("https://api.test/1/objects/meta", **answer)  # type: ignore[arg-type]
    config = {"app_id": "app", "api_key": "Key-unit-secret-123", "api_url": "https://api.test/1"}
    trace, status = DestinationOntraport().discover(config)
    assert status["connectionStatus"]["status"] == "FAILED"
    failure: str = trace["trace"]["error"]["failure_type"]
    return failure


def test_discover_reports_the_type_write_would(api: requests_mock.Mocker) -> None:
    """An answer in no shape Ontraport gives (an error code in the envelope) is no outage to wait out:
    discover says system_error, as a write does (its own copy of the table said transient_error)."""
    assert _discover_failure(api, json={"code": 1, "data": "Invalid request"}) == "system_error"
    assert _discover_failure(api, status_code=403, text="Forbidden") == "config_error"
