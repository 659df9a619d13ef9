"""Kinesis Data Streams through boto3 (and raw signed JSON where this
botocore's model predates a member): every operation, its paging and its
errors. One server for the module, with no CREATING/UPDATING delay."""

import base64
import datetime
import hashlib
import time

import pytest
from botocore.exceptions import ClientError

from kinesis_util import (ACCOUNT, REGION, all_shards, arn, b64, call, read_shard, start_server,
                          stream_name, wait_active)

MAX_HASH = 2 ** 128 - 1


@pytest.fixture(scope="module")
def ks():
    s = start_server(0)
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def kinesis(ks):
    return ks.client("kinesis")


@pytest.fixture
def stream(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    yield name
    try:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    except ClientError:
        pass


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def hash_of(key):
    return int(hashlib.md5(key.encode()).hexdigest(), 16)


# --- streams --------------------------------------------------------------------

def test_create_describe_summary_and_list(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=3)
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamName"] == name
    assert d["StreamARN"] == arn(name)
    assert d["StreamStatus"] == "ACTIVE"
    assert d["RetentionPeriodHours"] == 24
    assert d["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert d["EncryptionType"] == "NONE"
    assert d["HasMoreShards"] is False
    assert isinstance(d["StreamCreationTimestamp"], datetime.datetime)
    ids = [s["ShardId"] for s in d["Shards"]]
    assert ids == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
    # Even hash ranges, contiguous, covering [0, 2^128 - 1].
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in d["Shards"]]
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(2))
    assert ranges[1][0] == (2 ** 128) // 3
    for s in d["Shards"]:
        seq = s["SequenceNumberRange"]["StartingSequenceNumber"]
        assert len(seq) == 56 and seq.isdigit()
        assert "EndingSequenceNumber" not in s["SequenceNumberRange"]

    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3
    assert summary["ConsumerCount"] == 0
    assert summary["StreamARN"] == arn(name)

    assert name in kinesis.list_streams(Limit=10000)["StreamNames"]
    kinesis.delete_stream(StreamName=name)


def test_describe_stream_pages_shards(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=5)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert first["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, Limit=10,
                                   ExclusiveStartShardId="shardId-000000000001")["StreamDescription"]
    assert len(rest["Shards"]) == 3 and rest["HasMoreShards"] is False
    # botocore's paginator walks the same pages.
    pages = list(kinesis.get_paginator("describe_stream").paginate(
        StreamName=name, PaginationConfig={"PageSize": 2}))
    assert sum(len(p["StreamDescription"]["Shards"]) for p in pages) == 5
    kinesis.delete_stream(StreamName=name)


def test_list_streams_pages(ks, kinesis):
    prefix = stream_name("lp")
    names = ["%s-%d" % (prefix, i) for i in range(5)]
    for n in names:
        kinesis.create_stream(StreamName=n, ShardCount=1)
    page = kinesis.list_streams(Limit=2, ExclusiveStartStreamName=prefix)
    assert page["StreamNames"] == names[:2]
    assert page["HasMoreStreams"] is True
    # The newer API: NextToken and StreamSummaries.
    r = call(ks, "ListStreams", {"Limit": 2, "ExclusiveStartStreamName": prefix})
    assert r.status == 200
    assert [s["StreamName"] for s in r.json["StreamSummaries"]] == names[:2]
    assert r.json["StreamSummaries"][0]["StreamARN"] == arn(names[0])
    assert r.json["StreamSummaries"][0]["StreamStatus"] == "ACTIVE"
    assert r.json["StreamSummaries"][0]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    r2 = call(ks, "ListStreams", {"Limit": 2, "NextToken": r.json["NextToken"]})
    assert r2.json["StreamNames"] == names[2:4]
    for n in names:
        kinesis.delete_stream(StreamName=n)


def test_create_twice_and_missing_streams(kinesis, stream):
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName=stream, ShardCount=1)
    assert error_code(e) == "ResourceInUseException"
    assert stream in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream(StreamName="no-such-stream")
    assert error_code(e) == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == \
        "Stream no-such-stream under account %s not found." % ACCOUNT
    with pytest.raises(ClientError) as e:
        kinesis.delete_stream(StreamName="no-such-stream")
    assert error_code(e) == "ResourceNotFoundException"


