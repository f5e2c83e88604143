"""`role_arn`: the bucket is written with the assumed role's temporary credentials, asked of STS as
Airbyte's Kotlin CDK asks (session name, the platform's external id), refreshed before they expire,
and every refusal is a message that names the role and never a credential.

STS is botocore's own client with its Stubber: the requests are checked against the real API model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from destination_ontraport.rejected.s3_role import EXTERNAL_ID_ENV, SESSION_NAME, assumed_role_session
from destination_ontraport.rejected.s3_store import ObjectStorageError, S3Store
from destination_ontraport.rejected.settings import S3ObjectStorage

ROLE = "arn:aws:iam::123456789012:role/airbyte-rejects"
BOOT_KEY, BOOT_SECRET = "AKIABOOTSTRAPKEY0001", "bootstrap-Secret-7hQ"
TEMP_SECRET = "temporary-Secret-4kZ"


def settings(**extra: Any) -> S3ObjectStorage:
    return S3ObjectStorage.model_validate(
        {"storage_type": "S3", "s3_bucket_name": "rejects", "role_arn": ROLE, **extra}
    )


def credentials(key: str, minutes: int) -> dict[str, Any]:
    return {
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": TEMP_SECRET,
            "SessionToken": f"token-of-{key}",
            "Expiration": datetime.now(UTC) + timedelta(minutes=minutes),
        }
    }


class Bootstrap:
    """The session holding the credentials that assume the role; its STS client is stubbed."""

    def __init__(self) -> None:
        session = boto3.session.Session(aws_access_key_id=BOOT_KEY, aws_secret_access_key=BOOT_SECRET)
        self.sts = session.client("sts", region_name="us-east-1")
        self.stub = Stubber(self.sts)
        self.asked: list[tuple[str, str | None]] = []

    def client(self, service: str, *, region_name: str, endpoint_url: str | None, config: Any) -> Any:
        self.asked.append((region_name, endpoint_url))
        assert service == "sts"
        return self.sts


def explain(action: str, reason: str, advice: str, transient: bool) -> ObjectStorageError:
    return ObjectStorageError(f"Could not {action} the bucket: {reason}. {advice}", transient=transient)


def test_the_role_is_assumed_as_the_kotlin_cdk_assumes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXTERNAL_ID_ENV, "workspace-42")
    boot = Bootstrap()
    boot.stub.add_response(
        "assume_role",
        credentials("ASIATEMPORARY0001", 60),
        {"RoleArn": ROLE, "RoleSessionName": SESSION_NAME, "ExternalId": "workspace-42"},
    )
    with boot.stub:
        session = assumed_role_session(
            settings(s3_endpoint="http://127.0.0.1:9000"), boot, Config(), "eu-west-1", explain
        )
        frozen = session.get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.token) == ("ASIATEMPORARY0001", "token-of-ASIATEMPORARY0001")
    assert boot.asked == [("eu-west-1", "http://127.0.0.1:9000")], "STS at the S3 endpoint, in its region"
    boot.stub.assert_no_pending_responses()


def test_without_the_platforms_external_id_none_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXTERNAL_ID_ENV, raising=False)
    boot = Bootstrap()
    boot.stub.add_response(
        "assume_role",
        credentials("ASIATEMPORARY0002", 60),
        {"RoleArn": ROLE, "RoleSessionName": SESSION_NAME},
    )
    with boot.stub:
        assumed_role_session(settings(), boot, Config(), "us-east-1", explain)
    boot.stub.assert_no_pending_responses()


def test_credentials_about_to_expire_are_renewed_before_use() -> None:
    boot = Bootstrap()
    boot.stub.add_response("assume_role", credentials("ASIAEXPIRINGSOON001", 5))  # inside botocore's 10 min
    boot.stub.add_response("assume_role", credentials("ASIARENEWED00000001", 60))
    with boot.stub:
        session = assumed_role_session(settings(), boot, Config(), "us-east-1", explain)
        assert session.get_credentials().get_frozen_credentials().access_key == "ASIARENEWED00000001"
    boot.stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "says", "transient"),
    [
        ("AccessDenied", 403, "may not assume role_arn " + ROLE + " (AccessDenied)", False),
        ("InvalidClientTokenId", 403, "STS refused the credentials that assume role_arn", False),
        ("ValidationError", 400, "is not valid (ValidationError)", False),
        ("ServiceUnavailable", 503, "STS answered ServiceUnavailable", True),
    ],
)
def test_a_refusal_names_the_role_and_what_to_do_and_no_credential(
    code: str, status: int, says: str, transient: bool
) -> None:
    boot = Bootstrap()
    boot.stub.add_client_error("assume_role", service_error_code=code, http_status_code=status)
    with boot.stub, pytest.raises(ObjectStorageError) as caught:
        assumed_role_session(settings(), boot, Config(), "us-east-1", explain)
    message = str(caught.value)
    assert says in message and message.startswith("Could not assume the role for the bucket")
    assert caught.value.transient is transient
    for secret in (BOOT_KEY, BOOT_SECRET, TEMP_SECRET):
        assert secret not in message


def test_the_store_writes_with_the_roles_credentials_and_says_so_when_it_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through S3Store, as `check` and `write` use it: a role nobody may assume fails with the store's
    message (bucket, endpoint, setting), classified as a setting to fix."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3Store(settings(s3_endpoint="http://127.0.0.1:9"), attempts=1)
    with pytest.raises(ObjectStorageError) as caught:
        store.put("k", b"x", "application/x-ndjson")
    message = str(caught.value)
    assert message.startswith("Could not assume the role for the rejected-records bucket 'rejects'")
    assert "no access key was given to assume role_arn" in message
    assert caught.value.transient is False


def test_role_arn_is_accepted_and_only_its_shape_is_checked() -> None:
    assert settings().role_arn == ROLE
    assert settings(role_arn="  ").role_arn is None
    with pytest.raises(ValueError, match="must be a role's ARN"):
        settings(role_arn="airbyte-rejects")
