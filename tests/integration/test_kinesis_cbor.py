"""Kinesis over application/x-amz-cbor-1.1, the AWS Java SDK's (and so the
KCL's) default: blobs travel as CBOR byte strings, timestamps as tag 1 over
epoch milliseconds. A minimal CBOR codec lives here (Debian has no cbor
module)."""

import struct
import time

import pytest

from kinesis_util import call, start_server, stream_name, wait_active

CBOR = "application/x-amz-cbor-1.1"


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for size, code, fmt in ((1, 24, ">B"), (2, 25, ">H"), (4, 26, ">I"), (8, 27, ">Q")):
        if n < 1 << (8 * size):
            return bytes([major << 5 | code]) + struct.pack(fmt, n)
    raise ValueError(n)


def encode(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(encode(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    raise TypeError(type(v))


class Tagged:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def decode(data):
    def item(i):
        ib = data[i]
        major, info = ib >> 5, ib & 31
        i += 1
        if major == 7:
            if info == 20:
                return False, i
            if info == 21:
                return True, i
            if info == 22:
                return None, i
            if info == 25:
                raise ValueError("half floats unsupported")
            if info == 26:
                return struct.unpack(">f", data[i:i + 4])[0], i + 4
            if info == 27:
                return struct.unpack(">d", data[i:i + 8])[0], i + 8
            raise ValueError(info)
        if info < 24:
            n = info
        elif info == 31:
            n = None  # indefinite length
        else:
            size = 1 << (info - 24)
            n = int.from_bytes(data[i:i + size], "big")
            i += size
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major in (2, 3):
            if n is None:
                chunks = []
                while data[i] != 0xff:
                    c, i = item(i)
                    chunks.append(c)
                return (b"" if major == 2 else "").join(chunks), i + 1
            raw = data[i:i + n]
            return (raw if major == 2 else raw.decode()), i + n
        if major == 4:
            out = []
            while (n is None and data[i] != 0xff) or (n is not None and len(out) < n):
                x, i = item(i)
                out.append(x)
            return out, (i + 1 if n is None else i)
        if major == 5:
            out = {}
            while (n is None and data[i] != 0xff) or (n is not None and len(out) < n):
                k, i = item(i)
                out[k], i = item(i)
            return out, (i + 1 if n is None else i)
        if major == 6:
            v, i = item(i)
            return Tagged(n, v), i
        raise ValueError(major)

    v, _ = item(0)
    return v


@pytest.fixture(scope="module")
def ks():
    s = start_server(0)
    yield s
    assert s.stop() == 0
    s.cleanup()


def cbor_call(ks, op, payload):
    r = call(ks, op, None, raw_body=encode(payload), content_type=CBOR)
    return r.status, decode(r.body) if r.body else {}


def test_put_and_get_over_cbor(ks):
    kinesis = ks.client("kinesis")
    name = stream_name("cbor")
    status, _ = cbor_call(ks, "CreateStream", {"StreamName": name, "ShardCount": 1})
    assert status == 200
    wait_active(kinesis, name)
    payload = bytes(range(256)) * 4
    before_ms = int(time.time() * 1000)
    status, put = cbor_call(ks, "PutRecord", {"StreamName": name, "Data": payload, "PartitionKey": "k"})
    assert status == 200, put
    assert put["ShardId"] == "shardId-000000000000"
    status, batch = cbor_call(ks, "PutRecords", {"StreamName": name, "Records": [
        {"Data": b"one", "PartitionKey": "a"}, {"Data": b"two", "PartitionKey": "b"}]})
    assert status == 200 and batch["FailedRecordCount"] == 0
    status, it = cbor_call(ks, "GetShardIterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                                    "ShardIteratorType": "TRIM_HORIZON"})
    assert status == 200
    status, got = cbor_call(ks, "GetRecords", {"ShardIterator": it["ShardIterator"]})
    assert status == 200
    records = got["Records"]
    assert [r["Data"] for r in records] == [payload, b"one", b"two"]
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]
    ts = records[0]["ApproximateArrivalTimestamp"]
    assert isinstance(ts, Tagged) and ts.tag == 1
    assert abs(ts.value - before_ms) < 60_000  # epoch milliseconds, as the Java SDK reads them
    # Errors come back in CBOR too.
    status, err = cbor_call(ks, "DescribeStream", {"StreamName": "missing-" + name})
    assert status == 400 and err["__type"] == "ResourceNotFoundException"
    kinesis.delete_stream(StreamName=name)