def test_on_demand_stream_and_update_stream_mode(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                            NewStartingHashKey="1000")
    assert error_code(e) == "ValidationException"
    kinesis.update_stream_mode(StreamARN=arn(name),
                               StreamModeDetails={"StreamMode": "PROVISIONED"})
    wait_active(kinesis, name)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    kinesis.delete_stream(StreamName=name)


def test_delete_stream_and_waiter(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name)
    assert name not in kinesis.list_streams(Limit=10000)["StreamNames"]
    # The name can be used again; the new stream starts empty.
    kinesis.create_stream(StreamName=name, ShardCount=1)
    records, _ = read_shard(kinesis, name, "shardId-000000000000")
    assert records == []
    kinesis.delete_stream(StreamName=name)


def test_describe_limits(kinesis, stream):
    limits = kinesis.describe_limits()
    assert limits["ShardLimit"] >= limits["OpenShardCount"] >= 2
    assert limits["OnDemandStreamCountLimit"] >= 0
    assert "OnDemandStreamCount" in limits


def test_shard_limit(kinesis):
    limit = kinesis.describe_limits()["ShardLimit"]
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName=stream_name(), ShardCount=limit + 1)
    assert error_code(e) == "LimitExceededException"


# --- records ----------------------------------------------------------------------

def test_put_record_and_get_records(kinesis, stream):
    r = kinesis.put_record(StreamName=stream, Data=b"hello", PartitionKey="a")
    assert r["ShardId"].startswith("shardId-")
    assert len(r["SequenceNumber"]) == 56
    assert r["EncryptionType"] == "NONE"
    # SequenceNumberForOrdering is accepted.
    r2 = kinesis.put_record(StreamName=stream, Data=b"world", PartitionKey="a",
                            SequenceNumberForOrdering=r["SequenceNumber"])
    assert r2["ShardId"] == r["ShardId"]
    assert int(r2["SequenceNumber"]) > int(r["SequenceNumber"])
    records, _ = read_shard(kinesis, stream, r["ShardId"])
    assert [x["Data"] for x in records] == [b"hello", b"world"]
    assert [x["SequenceNumber"] for x in records] == [r["SequenceNumber"], r2["SequenceNumber"]]
    assert records[0]["PartitionKey"] == "a"
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - records[0]["ApproximateArrivalTimestamp"]).total_seconds()) < 60


def test_put_records_routes_by_md5_hash_range(kinesis, stream):
    shards = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]
    keys = ["key-%d" % i for i in range(100)]
    r = kinesis.put_records(StreamName=stream, Records=[
        {"Data": k.encode(), "PartitionKey": k} for k in keys])
    assert r["FailedRecordCount"] == 0
    assert len(r["Records"]) == 100
    for k, rec in zip(keys, r["Records"]):
        shard = next(s for s in shards if s["ShardId"] == rec["ShardId"])
        assert int(shard["HashKeyRange"]["StartingHashKey"]) <= hash_of(k) <= \
            int(shard["HashKeyRange"]["EndingHashKey"])
    got = {}
    for s in shards:
        recs, _ = read_shard(kinesis, stream, s["ShardId"])
        for x in recs:
            got[x["PartitionKey"]] = (s["ShardId"], x["SequenceNumber"], x["Data"])
    for k, rec in zip(keys, r["Records"]):
        assert got[k] == (rec["ShardId"], rec["SequenceNumber"], k.encode())


def test_explicit_hash_key(kinesis, stream):
    r = kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="a",
                           ExplicitHashKey=str(MAX_HASH))
    assert r["ShardId"] == "shardId-000000000001"
    r = kinesis.put_records(StreamName=stream, Records=[
        {"Data": b"x", "PartitionKey": "a", "ExplicitHashKey": "0"}])
    assert r["Records"][0]["ShardId"] == "shardId-000000000000"
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="a",
                           ExplicitHashKey=str(MAX_HASH + 1))
    assert error_code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="a", ExplicitHashKey="-1")
    assert error_code(e) == "ValidationException"


