"""Firehose under kill -9: producers sending PutRecordBatch to a DirectPut
delivery stream whose buffer flushes into S3 every second.

A record's data names it ("<producer>:<number>:" plus hex digits derived
from that name); AppendDelimiterToRecord ends each with a newline, so
delivered objects split back into names.

After a restart, verify waits until every record Firehose acknowledged, in
this cycle or any earlier one, is in an object under the stream's prefix,
and checks:
  - no acknowledged record is missing (the loss the buffer's fsync before
    the acknowledgment rules out);
  - every delivered record is one that was sent, with its bytes;
  - duplicates are counted, not failed: delivery is at-least-once (a crash
    between writing a flush's objects and committing its checkpoint
    delivers that flush again).
A batch in flight at the kill may be delivered or not.
"""

import random
import threading
import time

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .base import Workload

STREAM = "crash-hose"
BUCKET = "crash-firehose"
BATCH = 50
DELIVERY_DEADLINE_S = 60


def record_data(name):
    rng = random.Random(name)
    return (name + ":").encode() + rng.randbytes(rng.randint(0, 300)).hex().encode()


class _Dead(Exception):
    """The server went away (the kill): the worker stops quietly."""


class FirehoseWorkload(Workload):
    name = "firehose"

    def __init__(self, seed, producers=2):
        super().__init__(seed)
        self.n_producers = producers
        self.lock = threading.Lock()
        self.acked = set()     # names acknowledged
        self.sent = set()      # names ever sent (acknowledged or in flight)
        self.next_number = [0] * producers
        self.read_keys = set()  # objects already read (objects never change)
        self.delivered = {}    # name -> times seen

    def client(self, server, service="firehose"):
        return server.client(service, retries={"max_attempts": 1}, connect_timeout=5,
                             read_timeout=60, parameter_validation=False)

    def setup(self, server):
        self.client(server, "s3").create_bucket(Bucket=BUCKET)
        self.client(server).create_delivery_stream(
            DeliveryStreamName=STREAM,
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::000000000000:role/firehose",
                "BucketARN": "arn:aws:s3:::%s" % BUCKET, "Prefix": "data/",
                "BufferingHints": {"IntervalInSeconds": 1, "SizeInMBs": 1},
                "ProcessingConfiguration": {"Enabled": True, "Processors": [
                    {"Type": "AppendDelimiterToRecord"}]}})

    def workers(self, server, rng, stop):
        return [self._producer(self.client(server), p, stop) for p in range(self.n_producers)]

    def _producer(self, fh, p, stop):
        def run():
            try:
                while not stop.is_set():
                    with self.lock:
                        first = self.next_number[p]
                        self.next_number[p] += BATCH
                    names = ["%d:%d" % (p, first + i) for i in range(BATCH)]
                    with self.lock:
                        self.sent.update(names)
                    try:
                        out = fh.put_record_batch(DeliveryStreamName=STREAM, Records=[
                            {"Data": record_data(n)} for n in names])
                    except ClientError as e:
                        self.fail("PutRecordBatch answered %s" % e.response["Error"])
                        raise _Dead()
                    except (BotoCoreError, OSError):
                        raise _Dead()
                    ok = [n for n, r in zip(names, out["RequestResponses"]) if "RecordId" in r]
                    with self.lock:
                        self.acked.update(ok)
                    self.count("acked", len(ok))
                    if out["FailedPutCount"]:
                        self.count("failed_in_place", out["FailedPutCount"])
            except _Dead:
                return
        return run

    def _read_new(self, s3):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="data/"):
            for o in page.get("Contents", []):
                if o["Key"] in self.read_keys:
                    continue
                body = s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
                self.read_keys.add(o["Key"])
                for line in body.split(b"\n"):
                    if not line:
                        continue
                    parts = line.split(b":", 2)
                    name = b":".join(parts[:2]).decode(errors="replace")
                    if name not in self.sent or line != record_data(name):
                        self.fail("delivered a record never sent: %r" % line[:80])
                        continue
                    self.delivered[name] = self.delivered.get(name, 0) + 1

    def verify(self, server, label):
        s3 = self.client(server, "s3")
        deadline = time.monotonic() + DELIVERY_DEADLINE_S
        while True:
            self._read_new(s3)
            missing = self.acked - set(self.delivered)
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if missing:
            self.count("losses", len(missing))
            self.fail("%s: %d acknowledged records not delivered after %ds, e.g. %s" % (
                label, len(missing), DELIVERY_DEADLINE_S, sorted(missing)[:5]))
        dups = sum(n - 1 for n in self.delivered.values())
        self.stats["duplicates"] = dups
        return "%d acknowledged, %d delivered, %d duplicates, %d objects" % (
            len(self.acked), len(self.delivered), dups, len(self.read_keys))

    def finish(self, server):
        fh, s3 = self.client(server), self.client(server, "s3")
        fh.delete_delivery_stream(DeliveryStreamName=STREAM)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                s3.delete_object(Bucket=BUCKET, Key=o["Key"])
        s3.delete_bucket(Bucket=BUCKET)
