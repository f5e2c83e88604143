"""The S3 bucket behind `object_storage_config`: put, list and delete objects, failures in plain words.

boto3 is imported only when a bucket is configured and used: importing it costs a noticeable part of
a second, in every run and in every one of the test suite's subprocesses. botocore's "standard" retry
mode retries throttling, 5xx and dropped connections with exponential backoff and jitter; timeouts
are bounded. Every failure is classified once, here, into `ObjectStorageError`: a setting the user
must fix (missing bucket, refused key, denied access) or an outage that outlasted the retries. The
messages name the bucket and the setting, never a key.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from destination_ontraport.rejected.s3_role import Explain, assumed_role_session
from destination_ontraport.rejected.settings import S3ObjectStorage

SYNC_ATTEMPTS = 5  # about 15 s of backoff at most before a sync gives up on the bucket
CHECK_ATTEMPTS = 2  # a person is waiting
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0
CHECK_FOLDER = "_airbyte_connection_test"
DEFAULT_REGION = "us-east-1"  # what AWS assumes when no region is given; S3-compatible stores ignore it

_MISSING_BUCKET = {"NoSuchBucket"}
_UNKNOWN_KEY = {"InvalidAccessKeyId", "InvalidToken", "ExpiredToken", "InvalidClientTokenId"}
_WRONG_SECRET = {"SignatureDoesNotMatch"}
_DENIED = {"AccessDenied", "AllAccessDisabled", "AccountProblem", "Forbidden"}
_WRONG_REGION = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
_BAD_NAME = {"InvalidBucketName"}


class ObjectStorageError(Exception):
    """The bucket could not be used. `transient` is True for an outage that outlasted the retries
    (the sync can simply be run again) and False for a setting that must be changed first."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class S3Store:
    """One bucket, one boto3 client, created at first use."""

    def __init__(self, settings: S3ObjectStorage, *, attempts: int = SYNC_ATTEMPTS) -> None:
        self._settings = settings
        self._attempts = attempts
        self._client: Any = None

    @property
    def bucket(self) -> str:
        return self._settings.s3_bucket_name

    def put(self, key: str, body: bytes, content_type: str, what: str = "store rejected records in") -> None:
        """PutObject (one request: parts are small, a multipart upload would only add requests). `what`
        names the action in a failure's message (`store the sync log in`)."""
        self._call(
            what,
            lambda s3: s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type),
        )

    def keys(self, prefix: str) -> list[str]:
        """ListObjectsV2 under a prefix (first 1,000 keys: enough for the connection test)."""
        answer = self._call("list", lambda s3: s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix))
        return [str(item["Key"]) for item in answer.get("Contents", [])]

    def delete(self, key: str) -> None:
        """DeleteObject."""
        self._call("delete a test object from", lambda s3: s3.delete_object(Bucket=self.bucket, Key=key))

    def check(self, bucket_path: str) -> None:
        """`check`: write a small object where the sync writes, find it in a listing, delete it."""
        folder = "/".join(part for part in (bucket_path, CHECK_FOLDER) if part)
        key = f"{folder}/{uuid.uuid4().hex}.jsonl"
        self.put(key, b'{"check": "destination-ontraport"}\n', "application/x-ndjson")
        try:
            listed = key in self.keys(folder + "/")
        except ObjectStorageError:
            with contextlib.suppress(ObjectStorageError):  # the listing's failure is the one to report
                self.delete(key)
            raise
        self.delete(key)
        if not listed:
            reason = "the test object was written but is missing from the bucket's listing"
            advice = "Check that the endpoint is an S3-compatible store and that s3:ListBucket is allowed."
            raise ObjectStorageError(self._message("list", reason, advice), transient=False)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- the boundary --------------------------------------------------------------------------
    def _s3(self) -> Any:
        if self._client is None:
            self._client = _make_client(self._settings, self._attempts, self._error)
        return self._client

    def _error(self, action: str, reason: str, advice: str, transient: bool) -> ObjectStorageError:
        return ObjectStorageError(self._message(action, reason, advice), transient=transient)

    def _call(self, action: str, call: Callable[[Any], Any]) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - lazy, see the module doc

        try:
            return call(self._s3())
        except ClientError as exc:
            raise self._explain_answer(action, exc) from None
        except BotoCoreError as exc:
            raise self._explain_failure(action, exc) from None

    def _where(self) -> str:
        endpoint = self._settings.s3_endpoint
        return f" at {endpoint}" if endpoint else ""

    def _message(self, action: str, reason: str, advice: str) -> str:
        text = (
            f"Could not {action} the rejected-records bucket {self.bucket!r}{self._where()} "
            f"(object_storage_config): {reason}. {advice}"
        )
        return filter_secrets(text)

    def _explain_answer(self, action: str, exc: Any) -> ObjectStorageError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        fix = "Fix the setting and run the sync again."
        if code in _MISSING_BUCKET:
            reason = "the bucket does not exist"
            advice = "Create it, or correct s3_bucket_name (and s3_endpoint, if you use one)."
        elif code in _UNKNOWN_KEY:
            reason = f"S3 does not know the access key ID ({code})"
            advice = (
                "Check access_key_id and secret_access_key; the key may have been deleted or deactivated."
            )
        elif code in _WRONG_SECRET:
            reason = "the secret access key does not match the access key ID (SignatureDoesNotMatch)"
            advice = "Copy the secret access key again; it is shown only once, when the key is created."
        elif code in _DENIED or status == 403:
            reason = f"access was denied ({code or 'HTTP 403'})"
            advice = (
                "The key's user (and the bucket policy) must allow s3:PutObject on the bucket path, and "
                "s3:ListBucket and s3:DeleteObject for the connection test."
            )
        elif code in _WRONG_REGION or status == 301:
            reason = f"the bucket is in another region than s3_bucket_region ({code or 'HTTP 301'})"
            advice = "Set s3_bucket_region to the bucket's region."
        elif code in _BAD_NAME:
            reason = "S3 says the bucket name is not valid"
            advice = "Correct s3_bucket_name."
        else:
            transient = (
                status is None or status >= 500 or code in {"SlowDown", "RequestTimeout", "Throttling"}
            )
            reason = f"S3 answered {code or 'an error'} (HTTP {status})" + (
                f" through {self._attempts} attempts" if transient else ""
            )
            advice = "Run the sync again later." if transient else fix
            return ObjectStorageError(self._message(action, reason, advice), transient=transient)
        return ObjectStorageError(self._message(action, reason, advice), transient=False)

    def _explain_failure(self, action: str, exc: Exception) -> ObjectStorageError:
        from botocore import exceptions as boto  # noqa: PLC0415 - lazy, see the module doc

        if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
            reason = "no access key was given and none was found in the environment"
            advice = "Set access_key_id and secret_access_key."
            return ObjectStorageError(self._message(action, reason, advice), transient=False)
        if isinstance(exc, boto.ConnectionError | boto.HTTPClientError):
            where = self._settings.s3_endpoint or "AWS"
            reason = f"could not reach {where} ({type(exc).__name__}) through {self._attempts} attempts"
            advice = "Check s3_endpoint and the network (a firewall or VPC may block it), then try again."
            return ObjectStorageError(self._message(action, reason, advice), transient=True)
        reason = f"{type(exc).__name__}"
        return ObjectStorageError(
            self._message(action, reason, "Check object_storage_config."), transient=False
        )


def _make_client(settings: S3ObjectStorage, attempts: int, explain: Explain) -> Any:
    """The S3 client: with the configured key (or the environment's credentials), or, with
    `role_arn`, with the temporary credentials of that role (s3_role.py)."""
    import boto3  # noqa: PLC0415 - lazy, see the module doc
    from botocore.config import Config  # noqa: PLC0415

    access_key = settings.access_key_id.get_secret_value() if settings.access_key_id else None
    secret_key = settings.secret_access_key.get_secret_value() if settings.secret_access_key else None
    config = Config(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        # An endpoint (MinIO, Ceph, a test server) is addressed by path, not by bucket subdomain.
        s3={"addressing_style": "path"} if settings.s3_endpoint else None,
        # Checksums only where S3 requires them: several S3-compatible stores refuse the CRC headers
        # that botocore sends by default since 1.36.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="destination-ontraport",
    )
    region = settings.s3_bucket_region or DEFAULT_REGION
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    if settings.role_arn is not None:
        session = assumed_role_session(settings, session, config, region, explain)
    return session.client("s3", region_name=region, endpoint_url=settings.s3_endpoint, config=config)