def test_sequence_numbers_increase_per_shard(kinesis, stream):
    seqs = {}
    for batch in range(3):
        r = kinesis.put_records(StreamName=stream, Records=[
            {"Data": b"%d" % i, "PartitionKey": "k%d" % (i % 7)} for i in range(50)])
        for rec in r["Records"]:
            seqs.setdefault(rec["ShardId"], []).append(int(rec["SequenceNumber"]))
    for shard, values in seqs.items():
        assert values == sorted(values) and len(set(values)) == len(values)


def test_iterator_types(kinesis, stream):
    shard = "shardId-000000000000"
    puts = [kinesis.put_record(StreamName=stream, Data=b"r%d" % i, PartitionKey="p",
                               ExplicitHashKey="0") for i in range(6)]
    seqs = [p["SequenceNumber"] for p in puts]

    def data(start, **kw):
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType=start,
                                        **kw)["ShardIterator"]
        return [x["Data"] for x in kinesis.get_records(ShardIterator=it)["Records"]]

    assert data("TRIM_HORIZON") == [b"r%d" % i for i in range(6)]
    assert data("AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2]) == [b"r2", b"r3", b"r4", b"r5"]
    assert data("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[2]) == [b"r3", b"r4", b"r5"]
    assert data("LATEST") == []
    # AT_TIMESTAMP: a time before everything, and one after.
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    assert data("AT_TIMESTAMP", Timestamp=past) == [b"r%d" % i for i in range(6)]
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    assert data("AT_TIMESTAMP", Timestamp=future) == []

    # LATEST then a put: the iterator sees it.
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                    ShardIteratorType="LATEST")["ShardIterator"]
    kinesis.put_record(StreamName=stream, Data=b"new", PartitionKey="p", ExplicitHashKey="0")
    assert [x["Data"] for x in kinesis.get_records(ShardIterator=it)["Records"]] == [b"new"]

    with pytest.raises(ClientError) as e:
        kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                   ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert error_code(e) == "InvalidArgumentException"
    # A sequence number of the other shard.
    other = kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="p",
                               ExplicitHashKey=str(MAX_HASH))["SequenceNumber"]
    with pytest.raises(ClientError) as e:
        kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                   ShardIteratorType="AT_SEQUENCE_NUMBER",
                                   StartingSequenceNumber=other)
    assert error_code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000099",
                                   ShardIteratorType="LATEST")
    assert error_code(e) == "ResourceNotFoundException"


def test_get_records_limit_next_iterator_and_millis_behind(kinesis, stream):
    kinesis.put_records(StreamName=stream, Records=[
        {"Data": b"%03d" % i, "PartitionKey": "p", "ExplicitHashKey": "0"} for i in range(25)])
    time.sleep(0.05)
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    seen = []
    r = kinesis.get_records(ShardIterator=it, Limit=10)
    assert len(r["Records"]) == 10
    assert r["MillisBehindLatest"] > 0
    seen += r["Records"]
    while True:
        r = kinesis.get_records(ShardIterator=r["NextShardIterator"], Limit=10)
        seen += r["Records"]
        if not r["Records"]:
            break
    assert [x["Data"] for x in seen] == [b"%03d" % i for i in range(25)]
    assert r["MillisBehindLatest"] == 0
    assert r["NextShardIterator"]  # an open shard never ends
    with pytest.raises(ClientError) as e:
        kinesis.get_records(ShardIterator=it, Limit=10001)
    assert error_code(e) == "ValidationException"


def test_bad_iterators(kinesis, stream):
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    raw = bytearray(base64.b64decode(it))
    raw[10] ^= 1
    for bad in [base64.b64encode(bytes(raw)).decode(), "not-an-iterator", "A" * 68]:
        with pytest.raises(ClientError) as e:
            kinesis.get_records(ShardIterator=bad)
        assert error_code(e) == "InvalidArgumentException"
        assert e.value.response["Error"]["Message"] == "Invalid ShardIterator."


