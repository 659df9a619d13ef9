"""kill -9 while producers write, restart, and check that every acknowledged
record is readable with the shard and sequence number its put returned;
that nothing is read twice or that was never sent; and that sequence
numbers keep increasing after the restart. Several crash cycles on one data
directory: records from earlier cycles must survive later crashes too."""

import os
import random
import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from conftest import TarnServer
from kinesis_util import all_shards, read_shard, stream_name, wait_active

CYCLES = int(os.environ.get("TARN_KINESIS_CRASH_CYCLES", "3"))
PRODUCERS = 4


class Producer(threading.Thread):
    def __init__(self, server, stream, tag, sent, acked, lock):
        super().__init__(daemon=True)
        self.kinesis = server.client("kinesis", retries={"max_attempts": 1},
                                     connect_timeout=2, read_timeout=10)
        self.stream, self.tag = stream, tag
        self.sent, self.acked, self.lock = sent, acked, lock
        self.n = 0

    def run(self):
        while True:
            batch = []
            for _ in range(random.choice([1, 10, 100])):
                data = "%s-%d" % (self.tag, self.n)
                self.n += 1
                batch.append({"PartitionKey": "pk-%d" % random.randrange(64), "Data": data.encode()})
            with self.lock:
                for b in batch:
                    self.sent.add(b["Data"].decode())
            try:
                if len(batch) == 1:
                    r = self.kinesis.put_record(StreamName=self.stream, **batch[0])
                    results = [r]
                else:
                    r = self.kinesis.put_records(StreamName=self.stream, Records=batch)
                    results = r["Records"]
            except (BotoCoreError, ClientError, OSError):
                return  # the server died under us: this batch is in doubt
            with self.lock:
                for b, res in zip(batch, results):
                    if "SequenceNumber" in res:
                        self.acked[b["Data"].decode()] = (res["ShardId"], res["SequenceNumber"])


def read_everything(kinesis, name):
    out = {}
    last_seq = {}
    for s in all_shards(kinesis, name):
        records, _ = read_shard(kinesis, name, s["ShardId"])
        for r in records:
            data = r["Data"].decode()
            assert data not in out, "record read twice: " + data
            out[data] = (s["ShardId"], r["SequenceNumber"])
            last_seq[s["ShardId"]] = max(last_seq.get(s["ShardId"], 0), int(r["SequenceNumber"]))
    return out, last_seq


@pytest.mark.slow
def test_acknowledged_records_survive_kill9(tmp_path):
    server = TarnServer(extra_args=["--kinesis-status-delay-ms", "0", "--no-request-log"])
    try:
        server.start()
        kinesis = server.client("kinesis")
        name = stream_name("crash")
        kinesis.create_stream(StreamName=name, ShardCount=4)
        wait_active(kinesis, name)
        sent, acked, lock = set(), {}, threading.Lock()
        for cycle in range(CYCLES):
            producers = [Producer(server, name, "c%d-t%d" % (cycle, i), sent, acked, lock)
                         for i in range(PRODUCERS)]
            for p in producers:
                p.start()
            time.sleep(random.uniform(1.0, 2.5))
            if cycle == 1:
                # Reshard mid-run once, so closed shards are crashed over too.
                kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                                    NewStartingHashKey=str(2 ** 125))
                time.sleep(0.5)
            server.kill9()
            for p in producers:
                p.join(30)
                assert not p.is_alive()
            server.start()
            kinesis = server.client("kinesis")
            wait_active(kinesis, name)

            got, last_seq = read_everything(kinesis, name)
            with lock:
                lost = [d for d in acked if d not in got]
                assert not lost, "cycle %d: %d acknowledged records lost, e.g. %s" % (
                    cycle, len(lost), lost[:5])
                moved = [(d, acked[d], got[d]) for d in acked if got[d] != acked[d]]
                assert not moved, "cycle %d: records at other positions: %s" % (cycle, moved[:5])
                unknown = [d for d in got if d not in sent]
                assert not unknown, "cycle %d: records never sent: %s" % (cycle, unknown[:5])
                assert len(acked) > 0
                # Records that were in flight at the kill may or may not be
                # there; those that are become acknowledged for later cycles.
                for d, where in got.items():
                    acked.setdefault(d, where)

            # New records get larger sequence numbers than any before the crash.
            r = kinesis.put_records(StreamName=name, Records=[
                {"PartitionKey": "pk-%d" % i, "Data": ("after-%d-%d" % (cycle, i)).encode()}
                for i in range(64)])
            for i, rec in enumerate(r["Records"]):
                assert int(rec["SequenceNumber"]) > last_seq.get(rec["ShardId"], 0)
                sent.add("after-%d-%d" % (cycle, i))
                acked["after-%d-%d" % (cycle, i)] = (rec["ShardId"], rec["SequenceNumber"])
        assert server.stop() == 0
    finally:
        server.cleanup()
