"""Kinesis under kill -9: producers putting batches of records while the
stream is resharded under them.

Each producer thread owns a few partition keys and sends PutRecords batches
one after another, so a key's records have a send order. A record's data
names it ("<producer>:<number>:" plus bytes derived from that name), so the
model keeps only names, never bodies.

After a restart every shard, open or closed, is read from TRIM_HORIZON to
its end and checked:
  - every acknowledged record is there once, on the shard and with the
    sequence number PutRecords answered, with its bytes;
  - a record of a batch in flight at the kill is there once or not at all;
    one that is not there must never appear later;
  - nothing else is there (no record twice, none never sent);
  - per partition key, records come in send order along each shard, and a
    child shard's records of a key all follow its parents' ones.
"""

import random
import threading
import time

from botocore.exceptions import BotoCoreError, ClientError

from .base import Workload

STREAM = "crash-stream"
KEYS_PER_PRODUCER = 4


def record_data(name):
    """The bytes of record `name` ("p:n"): the name, then 0-600 bytes that
    depend on it."""
    rng = random.Random(name)
    return (name + ":").encode() + rng.randbytes(rng.randint(0, 600))


class _Dead(Exception):
    """The server went away (the kill): the worker stops quietly."""


class KinesisWorkload(Workload):
    name = "kinesis"

    def __init__(self, seed, producers=3):
        super().__init__(seed)
        self.n_producers = producers
        self.lock = threading.Lock()
        self.acked = {}      # name -> (partition key, shard id, sequence number)
        self.pending = {}    # name -> partition key (a batch in flight at the kill)
        self.vanished = set()  # names in flight at a kill that were not stored
        self.next_number = [0] * producers

    def client(self, server):
        return server.client("kinesis", retries={"max_attempts": 1}, connect_timeout=5,
                             read_timeout=60)

    def _wait_active(self, kinesis):
        for _ in range(600):
            s = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]
            if s["StreamStatus"] == "ACTIVE":
                return s
            time.sleep(0.05)
        raise AssertionError("stream %s never became ACTIVE" % STREAM)

    def setup(self, server):
        kinesis = self.client(server)
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        self._wait_active(kinesis)

    # ---- workers ------------------------------------------------------------

    def workers(self, server, rng, stop):
        out = [self._producer(self.client(server), p, random.Random(rng.random()), stop)
               for p in range(self.n_producers)]
        out.append(self._resharder(self.client(server), random.Random(rng.random()), stop))
        return out

    def _call(self, fn, what, **kw):
        try:
            return fn(**kw)
        except ClientError as e:
            self.fail("%s answered %s: %s" % (what, e.response.get("ResponseMetadata", {}).get(
                "HTTPStatusCode"), e.response.get("Error")))
            raise _Dead()
        except (BotoCoreError, OSError):
            raise _Dead()

    def _producer(self, kinesis, p, rng, stop):
        keys = ["p%d-key%d" % (p, k) for k in range(KEYS_PER_PRODUCER)]
        keys[0] = "p%d-ключ-🔑" % p  # non-ASCII partition keys too

        def run():
            try:
                while not stop.is_set():
                    batch = []
                    for _ in range(rng.randint(1, 20)):
                        name = "%d:%d" % (p, self.next_number[p])
                        self.next_number[p] += 1
                        batch.append((name, rng.choice(keys)))
                    with self.lock:
                        for name, key in batch:
                            self.pending[name] = key
                    r = self._call(kinesis.put_records, "PutRecords", StreamName=STREAM,
                                   Records=[{"Data": record_data(n), "PartitionKey": k}
                                            for n, k in batch])
                    if r["FailedRecordCount"] or len(r["Records"]) != len(batch):
                        self.fail("PutRecords: %d of %d records failed: %s" % (
                            r["FailedRecordCount"], len(batch),
                            [x for x in r["Records"] if "ErrorCode" in x][:3]))
                        raise _Dead()
                    with self.lock:
                        for (name, key), rec in zip(batch, r["Records"]):
                            self.acked[name] = (key, rec["ShardId"], rec["SequenceNumber"])
                            del self.pending[name]
                    self.count("acked_records", len(batch))
                    time.sleep(rng.uniform(0, 0.05))
            except _Dead:
                return
        return run

    def _resharder(self, kinesis, rng, stop):
        """Now and then doubles or halves the open shards (2 <-> 4)."""
        def run():
            try:
                while not stop.is_set():
                    time.sleep(rng.uniform(0.2, 1.0))
                    if rng.random() < 0.5:
                        continue
                    s = self._call(kinesis.describe_stream_summary, "DescribeStreamSummary",
                                   StreamName=STREAM)["StreamDescriptionSummary"]
                    if s["StreamStatus"] != "ACTIVE":
                        continue
                    target = 4 if s["OpenShardCount"] <= 2 else 2
                    self._call(kinesis.update_shard_count, "UpdateShardCount", StreamName=STREAM,
                               TargetShardCount=target, ScalingType="UNIFORM_SCALING")
                    self.count("reshards")
            except _Dead:
                return
        return run

    # ---- verify -------------------------------------------------------------

    def _shards(self, kinesis):
        shards, token = [], None
        while True:
            r = (kinesis.list_shards(NextToken=token) if token
                 else kinesis.list_shards(StreamName=STREAM))
            shards += r["Shards"]
            token = r.get("NextToken")
            if not token:
                return shards

    def _read_shard(self, kinesis, shard_id):
        it = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard_id,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out = []
        while it:
            r = kinesis.get_records(ShardIterator=it, Limit=10000)
            out += r["Records"]
            it = r.get("NextShardIterator")
            if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
                # An open shard read to its end (a closed one ends with no iterator).
                break
        return out

    def verify(self, server, label):
        kinesis = self.client(server)
        shards = self._shards(kinesis)
        parents = {s["ShardId"]: [x for x in (s.get("ParentShardId"),
                                              s.get("AdjacentParentShardId")) if x]
                   for s in shards}
        found = {}  # name -> (key, shard, sequence number)
        ids_by_shard_key = {}  # (shard, key) -> [producer number, ...] in shard order
        for s in shards:
            sid = s["ShardId"]
            last_seq = -1
            for rec in self._read_shard(kinesis, sid):
                data = rec["Data"]
                name = data.split(b":", 2)
                name = (name[0] + b":" + name[1]).decode() if len(name) == 3 else None
                seq = int(rec["SequenceNumber"])
                self.check(seq > last_seq, "%s: %s: sequence numbers go back (%d after %d)" % (
                    label, sid, seq, last_seq))
                last_seq = seq
                if name is None or data != record_data(name):
                    self.fail("%s: %s %s: data that was never sent: %r" % (
                        label, sid, rec["SequenceNumber"], data[:40]))
                    continue
                if name in found:
                    self.fail("%s: record %s appears twice (%s and %s %s)" % (
                        label, name, found[name], sid, rec["SequenceNumber"]))
                    continue
                found[name] = (rec["PartitionKey"], sid, rec["SequenceNumber"])
                p, n = (int(x) for x in name.split(":"))
                ids_by_shard_key.setdefault((sid, rec["PartitionKey"]), []).append((p, n))

        for name, (key, sid, seq) in sorted(self.acked.items()):
            got = found.get(name)
            if got is None:
                self.fail("%s: LOST acknowledged record %s (%s %s)" % (label, name, sid, seq))
            elif got != (key, sid, seq):
                self.fail("%s: record %s is %s, acknowledged as %s" % (
                    label, name, got, (key, sid, seq)))
        settled = applied = 0
        for name, key in sorted(self.pending.items()):
            settled += 1
            got = found.get(name)
            if got is None:
                self.vanished.add(name)
            else:
                applied += 1
                self.check(got[0] == key, "%s: in-flight record %s has key %s, sent with %s" % (
                    label, name, got[0], key))
                self.acked[name] = got
        self.pending.clear()
        for name in sorted(set(found) - set(self.acked)):
            what = "reappeared after it was not stored" if name in self.vanished else \
                "was never sent"
            self.fail("%s: record %s %s" % (label, name, what))

        # Send order per key: along each shard, and from parents to children.
        for (sid, key), ids in ids_by_shard_key.items():
            self.check(ids == sorted(ids), "%s: %s key %s out of order: %s" % (
                label, sid, key, ids[:10]))
            for parent in parents.get(sid, []):
                before = ids_by_shard_key.get((parent, key))
                if before and ids:
                    self.check(max(before) < min(ids), "%s: key %s: child %s has %s before "
                               "parent %s's last %s" % (label, key, sid, min(ids), parent,
                                                        max(before)))
        self.count("inflight_at_kill", settled)
        self.count("inflight_applied", applied)
        open_shards = sum(1 for s in shards if "EndingSequenceNumber" not in
                          s["SequenceNumberRange"])
        return "%d records on %d shards (%d open), %d in flight (%d applied)" % (
            len(found), len(shards), open_shards, settled, applied)

    def finish(self, server):
        kinesis = self.client(server)
        kinesis.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
        for _ in range(600):
            names = kinesis.list_streams()["StreamNames"]
            if STREAM not in names:
                return
            time.sleep(0.05)
        self.fail("finish: %s still listed after DeleteStream" % STREAM)