def test_iterator_of_a_deleted_stream(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name)
    with pytest.raises(ClientError) as e:
        kinesis.get_records(ShardIterator=it)
    assert error_code(e) == "ResourceNotFoundException"


def test_record_limits(kinesis, stream):
    # 1 MiB of data is the most one record may carry.
    r = kinesis.put_record(StreamName=stream, Data=b"x" * (1024 * 1024 - 1), PartitionKey="a")
    assert r["SequenceNumber"]
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=stream, Data=b"x" * (1024 * 1024 + 1), PartitionKey="a")
    assert error_code(e) == "ValidationException"
    assert "data" in e.value.response["Error"]["Message"]
    # Data + partition key over 1 MiB.
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=stream, Data=b"x" * (1024 * 1024), PartitionKey="ab")
    assert error_code(e) == "InvalidArgumentException"
    # 501 records.
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName=stream,
                            Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert error_code(e) == "ValidationException"
    assert "'records'" in e.value.response["Error"]["Message"]
    # More than 5 MiB in one request (6 records of 900 KiB).
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName=stream, Records=[
            {"Data": b"y" * (900 * 1024), "PartitionKey": "k%d" % i} for i in range(6)])
    assert error_code(e) == "InvalidArgumentException"
    # A partition key of 257 characters; an empty one.
    with pytest.raises(ClientError) as e:
        kinesis.put_records(StreamName=stream, Records=[{"Data": b"x", "PartitionKey": "k" * 257}])
    assert error_code(e) == "ValidationException"
    assert "records.1.member.partitionKey" in e.value.response["Error"]["Message"]
    # 256 characters is fine, in any script: 1,024 bytes of UTF-8 here.
    kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="k" * 256)
    emoji = "\U0001F600" * 256
    r = kinesis.put_records(StreamName=stream, Records=[{"Data": b"wide", "PartitionKey": emoji}])
    assert r["FailedRecordCount"] == 0
    shard = r["Records"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=r["Records"][0]["SequenceNumber"])
    got = kinesis.get_records(ShardIterator=it["ShardIterator"], Limit=1)["Records"][0]
    assert got["PartitionKey"] == emoji and got["Data"] == b"wide"
    # The hash key is the MD5 of the key's UTF-8 bytes.
    ranges = {s["ShardId"]: s["HashKeyRange"] for s in all_shards(kinesis, stream)}
    h = int(hashlib.md5(emoji.encode()).hexdigest(), 16)
    assert int(ranges[shard]["StartingHashKey"]) <= h <= int(ranges[shard]["EndingHashKey"])


def test_validation_errors_name_the_member(ks, stream):
    r = call(ks, "CreateStream", {"StreamName": "bad name!", "ShardCount": 1})
    assert r.status == 400 and r.error_type == "ValidationException"
    assert "at 'streamName'" in r.json["message"]
    assert "[a-zA-Z0-9_.-]+" in r.json["message"]
    r = call(ks, "CreateStream", {"StreamName": "x" * 129, "ShardCount": 0})
    assert r.error_type == "ValidationException"
    assert r.json["message"].startswith("2 validation errors detected")
    r = call(ks, "PutRecord", {"StreamName": stream, "PartitionKey": "a"})
    assert r.error_type == "ValidationException"
    assert "Value null at 'data'" in r.json["message"]
    r = call(ks, "GetShardIterator", {"StreamName": stream, "ShardId": "shardId-000000000000",
                                      "ShardIteratorType": "SOMEWHERE"})
    assert r.error_type == "ValidationException"
    assert "enum value set" in r.json["message"]
    # Wrong JSON types are SerializationException; the server keeps serving.
    r = call(ks, "PutRecord", {"StreamName": stream, "PartitionKey": 5, "Data": "eA=="})
    assert r.error_type == "SerializationException"
    r = call(ks, "PutRecords", {"StreamName": stream, "Records": "nope"})
    assert r.error_type == "SerializationException"
    r = call(ks, "PutRecord", {"StreamName": stream, "PartitionKey": "a", "Data": "not base64!"})
    assert r.status == 400 and r.error_type == "SerializationException"
    r = call(ks, "DescribeStream", None, raw_body=b"{not json")
    assert r.status == 400 and r.error_type == "SerializationException"
    # Over-long members are reported, not pattern-matched at length.
    r = call(ks, "DescribeStreamSummary", {"StreamARN": "arn:aws:kinesis:" + "x" * 1000000})
    assert r.error_type == "ValidationException"
    assert "length less than or equal to 2048" in r.json["message"]
    r = call(ks, "DescribeStreamConsumer", {"ConsumerARN": "arn:aws:kinesis:us-east-1:000000000000:"
                                            "stream/s/consumer/c:" + "1" * 5000})
    assert r.error_type == "ValidationException"
    r = call(ks, "NoSuchOperation", {})
    assert r.status == 400 and r.error_type == "UnknownOperationException"
    assert call(ks, "DescribeStreamSummary", {"StreamName": stream}).status == 200


