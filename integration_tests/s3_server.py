"""A real S3-compatible server for the tests: moto's, in its own process on 127.0.0.1, with IAM on.

`python -m integration_tests.s3_server` prints `LISTENING <port>` and serves until its stdin closes
(so it dies with the test session) or it is terminated. IAM authentication is enforced after the
first few requests (`INITIAL_NO_AUTH_ACTION_COUNT`), which `running_s3` spends on creating an admin
user; from then on an unknown access key or a wrong secret is refused as AWS refuses it, and a
policy can deny a user part way through a sync. The connector talks to it over HTTP with boto3,
exactly as to AWS: nothing is mocked in the connector's process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integration_tests.harness import note_issued_secret

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
BOOTSTRAP_ACTIONS = 4  # create_user, create_policy, attach_user_policy, create_access_key
REGION = "us-east-1"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_PUT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}],
}

ISSUED_SECRETS: list[str] = []
"""Every access key id and secret handed to a connector run in this session (for the leak test)."""


@dataclass
class Credentials:
    user: str
    access_key_id: str
    secret_access_key: str


class S3Handle:
    """The running server, seen through an admin identity that may do anything."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, admin: Credentials) -> None:
        self.process = process
        self.endpoint = f"http://127.0.0.1:{port}"
        self.admin = admin

    def client(self, service: str = "s3", credentials: Credentials | None = None) -> Any:
        import boto3

        who = credentials or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=who.access_key_id,
            aws_secret_access_key=who.secret_access_key,
        )

    def new_bucket(self) -> str:
        name = f"rejects-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def new_user(self) -> Credentials:
        """A user allowed everything, with its own key: what a test's connector runs with."""
        user = f"connector-{uuid.uuid4().hex[:8]}"
        credentials = _create_user(self.client("iam"), user)
        ISSUED_SECRETS.extend([credentials.access_key_id, credentials.secret_access_key])
        note_issued_secret(credentials.access_key_id)
        note_issued_secret(credentials.secret_access_key)
        return credentials

    def deny_puts(self, user: str) -> None:
        """From now on S3 answers AccessDenied to this user's PutObject."""
        self.client("iam").put_user_policy(
            UserName=user, PolicyName="deny-put", PolicyDocument=json.dumps(DENY_PUT)
        )

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in answer.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        body: bytes = self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def stop(self) -> None:
        _stop(self.process)


def _create_user(iam: Any, user: str) -> Credentials:
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="allow-all", PolicyDocument=json.dumps(ALLOW_ALL))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return Credentials(user, key["AccessKeyId"], key["SecretAccessKey"])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def _read_port(process: subprocess.Popen[bytes]) -> int:
    """The first line, `LISTENING <port>`, waited for at most START_TIMEOUT seconds."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline().decode("utf-8", "replace").strip() if ready else ""
    word, _, port = line.partition(" ")
    if word != "LISTENING" or not port.isdigit():
        raise RuntimeError(f"the S3 test server did not start: {line!r} (exit code {process.poll()})")
    return int(port)


@contextlib.contextmanager
def running_s3() -> Iterator[S3Handle]:
    """Starts the server, creates the admin user in the unauthenticated grace, yields, stops it."""
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(BOOTSTRAP_ACTIONS), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "integration_tests.s3_server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    try:
        port = _read_port(process)
        bootstrap = S3Handle(process, port, Credentials("bootstrap", "bootstrap", "bootstrap"))
        iam = bootstrap.client("iam")
        iam.create_user(UserName="admin")
        policy = iam.create_policy(PolicyName="admin-all", PolicyDocument=json.dumps(ALLOW_ALL))
        iam.attach_user_policy(UserName="admin", PolicyArn=policy["Policy"]["Arn"])
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        admin = Credentials("admin", key["AccessKeyId"], key["SecretAccessKey"])
        yield S3Handle(process, port, admin)
    finally:
        _stop(process)


def _serve() -> None:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    _host, port = server.get_host_and_port()
    print(f"LISTENING {port}", flush=True)
    sys.stdin.read()  # until the test session closes our stdin (or ends)
    server.stop()


if __name__ == "__main__":
    _serve()
