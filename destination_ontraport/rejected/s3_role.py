"""`role_arn`: write rejected records with the temporary credentials of an assumed AWS role.

As Airbyte's Kotlin CDK does for its S3 destinations (`S3AssumeRoleCredentialConfig`): the role is
assumed through STS with the session name `airbyte-sts-session` and, when the platform provides one
(Airbyte Cloud sets `AWS_ASSUME_ROLE_EXTERNAL_ID` to the workspace id), that external id. The
credentials that assume it are the configured access key, else the environment's (Airbyte Cloud
injects them as `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`; elsewhere an instance or pod role).
STS is called at `s3_endpoint` when one is set (S3-compatible stores and moto serve STS there).

The temporary credentials expire (an hour by default) and a sync can last longer, so they are
botocore's refreshable credentials: botocore asks for new ones before they run out. Every failure is
an `ObjectStorageError` naming the role and what to fix; no credential appears in any message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from destination_ontraport.rejected.settings import S3ObjectStorage

SESSION_NAME = "airbyte-sts-session"
EXTERNAL_ID_ENV = "AWS_ASSUME_ROLE_EXTERNAL_ID"

Explain = Callable[[str, str, str, bool], Exception]
"""(action, reason, advice, transient) -> the error to raise (S3Store's message format)."""


def assumed_role_session(
    settings: S3ObjectStorage, base: Any, config: Any, region: str, explain: Explain
) -> Any:
    """A boto3 session whose credentials are the role's, refreshed before they expire. `base` is the
    session holding the credentials that assume the role; the first AssumeRole is sent now, so a
    role that cannot be assumed fails here, with its reason."""
    import boto3  # noqa: PLC0415 - lazy, as in s3_store
    import botocore.session  # noqa: PLC0415
    from botocore.credentials import CredentialProvider, RefreshableCredentials  # noqa: PLC0415

    role_arn = settings.role_arn or ""
    sts = base.client("sts", region_name=region, endpoint_url=settings.s3_endpoint, config=config)
    fetch = _fetcher(sts, role_arn, os.environ.get(EXTERNAL_ID_ENV) or None, explain)
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="assume-role"
    )

    class AssumedRole(CredentialProvider):  # type: ignore[misc]  # botocore is untyped
        METHOD = "assume-role"
        CANONICAL_NAME = "destination-ontraport-assume-role"

        def load(self) -> Any:
            return credentials

    session = botocore.session.Session()
    session.get_component("credential_provider").insert_before("env", AssumedRole())
    return boto3.session.Session(botocore_session=session)


def _fetcher(
    sts: Any, role_arn: str, external_id: str | None, explain: Explain
) -> Callable[[], dict[str, str]]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # noqa: PLC0415

    def fetch() -> dict[str, str]:
        extra = {"ExternalId": external_id} if external_id else {}
        try:
            answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME, **extra)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "")) or "an error"
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            transient = status is None or status >= 500 or code in {"Throttling", "RequestTimeout"}
            raise explain("assume the role for", *_advice(role_arn, code), transient) from None
        except NoCredentialsError:
            reason = (
                f"no access key was given to assume role_arn {role_arn} with, "
                "and none was found in the environment"
            )
            raise explain(
                "assume the role for", reason, "Set access_key_id and secret_access_key.", False
            ) from None
        except BotoCoreError as exc:
            reason = f"STS could not be reached to assume role_arn {role_arn} ({type(exc).__name__})"
            advice = "Check s3_endpoint (STS is called there when it is set) and the network, then try again."
            raise explain("assume the role for", reason, advice, True) from None
        given = answer["Credentials"]
        return {
            "access_key": given["AccessKeyId"],
            "secret_key": given["SecretAccessKey"],
            "token": given["SessionToken"],
            "expiry_time": given["Expiration"].isoformat(),
        }

    return fetch


def _advice(role_arn: str, code: str) -> tuple[str, str]:
    """(reason, advice) for an STS refusal, by its error code."""
    if code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}:
        return (
            f"STS refused the credentials that assume role_arn {role_arn} ({code})",
            "Check access_key_id and secret_access_key (or the environment's credentials).",
        )
    if code == "AccessDenied":
        return (
            f"the credentials may not assume role_arn {role_arn} (AccessDenied)",
            "Allow sts:AssumeRole on the role for them, and trust them (and the external id, if any) in the "
            "role's trust policy.",
        )
    if code in {"ValidationError", "MalformedPolicyDocument"}:
        return (
            f"STS says role_arn {role_arn} is not valid ({code})",
            "Correct role_arn (arn:aws:iam::<account>:role/<name>).",
        )
    return (f"STS answered {code} when assuming role_arn {role_arn}", "Check role_arn and try again.")


__all__ = ["EXTERNAL_ID_ENV", "SESSION_NAME", "assumed_role_session"]