def test_stream_arn_accepted_wherever_stream_name_is(ks, kinesis, stream):
    a = arn(stream)
    r = call(ks, "DescribeStreamSummary", {"StreamARN": a})
    assert r.status == 200, r.body
    assert r.json["StreamDescriptionSummary"]["StreamName"] == stream
    r = call(ks, "PutRecord", {"StreamARN": a, "PartitionKey": "a", "Data": b64(b"via-arn"),
                               "ExplicitHashKey": "0"})
    assert r.status == 200, r.body
    r = call(ks, "PutRecords", {"StreamARN": a, "Records": [
        {"PartitionKey": "a", "Data": b64(b"batch-arn"), "ExplicitHashKey": "0"}]})
    assert r.status == 200 and r.json["FailedRecordCount"] == 0
    r = call(ks, "GetShardIterator", {"StreamARN": a, "ShardId": "shardId-000000000000",
                                      "ShardIteratorType": "TRIM_HORIZON"})
    assert r.status == 200
    g = call(ks, "GetRecords", {"ShardIterator": r.json["ShardIterator"], "StreamARN": a})
    assert [base64.b64decode(x["Data"]) for x in g.json["Records"]] == [b"via-arn", b"batch-arn"]
    for op, extra in [("DescribeStream", {}), ("ListShards", {}), ("ListTagsForStream", {}),
                      ("AddTagsToStream", {"Tags": {"k": "v"}}),
                      ("IncreaseStreamRetentionPeriod", {"RetentionPeriodHours": 25})]:
        r = call(ks, op, dict(extra, StreamARN=a))
        assert r.status == 200, (op, r.body)
    # A name and an ARN that disagree; an ARN of another account.
    r = call(ks, "DescribeStreamSummary", {"StreamARN": a, "StreamName": "other"})
    assert r.error_type == "InvalidArgumentException"
    r = call(ks, "DescribeStreamSummary",
             {"StreamARN": "arn:aws:kinesis:%s:123456789012:stream/%s" % (REGION, stream)})
    assert r.error_type == "ResourceNotFoundException"
    r = call(ks, "DescribeStreamSummary", {"StreamARN": "arn:aws:s3:::bucket"})
    assert r.error_type == "ValidationException"


# --- shards -------------------------------------------------------------------------

