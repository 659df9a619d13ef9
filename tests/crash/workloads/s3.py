"""S3 under kill -9: PUTs (inline and blob-sized), multipart uploads,
server-side copies, deletes, and uploads left open with parts.

Each worker thread owns a set of keys, so a key has at most one operation in
flight. A body is derived from (origin key, generation, size), so the model
keeps only those three numbers per key and can rebuild any body to compare.

After a restart every key is fetched and compared byte for byte with what
its last acknowledged operation left (or, for a key whose operation was in
flight, with either that or the in-flight operation's result); listings
must not show keys that were never written; open uploads must be ones this
workload started. Offline, with the server stopped, meta.db is read (read
only) and compared with the files under blobs/: every blob file is in
s3_blobs, every s3_blobs row has its file and as many references as
objects and parts name it, every inline body and part belongs to an
object or an open upload.
"""

import hashlib
import itertools
import json
import os
import random
import sqlite3

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .base import CheckFailed, Workload

KiB = 1024
MiB = 1024 * KiB
PART = 5 * MiB            # S3's smallest part that may be followed by another
INLINE_MAX = 64 * KiB     # bodies up to this size live in meta.db, not blobs/
BUCKETS = ("crash-a", "crash-b")
KEYS_PER_WORKER = 8


def make_body(origin, gen, size):
    return random.Random("%s|%d" % (origin, gen)).randbytes(size)


class State:
    """What a key holds: the body generation `gen` of `origin` (a key name;
    copies keep their source's origin), `size` bytes, and the ETag the server
    must report (None: not known in advance, e.g. a copy in flight)."""

    __slots__ = ("origin", "gen", "size", "etag")

    def __init__(self, origin, gen, size, etag):
        self.origin, self.gen, self.size, self.etag = origin, gen, size, etag

    def body(self):
        return make_body(self.origin, self.gen, self.size)

    def __repr__(self):
        return "<%s gen %d, %d bytes, etag %s>" % (self.origin, self.gen, self.size, self.etag)


def md5_etag(body):
    return '"%s"' % hashlib.md5(body).hexdigest()


