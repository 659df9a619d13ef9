"""Kinesis status transitions as clients wait for them: CREATING -> ACTIVE,
UPDATING during resharding, DELETING, consumers CREATING -> ACTIVE; boto3's
waiters and the aws CLI (create-stream, wait stream-exists, put-record,
get-shard-iterator, get-records, describe-stream-summary)."""

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError

from kinesis_util import arn, start_server, stream_name, wait_active

DELAY_MS = 300


@pytest.fixture(scope="module")
def ks():
    s = start_server(DELAY_MS)
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def kinesis(ks):
    return ks.client("kinesis")


def status(kinesis, name):
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]


def test_creating_then_active_with_the_boto3_waiter(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    assert status(kinesis, name) == "CREATING"
    # Writes to a CREATING stream fail as on AWS.
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="a")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    assert status(kinesis, name) == "ACTIVE"
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="a")

    kinesis.delete_stream(StreamName=name)
    assert status(kinesis, name) == "DELETING"
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name,
                                                 WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})


def test_updating_during_resharding(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000000",
                         AdjacentShardToMerge="shardId-000000000001")
    assert status(kinesis, name) == "UPDATING"
    # Records keep flowing while UPDATING; another reshard must wait.
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="a")["ShardId"] == \
        "shardId-000000000002"
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000002",
                            NewStartingHashKey=str(2 ** 127))
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    wait_active(kinesis, name)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000002",
                        NewStartingHashKey=str(2 ** 127))
    assert status(kinesis, name) == "UPDATING"
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    kinesis.delete_stream(StreamName=name)


def test_consumer_creating_then_active(kinesis):
    name = stream_name()
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    c = kinesis.register_stream_consumer(StreamARN=arn(name), ConsumerName="app")["Consumer"]
    assert c["ConsumerStatus"] == "CREATING"
    deadline = time.monotonic() + 10
    while kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"][
            "ConsumerStatus"] != "ACTIVE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
    d = kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert d["ConsumerStatus"] == "DELETING"
    time.sleep(DELAY_MS / 1000 + 0.1)
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    kinesis.delete_stream(StreamName=name)


def test_aws_cli_round_trip(ks):
    name = stream_name("cli")
    ks.aws("kinesis", "create-stream", "--stream-name", name, "--shard-count", "1")
    ks.aws("kinesis", "wait", "stream-exists", "--stream-name", name, timeout=120)
    summary = json.loads(ks.aws("kinesis", "describe-stream-summary", "--stream-name", name).stdout)
    assert summary["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 1

    put = json.loads(ks.aws("kinesis", "put-record", "--stream-name", name, "--partition-key", "pk",
                            "--data", base64.b64encode(b"hello from the cli").decode()).stdout)
    assert put["ShardId"] == "shardId-000000000000"
    it = json.loads(ks.aws("kinesis", "get-shard-iterator", "--stream-name", name, "--shard-id",
                           put["ShardId"], "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    got = json.loads(ks.aws("kinesis", "get-records", "--shard-iterator", it).stdout)
    assert len(got["Records"]) == 1
    rec = got["Records"][0]
    assert base64.b64decode(rec["Data"]) == b"hello from the cli"
    assert rec["SequenceNumber"] == put["SequenceNumber"]
    assert rec["PartitionKey"] == "pk"
    assert got["NextShardIterator"]

    listed = json.loads(ks.aws("kinesis", "list-streams").stdout)
    assert name in listed["StreamNames"]
    failed = ks.aws("kinesis", "describe-stream", "--stream-name", "missing-" + name, check=False)
    assert failed.returncode != 0 and b"ResourceNotFoundException" in failed.stderr
    ks.aws("kinesis", "delete-stream", "--stream-name", name)