def test_list_shards_paging_and_filters(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=3)
    page = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert [s["ShardId"] for s in page["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    rest = kinesis.list_shards(NextToken=page["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002"]
    assert "NextToken" not in rest
    with pytest.raises(ClientError) as e:
        kinesis.list_shards(StreamName=name, NextToken=page["NextToken"])
    assert error_code(e) == "InvalidArgumentException"
    after = kinesis.list_shards(StreamName=name, ExclusiveStartShardId="shardId-000000000000")
    assert len(after["Shards"]) == 2

    time.sleep(0.01)
    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000000",
                         AdjacentShardToMerge="shardId-000000000001")
    wait_active(kinesis, name)

    def ids(**flt):
        return [s["ShardId"] for s in kinesis.list_shards(StreamName=name, ShardFilter=flt)["Shards"]]

    assert ids(Type="AT_LATEST") == ["shardId-000000000002", "shardId-000000000003"]
    assert ids(Type="AT_TRIM_HORIZON") == ["shardId-000000000000", "shardId-000000000001",
                                           "shardId-000000000002"]
    assert len(ids(Type="FROM_TRIM_HORIZON")) == 4
    assert ids(Type="AFTER_SHARD_ID", ShardId="shardId-000000000001") == \
        ["shardId-000000000002", "shardId-000000000003"]
    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    assert len(ids(Type="AT_TIMESTAMP", Timestamp=long_ago)) == 3
    assert len(ids(Type="FROM_TIMESTAMP", Timestamp=long_ago)) == 4
    with pytest.raises(ClientError) as e:
        kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID"})
    assert error_code(e) == "InvalidArgumentException"
    kinesis.delete_stream(StreamName=name)


def test_split_and_merge_lineage(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=b"p%d" % i, PartitionKey="k%d" % i)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2 ** 127))
    wait_active(kinesis, name)
    shards = {s["ShardId"]: s for s in all_shards(kinesis, name)}
    parent = shards["shardId-000000000000"]
    assert int(parent["SequenceNumberRange"]["EndingSequenceNumber"]) >= \
        int(parent["SequenceNumberRange"]["StartingSequenceNumber"])
    for child in ("shardId-000000000001", "shardId-000000000002"):
        assert shards[child]["ParentShardId"] == "shardId-000000000000"
        assert "AdjacentParentShardId" not in shards[child]
    assert int(shards["shardId-000000000002"]["HashKeyRange"]["StartingHashKey"]) == 2 ** 127

    # The closed parent reads to its end, then returns ChildShards and no
    # NextShardIterator.
    records, children = read_shard(kinesis, name, "shardId-000000000000")
    assert [r["Data"] for r in records] == [b"p0", b"p1", b"p2"]
    assert sorted(c["ShardId"] for c in children) == ["shardId-000000000001", "shardId-000000000002"]
    assert children[0]["ParentShards"] == ["shardId-000000000000"]
    assert records[-1]["SequenceNumber"] == parent["SequenceNumberRange"]["EndingSequenceNumber"]
    # AFTER the ending sequence number of a closed shard: straight to the end.
    it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=records[-1]["SequenceNumber"])["ShardIterator"]
    r = kinesis.get_records(ShardIterator=it)
    assert r["Records"] == [] and r.get("NextShardIterator") is None and len(r["ChildShards"]) == 2

    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                            NewStartingHashKey="1000")
    assert error_code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000001",
                            NewStartingHashKey="1")
    assert error_code(e) == "InvalidArgumentException"

    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                         AdjacentShardToMerge="shardId-000000000001")
    wait_active(kinesis, name)
    merged = {s["ShardId"]: s for s in all_shards(kinesis, name)}["shardId-000000000003"]
    assert merged["ParentShardId"] == "shardId-000000000002"
    assert merged["AdjacentParentShardId"] == "shardId-000000000001"
    assert merged["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(MAX_HASH)}
    r = kinesis.put_record(StreamName=name, Data=b"after", PartitionKey="k0")
    assert r["ShardId"] == "shardId-000000000003"
    _, children = read_shard(kinesis, name, "shardId-000000000001")
    assert children == [{"ShardId": "shardId-000000000003",
                         "ParentShards": ["shardId-000000000002", "shardId-000000000001"],
                         "HashKeyRange": merged["HashKeyRange"]}]

    with pytest.raises(ClientError) as e:
        kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000003",
                             AdjacentShardToMerge="shardId-000000000042")
    assert error_code(e) == "ResourceNotFoundException"
    kinesis.delete_stream(StreamName=name)


