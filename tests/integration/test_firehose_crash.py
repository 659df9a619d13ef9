"""kill -9 during continuous PutRecordBatch: every record Firehose
acknowledged before the crash is delivered to S3 after the restart (the
buffer is durable before the acknowledgment; delivery resumes from the
checkpoint). Duplicates are allowed (at-least-once), losses are not."""

import threading
import time

from firehose_util import body, destination, firehose_client, keys, name, processors


def delivered(s3, bucket):
    out = set()
    for k in keys(s3, bucket):
        out.update(body(s3, bucket, k).splitlines())
    return out


def test_every_acknowledged_record_is_delivered_after_kill9(fresh_server):
    srv = fresh_server.start()
    s3 = srv.client("s3")
    fh = firehose_client(srv)
    bucket, hose = name("lake"), name("hose")
    s3.create_bucket(Bucket=bucket)
    fh.create_delivery_stream(
        DeliveryStreamName=hose,
        ExtendedS3DestinationConfiguration=destination(
            bucket, 1, ProcessingConfiguration=processors("AppendDelimiterToRecord")))

    acked = []
    stop = threading.Event()

    def produce(worker):
        client = firehose_client(srv)
        n = 0
        while not stop.is_set():
            batch = [b"w%d-%06d" % (worker, n + i) for i in range(100)]
            try:
                out = client.put_record_batch(DeliveryStreamName=hose,
                                              Records=[{"Data": b} for b in batch])
            except Exception:  # the server died under us: not acknowledged
                return
            for rec, resp in zip(batch, out["RequestResponses"]):
                if "RecordId" in resp:
                    acked.append(rec)
            n += len(batch)

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    time.sleep(2.5)  # flushes every second: the crash lands between and during them
    srv.kill9()
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 1000, "the producers barely ran"

    srv.start()
    s3 = srv.client("s3")
    want = set(acked)
    deadline = time.monotonic() + 30
    got = set()
    while time.monotonic() < deadline:
        got = delivered(s3, bucket)
        if want <= got:
            break
        time.sleep(0.2)
    missing = want - got
    assert not missing, "%d acknowledged records lost, e.g. %s" % (len(missing), sorted(missing)[:5])
