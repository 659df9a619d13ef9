"""Helpers shared by the Firehose suites: a boto3 client that lets through
what this (Debian) botocore's model predates (IntervalInSeconds under 60,
which AWS accepts now), destination configurations, raw signed requests for
what boto3 will not send, and polling for delivered objects."""

import gzip
import http.client
import json
import time
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCESS_KEY, REGION, SECRET_KEY

ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::%s:role/firehose" % ACCOUNT


def firehose_client(server):
    # The model's client-side checks are off: Debian's botocore still says
    # IntervalInSeconds >= 60. The server checks everything itself.
    return server.client("firehose", parameter_validation=False)


def name(prefix="fh"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def destination(bucket, interval=1, size=5, **extra):
    d = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::%s" % bucket,
         "BufferingHints": {"IntervalInSeconds": interval, "SizeInMBs": size}}
    d.update(extra)
    return d


def processors(*procs):
    out = []
    for p in procs:
        if isinstance(p, str):
            p = (p, {})
        ptype, params = p
        out.append({"Type": ptype, "Parameters": [
            {"ParameterName": k, "ParameterValue": v} for k, v in params.items()]})
    return {"Enabled": True, "Processors": out}


def keys(s3, bucket, prefix=""):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def wait_keys(s3, bucket, prefix="", count=1, timeout=15.0):
    """Polls until at least `count` objects are under prefix; returns their keys."""
    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline:
        found = keys(s3, bucket, prefix)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError("expected %d objects under s3://%s/%s, found %s" % (count, bucket, prefix, found))


def body(s3, bucket, key):
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(data) if key.endswith(".gz") else data


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo):
    return excinfo.value.response["Error"]["Message"]


class RawResponse:
    def __init__(self, status, body):
        self.status = status
        self.body = body
        try:
            self.json = json.loads(body) if body else {}
        except ValueError:
            self.json = None

    @property
    def error_type(self):
        return (self.json or {}).get("__type")


def call(server, operation, payload=None, raw_body=None):
    """One SigV4-signed Firehose request; returns RawResponse."""
    data = raw_body if raw_body is not None else json.dumps(payload or {}).encode()
    host = "127.0.0.1:%d" % server.port
    req = AWSRequest(method="POST", url="http://%s/" % host, data=data, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Firehose_20150804.%s" % operation,
    })
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "firehose", REGION).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", "/", body=data, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        return RawResponse(resp.status, resp.read())
    finally:
        conn.close()
