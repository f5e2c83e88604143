"""`role_arn` end to end: `main.py` against the sandbox and the moto S3 server (with IAM and STS on).

The connector's own key may only assume the role (S3 itself refuses it); the role may write the
bucket. So a rejected record reaches the bucket only through the role's temporary credentials,
asked of STS at the S3 endpoint, as the platform's activation destinations do with `role_arn`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from integration_tests.harness import (
    catalog_of,
    config_for,
    note_issued_secret,
    record,
    run_connector,
    state,
    stream_entry,
)
from integration_tests.s3_server import Credentials, S3Handle
from ontraport_sandbox.testing import SandboxHandle

ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
ONLY_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}
DENY_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}


def user_with(s3: S3Handle, name: str, policy: dict[str, Any]) -> Credentials:
    iam = s3.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    note_issued_secret(key["AccessKeyId"])
    note_issued_secret(key["SecretAccessKey"])
    return Credentials(name, key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def role(s3_server: S3Handle) -> str:
    iam = s3_server.client("iam")
    arn: str = iam.create_role(RoleName="rejects-writer", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="rejects-writer", PolicyName="s3", PolicyDocument=json.dumps(ALLOW_S3))
    return arn


def storage(s3: S3Handle, bucket: str, who: Credentials, role_arn: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "storage_type": "S3",
        "access_key_id": who.access_key_id,
        "secret_access_key": who.secret_access_key,
        "s3_bucket_name": bucket,
        "s3_bucket_region": "us-east-1",
        "s3_endpoint": s3.endpoint,
        "bucket_path": "rejects",
    }
    if role_arn:
        block["role_arn"] = role_arn
    return block


def test_rejected_records_reach_the_bucket_through_the_assumed_role(
    sandbox: SandboxHandle, s3_server: S3Handle, role: str
) -> None:
    bucket = s3_server.new_bucket()
    assumer = user_with(s3_server, "assumer", ONLY_ASSUME)

    alone = run_connector(
        "check", config_for(sandbox.url, object_storage_config=storage(s3_server, bucket, assumer, None))
    )
    assert alone.connection_status()["status"] == "FAILED", "the key alone may not write the bucket"
    assert "access was denied" in alone.connection_status()["message"]

    config = config_for(
        sandbox.url,
        rejected_records_threshold=100,
        object_storage_config=storage(s3_server, bucket, assumer, role),
    )
    check = run_connector("check", config)
    assert check.connection_status() == {"status": "SUCCEEDED"}, check.stdout[-2000:]

    messages = [
        record("people", {"email": "ok@example.com"}),
        record("people", {"email": "not-an-email"}),
        state("people", 1),
    ]
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.states and run.states[-1]["destinationStats"]["rejectedRecordCount"] == 1
    keys = s3_server.keys(bucket, "rejects/")
    (key,) = [k for k in keys if "_airbyte_connection_test" not in k]
    (row,) = [json.loads(line) for line in s3_server.read(bucket, key).decode().splitlines()]
    assert row["record"] == {"email": "not-an-email"} and "not a valid email address" in row["error"]


def test_a_key_that_may_not_assume_the_role_fails_the_check_with_a_plain_message(
    sandbox: SandboxHandle, s3_server: S3Handle, role: str
) -> None:
    bucket = s3_server.new_bucket()
    refused = user_with(s3_server, "refused", DENY_ASSUME)
    run = run_connector(
        "check", config_for(sandbox.url, object_storage_config=storage(s3_server, bucket, refused, role))
    )
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert status["message"].startswith(
        f"Could not assume the role for the rejected-records bucket {bucket!r}"
    )
    assert f"may not assume role_arn {role} (AccessDenied)" in status["message"]
    assert refused.secret_access_key not in run.stdout + run.stderr
