"""Resharding under continuous writes: producers keep putting while shards
are split, merged and rescaled; afterwards a reader that follows lineage
(parents before children, as the KCL does) must see every acknowledged
record exactly once, in order per partition key, with the sequence number
the put returned."""

import threading
import time

import pytest
from botocore.exceptions import ClientError

from kinesis_util import all_shards, read_stream_by_lineage, start_server, stream_name, wait_active

PRODUCERS = 4
KEYS_PER_PRODUCER = 8


@pytest.fixture(scope="module")
def ks():
    s = start_server(50)
    yield s
    assert s.stop() == 0
    s.cleanup()


class Producer(threading.Thread):
    """Puts batches for its own keys; each key's counter increases by one
    per record, so per-key order can be checked."""

    def __init__(self, server, stream, index):
        super().__init__(daemon=True)
        self.kinesis = server.client("kinesis")
        self.stream = stream
        self.keys = ["p%d-k%d" % (index, k) for k in range(KEYS_PER_PRODUCER)]
        self.counters = {k: 0 for k in self.keys}
        self.acked = {}  # (key, counter) -> (shard id, sequence number)
        self.stop = threading.Event()
        self.error = None
        self.batches = 0

    def run(self):
        try:
            while not self.stop.is_set():
                batch = []
                for k in self.keys:
                    for _ in range(3):
                        batch.append((k, self.counters[k]))
                        self.counters[k] += 1
                r = self.kinesis.put_records(StreamName=self.stream, Records=[
                    {"PartitionKey": k, "Data": ("%s:%d" % (k, c)).encode()} for k, c in batch])
                assert r["FailedRecordCount"] == 0, r
                for (k, c), rec in zip(batch, r["Records"]):
                    self.acked[(k, c)] = (rec["ShardId"], rec["SequenceNumber"])
                self.batches += 1
        except Exception as e:  # reported by the test
            self.error = e


def reshard_until(kinesis, name, step):
    """Runs one resharding step, retrying while the stream is UPDATING."""
    deadline = time.monotonic() + 30
    while True:
        try:
            step()
            wait_active(kinesis, name)
            return
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceInUseException" or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_split_merge_rescale_under_writes_reads_everything_once_in_order(ks):
    kinesis = ks.client("kinesis")
    name = stream_name("reshard")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)

    producers = [Producer(ks, name, i) for i in range(PRODUCERS)]
    for p in producers:
        p.start()

    def open_shards():
        return sorted((s for s in all_shards(kinesis, name)
                       if "EndingSequenceNumber" not in s["SequenceNumberRange"]),
                      key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))

    def split_first():
        s = open_shards()[0]
        lo, hi = int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])
        kinesis.split_shard(StreamName=name, ShardToSplit=s["ShardId"],
                            NewStartingHashKey=str((lo + hi) // 2))

    def merge_first_two():
        a, b = open_shards()[:2]
        kinesis.merge_shards(StreamName=name, ShardToMerge=a["ShardId"], AdjacentShardToMerge=b["ShardId"])

    steps = [split_first, split_first, merge_first_two,
             lambda: kinesis.update_shard_count(StreamName=name, TargetShardCount=5,
                                                ScalingType="UNIFORM_SCALING"),
             merge_first_two,
             lambda: kinesis.update_shard_count(StreamName=name, TargetShardCount=3,
                                                ScalingType="UNIFORM_SCALING")]
    for step in steps:
        time.sleep(0.3)
        reshard_until(kinesis, name, step)
    time.sleep(0.3)
    for p in producers:
        p.stop.set()
    for p in producers:
        p.join(60)
        assert p.error is None, repr(p.error)
        assert p.batches > 0

    acked = {}
    for p in producers:
        acked.update(p.acked)
    shards = all_shards(kinesis, name)
    assert len(shards) > 6  # the steps above created and closed several
    records = read_stream_by_lineage(kinesis, name)

    seen = {}
    last_counter = {}
    for shard_id, r in records:
        key, counter = r["Data"].decode().rsplit(":", 1)
        counter = int(counter)
        assert r["PartitionKey"] == key
        assert (key, counter) not in seen, "read twice: %s:%d" % (key, counter)
        seen[(key, counter)] = (shard_id, r["SequenceNumber"])
        # In order per key: reading parents before children never goes back.
        assert counter > last_counter.get(key, -1), "out of order for %s: %d after %d" % (
            key, counter, last_counter[key])
        last_counter[key] = counter
    # Every acknowledged record, exactly once, where the put said it went.
    missing = [k for k in acked if k not in seen]
    assert not missing, "%d acknowledged records not read, e.g. %s" % (len(missing), missing[:5])
    for k, where in acked.items():
        assert seen[k] == where, (k, seen[k], where)
    # Nothing was read that was not acknowledged.
    assert len(seen) == len(acked)
    kinesis.delete_stream(StreamName=name)