def multipart_etag(body, part):
    digests = b"".join(hashlib.md5(body[i:i + part]).digest() for i in range(0, len(body), part))
    return '"%s-%d"' % (hashlib.md5(digests).hexdigest(), (len(body) + part - 1) // part)


class _Dead(Exception):
    """The server went away (the kill): the worker stops quietly."""


class S3Workload(Workload):
    name = "s3"

    def __init__(self, seed, workers=6):
        super().__init__(seed)
        self.n_workers = workers
        self.acked = {}       # (bucket, key) -> State or None (deleted / never)
        self.pending = {}     # (bucket, key) -> ("put"|"copy"|"mpu"|"open"|"delete", State|None)
        self.uploads = {}     # upload_id -> (bucket, key, {part: (etag, size)}) acknowledged open
        self.gen = itertools.count(1)
        self.keys_by_worker = []
        for w in range(workers):
            names = ["w%d/k%02d" % (w, j) for j in range(KEYS_PER_WORKER)]
            names[1] = "w%d/ünï cødé/ключ %d" % (w, w)   # non-ASCII, spaces, nesting
            names[2] = "w%d/deep/a/b/c/%d.bin" % (w, w)
            self.keys_by_worker.append([(BUCKETS[j % len(BUCKETS)], n) for j, n in enumerate(names)])

    # ---- setup ------------------------------------------------------------

    def client(self, server):
        return server.client("s3", retries={"max_attempts": 1}, connect_timeout=5,
                             read_timeout=60)

    def setup(self, server):
        s3 = self.client(server)
        for b in BUCKETS:
            s3.create_bucket(Bucket=b)

    # ---- workers ------------------------------------------------------------

    def workers(self, server, rng, stop):
        out = []
        for w in range(self.n_workers):
            out.append(self._worker(self.client(server), self.keys_by_worker[w],
                                    random.Random(rng.random()), stop))
        return out

    def _next_gen(self):
        # Unique per origin key is enough; next() on a count is atomic.
        return next(self.gen)

    def _worker(self, s3, keys, rng, stop):
        def run():
            while not stop.is_set():
                bk = rng.choice(keys)
                r = rng.random()
                try:
                    if r < 0.35:
                        self._put(s3, bk, rng.randint(0, INLINE_MAX))
                    elif r < 0.60:
                        self._put(s3, bk, rng.randint(INLINE_MAX + 1, 2 * MiB))
                    elif r < 0.70:
                        self._copy(s3, bk, rng.choice(keys))
                    elif r < 0.82:
                        self._delete(s3, bk)
                    elif r < 0.92:
                        self._multipart(s3, bk, rng.randint(PART + 1, PART + MiB), rng)
                    else:
                        self._open_upload(s3, bk, rng.randint(1, 256 * KiB))
                except _Dead:
                    return
        return run

    def _call(self, fn, what, **kw):
        try:
            return fn(**kw)
        except ClientError as e:
            self.fail("%s answered %s: %s" % (what, e.response.get("ResponseMetadata", {}).get(
                "HTTPStatusCode"), e.response.get("Error")))
            raise _Dead()
        except (BotoCoreError, OSError):
            raise _Dead()

    def _begin(self, bk, kind, state):
        assert bk not in self.pending, bk
        self.pending[bk] = (kind, state)

    def _ack(self, bk, state):
        self.acked[bk] = state
        del self.pending[bk]
        self.count("acked_ops")

    def _put(self, s3, bk, size):
        state = State(bk[1], self._next_gen(), size, None)
        body = state.body()
        state.etag = md5_etag(body)
        self._begin(bk, "put", state)
        r = self._call(s3.put_object, "PutObject %s" % (bk,), Bucket=bk[0], Key=bk[1], Body=body)
        if not self.check(r["ETag"] == state.etag, "PutObject %s: ETag %s, expected %s" % (
                bk, r["ETag"], state.etag)):
            raise _Dead()
        self._ack(bk, state)

    def _copy(self, s3, bk, src):
        source = self.acked.get(src)
        if source is None or src in self.pending or src == bk:
            return
        state = State(source.origin, source.gen, source.size, None)
        self._begin(bk, "copy", state)
        r = self._call(s3.copy_object, "CopyObject %s <- %s" % (bk, src), Bucket=bk[0],
                       Key=bk[1], CopySource={"Bucket": src[0], "Key": src[1]})
        state.etag = r["CopyObjectResult"]["ETag"]
        self._ack(bk, state)

    def _delete(self, s3, bk):
        self._begin(bk, "delete", None)
        self._call(s3.delete_object, "DeleteObject %s" % (bk,), Bucket=bk[0], Key=bk[1])
        self._ack(bk, None)

    def _multipart(self, s3, bk, size, rng):
        state = State(bk[1], self._next_gen(), size, None)
        body = state.body()
        state.etag = multipart_etag(body, PART)
        self._begin(bk, "mpu", state)
        up = self._call(s3.create_multipart_upload, "CreateMultipartUpload %s" % (bk,),
                        Bucket=bk[0], Key=bk[1])["UploadId"]
        parts = []
        for n, off in enumerate(range(0, size, PART), start=1):
            r = self._call(s3.upload_part, "UploadPart %s" % (bk,), Bucket=bk[0], Key=bk[1],
                           UploadId=up, PartNumber=n, Body=body[off:off + PART])
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        r = self._call(s3.complete_multipart_upload, "CompleteMultipartUpload %s" % (bk,),
                       Bucket=bk[0], Key=bk[1], UploadId=up, MultipartUpload={"Parts": parts})
        if not self.check(r["ETag"] == state.etag, "CompleteMultipartUpload %s: ETag %s, "
                          "expected %s" % (bk, r["ETag"], state.etag)):
            raise _Dead()
        self._ack(bk, state)
        self.count("multipart_completed")

    def _open_upload(self, s3, bk, size):
        """An upload left open with one part: its part must survive too."""
        self._begin(bk, "open", self.acked.get(bk))
        up = self._call(s3.create_multipart_upload, "CreateMultipartUpload %s" % (bk,),
                        Bucket=bk[0], Key=bk[1])["UploadId"]
        body = make_body("part:" + up, 1, size)
        r = self._call(s3.upload_part, "UploadPart %s" % (bk,), Bucket=bk[0], Key=bk[1],
                       UploadId=up, PartNumber=1, Body=body)
        self.uploads[up] = (bk[0], bk[1], {1: (r["ETag"], size)})
        self._ack(bk, self.acked.get(bk))
        self.count("open_uploads")

    # ---- verify -------------------------------------------------------------

    def _list_all(self, s3):
        found = {}
        for b in BUCKETS:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
                for o in page.get("Contents", []):
                    found[(b, o["Key"])] = o
        return found

    def verify(self, server, label):
        s3 = self.client(server)
        was_pending = set(self.pending)
        self._check_open_upload_parts(s3, label)
        listed = self._list_all(s3)
        known = set(self.acked) | set(self.pending)
        for bk in sorted(set(listed) - known):
            self.fail("%s: %s is listed but was never written" % (label, bk))

        settled = applied = 0
        for bk in sorted(known):
            allowed = [self.acked.get(bk)]
            kind = None
            if bk in self.pending:
                kind, st = self.pending[bk]
                allowed.append(st)
            found = self._check_key(s3, bk, listed.get(bk), allowed, label)
            if bk in self.pending:
                settled += 1
                if kind not in ("open",) and found is not allowed[0]:
                    applied += 1
                self.acked[bk] = found if found is not _MISMATCH else allowed[0]
                del self.pending[bk]
        self.count("inflight_at_kill", settled)
        self.count("inflight_applied", applied)

        uploads_checked = self._check_uploads(s3, label, was_pending)
        return "%d objects, %d in flight (%d applied), %d open uploads checked" % (
            len(listed), settled, applied, uploads_checked)

    def _check_key(self, s3, bk, listing, allowed, label):
        """Returns the allowed state found (None: absent), or _MISMATCH."""
        if listing is None:
            try:
                s3.head_object(Bucket=bk[0], Key=bk[1])
                self.fail("%s: %s is not listed but HEAD finds it" % (label, bk))
                return _MISMATCH
            except ClientError as e:
                if e.response["Error"]["Code"] not in ("404", "NoSuchKey"):
                    raise
            if None in allowed:
                return None
            self.fail("%s: LOST %s: absent, expected one of %s" % (label, bk, allowed))
            self.count("losses")
            return _MISMATCH
        obj = s3.get_object(Bucket=bk[0], Key=bk[1])
        data = obj["Body"].read()
        for st in allowed:
            if st is None or st.size != len(data) or st.body() != data:
                continue
            if st.etag is not None and obj["ETag"] != st.etag:
                continue
            if listing["Size"] != st.size or listing["ETag"] != obj["ETag"]:
                self.fail("%s: %s: listing says %s/%s, GET says %d/%s" % (
                    label, bk, listing["Size"], listing["ETag"], len(data), obj["ETag"]))
            return st
        self.fail("%s: %s holds %d bytes (etag %s, sha256 %s) matching none of %s" % (
            label, bk, len(data), obj["ETag"], hashlib.sha256(data).hexdigest()[:16], allowed))
        self.count("losses")
        return _MISMATCH

    def _check_uploads(self, s3, label, was_pending):
        """Every open upload is one this workload started: acknowledged (it
        must be there) or in flight at the kill (it may be). All are aborted
        afterwards, so each cycle starts with none."""
        seen = set()
        for b in BUCKETS:
            for up in s3.list_multipart_uploads(Bucket=b).get("Uploads", []):
                uid, key = up["UploadId"], up["Key"]
                seen.add(uid)
                if uid not in self.uploads:
                    # Created by an operation in flight (its answer lost in
                    # the kill) or by a completed multipart whose Complete
                    # was in flight; anything else is a phantom.
                    self.check((b, key) in was_pending,
                               "%s: open upload %s for %s/%s was never started" % (
                                   label, uid, b, key))
                s3.abort_multipart_upload(Bucket=b, Key=key, UploadId=uid)
        checked = 0
        for uid, (b, key, parts) in sorted(self.uploads.items()):
            if not self.check(uid in seen, "%s: LOST open upload %s for %s/%s" % (
                    label, uid, b, key)):
                self.count("losses")
                continue
            checked += 1
        self.uploads.clear()
        return checked

    def _check_open_upload_parts(self, s3, label):
        for uid, (b, key, parts) in sorted(self.uploads.items()):
            try:
                listed = s3.list_parts(Bucket=b, Key=key, UploadId=uid).get("Parts", [])
            except ClientError as e:
                if e.response["Error"]["Code"] == "NoSuchUpload":
                    continue  # reported as lost by _check_uploads
                raise
            got = {p["PartNumber"]: (p["ETag"], p["Size"]) for p in listed}
            self.check(got == parts, "%s: upload %s for %s/%s has parts %s, expected %s" % (
                label, uid, b, key, got, parts))

    # ---- offline ------------------------------------------------------------

    def check_offline(self, data_dir, label):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "meta.db"), uri=True)
        try:
            rows = dict(db.execute("SELECT id, refs FROM s3_blobs"))
            owners = {}
            for (extents,) in db.execute("SELECT extents FROM s3_objects UNION ALL "
                                         "SELECT extents FROM s3_parts"):
                for blob in {e[0] for e in (json.loads(extents) if extents else [])}:
                    owners[blob] = owners.get(blob, 0) + 1
            bodies = {r[0] for r in db.execute("SELECT id FROM s3_bodies")}
            body_refs = {r[0] for r in db.execute(
                "SELECT body_id FROM s3_objects WHERE body_id IS NOT NULL")}
            orphan_parts = db.execute("SELECT count(*) FROM s3_parts WHERE upload_id NOT IN "
                                      "(SELECT upload_id FROM s3_uploads)").fetchone()[0]
        finally:
            db.close()
        files = set()
        for d, _, names in os.walk(os.path.join(data_dir, "blobs")):
            files.update(names)
        orphans = files - set(rows)
        missing = set(rows) - files
        self.check(not orphans, "%s: %d orphan blob files (not in s3_blobs): %s" % (
            label, len(orphans), sorted(orphans)[:5]))
        self.check(not missing, "%s: %d blobs in s3_blobs without a file: %s" % (
            label, len(missing), sorted(missing)[:5]))
        wrong = {b: (rows.get(b), owners.get(b)) for b in set(rows) | set(owners)
                 if rows.get(b) != owners.get(b)}
        self.check(not wrong, "%s: blob reference counts (s3_blobs, owners) disagree: %s" % (
            label, dict(list(wrong.items())[:5])))
        self.check(bodies == body_refs, "%s: inline bodies %d, referenced %d" % (
            label, len(bodies), len(body_refs)))
        self.check(orphan_parts == 0, "%s: %d parts of no upload" % (label, orphan_parts))
        self.count("blob_files_checked", len(files))

    # ---- finish -------------------------------------------------------------

    def finish(self, server):
        s3 = self.client(server)
        for (b, k) in self._list_all(s3):
            s3.delete_object(Bucket=b, Key=k)
        for b in BUCKETS:
            for up in s3.list_multipart_uploads(Bucket=b).get("Uploads", []):
                s3.abort_multipart_upload(Bucket=b, Key=up["Key"], UploadId=up["UploadId"])
            s3.delete_bucket(Bucket=b)
        left = [f for _, _, names in os.walk(os.path.join(server.data_dir, "blobs"))
                for f in names]
        self.check(not left, "finish: %d blob files left after deleting everything" % len(left))


_MISMATCH = object()  # verify found something no allowed state explains
