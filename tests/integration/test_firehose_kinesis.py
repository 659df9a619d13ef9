"""Firehose with a Kinesis stream as its source: records put to the stream
reach S3 (KPL aggregates unpacked), across a reshard, and a restarted
server resumes each shard after its checkpoint (nothing lost, nothing read
twice after a clean stop; nothing lost after kill -9)."""

import hashlib
import time

import pytest
from botocore.exceptions import ClientError

from conftest import TarnServer
from firehose_util import (ACCOUNT, REGION, ROLE, body, destination, error_code, firehose_client,
                           keys, name, processors)


def kinesis_arn(stream):
    return "arn:aws:kinesis:%s:%s:stream/%s" % (REGION, ACCOUNT, stream)


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number, wire, payload):
    key = varint((number << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def kpl_aggregate(partition_key, datas):
    """A KPL aggregated record: magic, AggregatedRecord protobuf, MD5."""
    pb = field(1, 2, partition_key.encode())
    for d in datas:
        rec = field(1, 0, varint(0)) + field(3, 2, d)
        pb += field(3, 2, rec)
    return b"\xf3\x89\x9a\xc2" + pb + hashlib.md5(pb).digest()


def delivered_lines(s3, bucket):
    lines = []
    for k in keys(s3, bucket):
        lines += body(s3, bucket, k).splitlines()
    return lines


def wait_lines(s3, bucket, want, timeout=20.0):
    """Polls until every line of `want` was delivered; returns all lines."""
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        got = delivered_lines(s3, bucket)
        if set(want) <= set(got):
            return got
        time.sleep(0.1)
    missing = sorted(set(want) - set(got))
    raise AssertionError("%d records not delivered, e.g. %s" % (len(missing), missing[:5]))


def put_lines(kinesis, stream, lines):
    for i in range(0, len(lines), 100):
        chunk = lines[i:i + 100]
        out = kinesis.put_records(StreamName=stream, Records=[
            {"Data": line, "PartitionKey": "k%d" % j} for j, line in enumerate(chunk)])
        assert out["FailedRecordCount"] == 0


@pytest.fixture
def srv(fresh_server):
    fresh_server.extra_args = ["--kinesis-status-delay-ms", "0"]
    fresh_server.start()
    return fresh_server


def setup_pipeline(srv):
    kinesis = srv.client("kinesis")
    s3 = srv.client("s3")
    fh = firehose_client(srv)
    stream = name("src")
    bucket = name("lake")
    s3.create_bucket(Bucket=bucket)
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    hose = name("hose")
    fh.create_delivery_stream(
        DeliveryStreamName=hose, DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": kinesis_arn(stream), "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=destination(
            bucket, 1, ProcessingConfiguration=processors("AppendDelimiterToRecord")))
    return kinesis, s3, fh, stream, bucket, hose


def test_kinesis_source_delivers_across_a_reshard_and_resumes_after_restart(srv):
    kinesis, s3, fh, stream, bucket, hose = setup_pipeline(srv)
    d = fh.describe_delivery_stream(DeliveryStreamName=hose)["DeliveryStreamDescription"]
    assert d["DeliveryStreamType"] == "KinesisStreamAsSource"
    src = d["Source"]["KinesisStreamSourceDescription"]
    assert src["KinesisStreamARN"] == kinesis_arn(stream)
    assert "DeliveryStartTimestamp" in src
    with pytest.raises(ClientError) as e:
        fh.put_record(DeliveryStreamName=hose, Record={"Data": b"x"})
    assert error_code(e) == "InvalidArgumentException"

    first = [b"r%03d" % i for i in range(50)]
    put_lines(kinesis, stream, first)
    wait_lines(s3, bucket, first)

    # A reshard: the parent's remaining records come before its children's.
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    parent = shards[0]
    start = int(parent["HashKeyRange"]["StartingHashKey"])
    end = int(parent["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"],
                        NewStartingHashKey=str((start + end) // 2))
    second = [b"s%03d" % i for i in range(50)]
    put_lines(kinesis, stream, second)
    wait_lines(s3, bucket, first + second)

    # KPL aggregates are unpacked into their user records.
    kinesis.put_record(StreamName=stream, PartitionKey="agg",
                       Data=kpl_aggregate("agg", [b"kpl-a", b"kpl-b", b"kpl-c"]))
    wait_lines(s3, bucket, [b"kpl-a", b"kpl-b", b"kpl-c"])

    assert srv.stop() == 0
    srv.start()
    kinesis, s3 = srv.client("kinesis"), srv.client("s3")
    third = [b"t%03d" % i for i in range(50)]
    put_lines(kinesis, stream, third)
    want = first + second + third + [b"kpl-a", b"kpl-b", b"kpl-c"]
    wait_lines(s3, bucket, want)
    time.sleep(1.5)  # a second look: nothing read twice after a clean restart
    got = delivered_lines(s3, bucket)
    assert sorted(got) == sorted(want)


def test_kinesis_source_loses_nothing_across_kill9(srv):
    kinesis, s3, fh, stream, bucket, hose = setup_pipeline(srv)
    first = [b"a%04d" % i for i in range(300)]
    put_lines(kinesis, stream, first)
    time.sleep(0.3)  # some read and delivered, some maybe not
    srv.kill9()
    srv.start()
    kinesis, s3 = srv.client("kinesis"), srv.client("s3")
    second = [b"b%04d" % i for i in range(100)]
    put_lines(kinesis, stream, second)
    got = wait_lines(s3, bucket, first + second)
    assert set(got) == set(first + second)  # duplicates allowed, strangers not