def test_update_shard_count(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=2)
    r = kinesis.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert (r["StreamName"], r["CurrentShardCount"], r["TargetShardCount"]) == (name, 2, 3)
    wait_active(kinesis, name)
    open_shards = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    ranges = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
                    for s in open_shards)
    assert len(ranges) == 3
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH
    assert ranges[1][0] == (2 ** 128) // 3
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 3
    with pytest.raises(ClientError) as e:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=7, ScalingType="UNIFORM_SCALING")
    assert error_code(e) == "LimitExceededException"
    kinesis.delete_stream(StreamName=name)


# --- retention, tags, encryption, monitoring ---------------------------------------

def test_retention_period(kinesis, stream):
    kinesis.increase_stream_retention_period(StreamName=stream, RetentionPeriodHours=48)
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48
    with pytest.raises(ClientError) as e:
        kinesis.increase_stream_retention_period(StreamName=stream, RetentionPeriodHours=30)
    assert error_code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.increase_stream_retention_period(StreamName=stream, RetentionPeriodHours=8761)
    assert error_code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.decrease_stream_retention_period(StreamName=stream, RetentionPeriodHours=23)
    assert error_code(e) == "InvalidArgumentException"
    kinesis.decrease_stream_retention_period(StreamName=stream, RetentionPeriodHours=24)
    assert kinesis.describe_stream(StreamName=stream)["StreamDescription"]["RetentionPeriodHours"] == 24


def test_stream_tags(kinesis, stream):
    kinesis.add_tags_to_stream(StreamName=stream, Tags={"team": "data", "env": "test", "cost": "1"})
    r = kinesis.list_tags_for_stream(StreamName=stream)
    assert r["Tags"] == [{"Key": "cost", "Value": "1"}, {"Key": "env", "Value": "test"},
                         {"Key": "team", "Value": "data"}]
    assert r["HasMoreTags"] is False
    page = kinesis.list_tags_for_stream(StreamName=stream, Limit=1, ExclusiveStartTagKey="cost")
    assert page["Tags"] == [{"Key": "env", "Value": "test"}] and page["HasMoreTags"] is True
    kinesis.add_tags_to_stream(StreamName=stream, Tags={"env": "prod"})
    kinesis.remove_tags_from_stream(StreamName=stream, TagKeys=["cost", "absent"])
    assert kinesis.list_tags_for_stream(StreamName=stream)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "data"}]
    with pytest.raises(ClientError) as e:
        kinesis.add_tags_to_stream(StreamName=stream, Tags={"k%d" % i: "v" for i in range(50)})
    assert error_code(e) == "InvalidArgumentException"
    with pytest.raises(ClientError) as e:
        kinesis.add_tags_to_stream(StreamName=stream, Tags={"bad*key": "v"})
    assert error_code(e) == "InvalidArgumentException"


