"""A real S3 endpoint on loopback for the tests: moto's server in its own process, with IAM checking on.

moto checks credentials once INITIAL_NO_AUTH_ACTION_COUNT actions have passed: the three set-up calls make a
user whose key may use every bucket, so a wrong secret is refused as it would be by AWS.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
from harness import wait_for

REGION = "us-east-1"
SETUP_ACTIONS = 3  # create_user, put_user_policy, create_access_key: unchecked, then every call is
BUCKETS = ("batchsvc-in", "batchsvc-out", "batchsvc-data")
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


class MotoServer:
    """moto_server on a free loopback port; `env` holds what a batchsvc process needs to reach it."""

    def __init__(self, port: int, log: Path):
        self.port, self.log = port, open(log, "ab")
        self.url = f"http://127.0.0.1:{port}"
        self.env: dict[str, str] = {}

    def start(self) -> None:
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(self.port)]
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_ACTIONS)}
        self.proc = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: _listens(self.port), 30, 0.05, f"moto_server on 127.0.0.1:{self.port}")
        key = self._make_user()
        self.env = {"BATCHSVC_S3_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "AWS_REGION": REGION}
        for bucket in BUCKETS:
            self.client().create_bucket(Bucket=bucket)

    def _make_user(self) -> dict:
        iam = boto3.client("iam", endpoint_url=self.url, region_name=REGION, aws_access_key_id="setup",
                           aws_secret_access_key="setup")
        iam.create_user(UserName="batchsvc")
        iam.put_user_policy(UserName="batchsvc", PolicyName="all-buckets", PolicyDocument=json.dumps(POLICY))
        return iam.create_access_key(UserName="batchsvc")["AccessKey"]

    def client(self, secret: str | None = None):
        """A boto3 S3 client with the server's key (or a wrong secret)."""
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=secret or self.env["AWS_SECRET_ACCESS_KEY"])

    def put(self, url: str, body: bytes) -> str:
        """Store body at s3://bucket/key; returns the URL."""
        bucket, key = url.removeprefix("s3://").split("/", 1)
        self.client().put_object(Bucket=bucket, Key=key, Body=body)
        return url

    def get(self, url: str) -> bytes:
        bucket, key = url.removeprefix("s3://").split("/", 1)
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, url: str) -> list[str]:
        """The keys under an s3://bucket/prefix, sorted."""
        bucket, prefix = url.removeprefix("s3://").split("/", 1)
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def files(self, url: str) -> list[str]:
        """The keys under a prefix that are files, not the empty folder markers pyarrow leaves ('daily/')."""
        return [k for k in self.keys(url) if not k.endswith("/")]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def _listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False
