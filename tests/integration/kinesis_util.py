"""Helpers shared by the Kinesis suites: a server per test module with a
chosen status delay, raw signed JSON-protocol calls (for members this
botocore's model predates: StreamARN everywhere, TagResource, ListStreams
NextToken and StreamSummaries), and a reader that follows shard lineage."""

import base64
import http.client
import json
import time
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCESS_KEY, REGION, SECRET_KEY, TARN_BIN, TarnServer

import os

TARGET = "Kinesis_20131202"
ACCOUNT = "000000000000"


def start_server(delay_ms, extra=()):
    if not os.path.exists(TARN_BIN):
        pytest.fail("tarn binary not found at %s" % TARN_BIN)
    return TarnServer(extra_args=["--kinesis-status-delay-ms", str(delay_ms)] + list(extra)).start()


def stream_name(prefix="ks"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def arn(name):
    return "arn:aws:kinesis:%s:%s:stream/%s" % (REGION, ACCOUNT, name)


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else {}
        except ValueError:
            self.json = None

    @property
    def error_type(self):
        return (self.json or {}).get("__type")


def call(server, operation, payload, raw_body=None, content_type="application/x-amz-json-1.1"):
    """One SigV4-signed Kinesis request; returns RawResponse."""
    body = raw_body if raw_body is not None else json.dumps(payload).encode()
    host = "127.0.0.1:%d" % server.port
    req = AWSRequest(method="POST", url="http://%s/" % host, data=body, headers={
        "Content-Type": content_type,
        "X-Amz-Target": "%s.%s" % (TARGET, operation),
    })
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", REGION).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", "/", body=body, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def b64(data):
    return base64.b64encode(data).decode()


def wait_active(client, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        if status == "ACTIVE":
            return
        time.sleep(0.02)
    raise AssertionError("stream %s not ACTIVE after %ss" % (name, timeout))


def all_shards(client, name):
    shards, token = [], None
    while True:
        r = client.list_shards(NextToken=token) if token else client.list_shards(StreamName=name)
        shards += r["Shards"]
        token = r.get("NextToken")
        if not token:
            return shards


def read_shard(client, name, shard_id, start="TRIM_HORIZON", limit=10000):
    """Every record of a shard from TRIM_HORIZON to its end (closed shard) or
    its tip (open shard). Returns (records, child_shards or None)."""
    it = client.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                   ShardIteratorType=start)["ShardIterator"]
    out = []
    while it:
        r = client.get_records(ShardIterator=it, Limit=limit)
        out += r["Records"]
        if r.get("NextShardIterator") is None:
            return out, r.get("ChildShards", [])
        if not r["Records"] and r["MillisBehindLatest"] == 0:
            return out, None
        it = r["NextShardIterator"]
    return out, None


def read_stream_by_lineage(client, name):
    """Reads every shard, a child only after all of its parents (as the KCL
    does). Returns the records in that order, shard by shard."""
    shards = {s["ShardId"]: s for s in all_shards(client, name)}
    parents = {sid: [p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId"))
                     if p and p in shards] for sid, s in shards.items()}
    done, order, records = set(), [], []
    while len(done) < len(shards):
        ready = sorted(sid for sid in shards if sid not in done and all(p in done for p in parents[sid]))
        assert ready, "lineage has a cycle or a missing parent: %s" % parents
        for sid in ready:
            recs, _ = read_shard(client, name, sid)
            records += [(sid, r) for r in recs]
            done.add(sid)
            order.append(sid)
    return records