def test_tag_resource_api(ks, stream):
    a = arn(stream)
    assert call(ks, "TagResource", {"ResourceARN": a, "Tags": {"a": "1", "b": "2"}}).status == 200
    r = call(ks, "ListTagsForResource", {"ResourceARN": a})
    assert r.json["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert call(ks, "UntagResource", {"ResourceARN": a, "TagKeys": ["a"]}).status == 200
    assert call(ks, "ListTagsForResource", {"ResourceARN": a}).json["Tags"] == [{"Key": "b", "Value": "2"}]
    r = call(ks, "ListTagsForResource",
             {"ResourceARN": "arn:aws:kinesis:%s:%s:stream/absent-stream" % (REGION, ACCOUNT)})
    assert r.error_type == "ResourceNotFoundException"


def test_encryption_settings(kinesis, stream):
    kinesis.start_stream_encryption(StreamName=stream, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_active(kinesis, stream)
    d = kinesis.describe_stream(StreamName=stream)["StreamDescription"]
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == "alias/aws/kinesis"
    r = kinesis.put_record(StreamName=stream, Data=b"secret", PartitionKey="a", ExplicitHashKey="0")
    assert r["EncryptionType"] == "KMS"
    records, _ = read_shard(kinesis, stream, "shardId-000000000000")
    assert records[-1]["EncryptionType"] == "KMS"
    with pytest.raises(ClientError) as e:
        kinesis.start_stream_encryption(StreamName=stream, EncryptionType="NONE", KeyId="k")
    assert error_code(e) == "InvalidArgumentException"
    kinesis.stop_stream_encryption(StreamName=stream, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_active(kinesis, stream)
    d = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert d["EncryptionType"] == "NONE" and "KeyId" not in d


def test_enhanced_monitoring(kinesis, stream):
    r = kinesis.enable_enhanced_monitoring(StreamName=stream, ShardLevelMetrics=["IncomingBytes"])
    assert r["CurrentShardLevelMetrics"] == [] and r["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    r = kinesis.enable_enhanced_monitoring(StreamName=stream, ShardLevelMetrics=["ALL"])
    assert len(r["DesiredShardLevelMetrics"]) == 7
    r = kinesis.disable_enhanced_monitoring(StreamName=stream, ShardLevelMetrics=["IncomingBytes"])
    assert "IncomingBytes" not in r["DesiredShardLevelMetrics"]
    d = kinesis.describe_stream(StreamName=stream)["StreamDescription"]
    assert len(d["EnhancedMonitoring"][0]["ShardLevelMetrics"]) == 6


# --- consumers -----------------------------------------------------------------------

def test_consumers(ks, kinesis, stream):
    a = arn(stream)
    c = kinesis.register_stream_consumer(StreamARN=a, ConsumerName="app-one")["Consumer"]
    assert c["ConsumerName"] == "app-one"
    assert c["ConsumerARN"].startswith(a + "/consumer/app-one:")
    assert c["ConsumerStatus"] in ("CREATING", "ACTIVE")
    with pytest.raises(ClientError) as e:
        kinesis.register_stream_consumer(StreamARN=a, ConsumerName="app-one")
    assert error_code(e) == "ResourceInUseException"
    kinesis.register_stream_consumer(StreamARN=a, ConsumerName="app-two")
    d = kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert d["StreamARN"] == a and d["ConsumerStatus"] == "ACTIVE"
    d2 = kinesis.describe_stream_consumer(StreamARN=a, ConsumerName="app-one")["ConsumerDescription"]
    assert d2["ConsumerARN"] == c["ConsumerARN"]
    page = kinesis.list_stream_consumers(StreamARN=a, MaxResults=1)
    assert [x["ConsumerName"] for x in page["Consumers"]] == ["app-one"]
    rest = kinesis.list_stream_consumers(StreamARN=a, NextToken=page["NextToken"])
    assert [x["ConsumerName"] for x in rest["Consumers"]] == ["app-two"]
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 2
    # Tags on a consumer ARN.
    assert call(ks, "TagResource", {"ResourceARN": c["ConsumerARN"], "Tags": {"o": "me"}}).status == 200
    assert call(ks, "ListTagsForResource", {"ResourceARN": c["ConsumerARN"]}).json["Tags"] == \
        [{"Key": "o", "Value": "me"}]
    # A stream with consumers is not deleted unless asked to.
    with pytest.raises(ClientError) as e:
        kinesis.delete_stream(StreamName=stream)
    assert error_code(e) == "ResourceInUseException"
    kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    kinesis.deregister_stream_consumer(StreamARN=a, ConsumerName="app-two")
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(StreamARN=a, ConsumerName="app-one")
    assert error_code(e) == "ResourceNotFoundException"
    assert kinesis.list_stream_consumers(StreamARN=a)["Consumers"] == []


def test_subscribe_to_shard_says_it_is_not_served(ks, kinesis, stream):
    c = kinesis.register_stream_consumer(StreamARN=arn(stream), ConsumerName="efo")["Consumer"]
    r = call(ks, "SubscribeToShard", {"ConsumerARN": c["ConsumerARN"], "ShardId": "shardId-000000000000",
                                      "StartingPosition": {"Type": "LATEST"}})
    assert r.status == 400
    assert r.error_type == "UnknownOperationException"
    assert "SubscribeToShard" in r.json["message"] and "GetRecords" in r.json["message"]
    kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
