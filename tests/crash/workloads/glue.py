"""The Glue Data Catalog under kill -9: tables created, updated (each update
a new generation in the table's Parameters), given batches of partitions,
and dropped, by writers that each own a few tables.

After a restart every table is read back: an acknowledged table exists with
its last acknowledged generation and every acknowledged partition; one with
an operation in flight at the kill shows either the state before it or the
state after it (a partition batch: any part of it, as it was answered
per partition); nothing else exists in the database.
"""

import itertools
import random

from botocore.exceptions import BotoCoreError, ClientError

from .base import Workload

DATABASE = "crash_catalog"
TABLES_PER_WORKER = 4


class _Dead(Exception):
    """The server went away (the kill): the worker stops quietly."""


class State:
    __slots__ = ("gen", "partitions")

    def __init__(self, gen, partitions):
        self.gen, self.partitions = gen, partitions  # gen None: no table


class GlueWorkload(Workload):
    name = "glue"

    def __init__(self, seed, workers=2):
        super().__init__(seed)
        self.n_workers = workers
        self.acked = {}    # table -> State
        self.pending = {}  # table -> (kind, State after)
        self.gen = itertools.count(1)  # next() is atomic
        self.tables_by_worker = [["w%d_t%d" % (w, j) for j in range(TABLES_PER_WORKER)]
                                 for w in range(workers)]
        for names in self.tables_by_worker:
            for t in names:
                self.acked[t] = State(None, frozenset())

    def client(self, server):
        return server.client("glue", retries={"max_attempts": 1}, connect_timeout=5,
                             read_timeout=60)

    def setup(self, server):
        self.client(server).create_database(DatabaseInput={"Name": DATABASE})

    def workers(self, server, rng, stop):
        return [self._worker(self.client(server), self.tables_by_worker[w],
                             random.Random(rng.random()), stop)
                for w in range(self.n_workers)]

    def _call(self, fn, what, **kw):
        try:
            return fn(**kw)
        except ClientError as e:
            self.fail("%s answered %s: %s" % (what, e.response.get("ResponseMetadata", {}).get(
                "HTTPStatusCode"), e.response.get("Error")))
            raise _Dead()
        except (BotoCoreError, OSError):
            raise _Dead()

    def _table_input(self, name, gen):
        return {"Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": {"gen": str(gen)},
                "PartitionKeys": [{"Name": "p", "Type": "string"}],
                "StorageDescriptor": {"Columns": [{"Name": "c%d" % gen, "Type": "bigint"}],
                                      "Location": "s3://crash/%s/" % name}}

    def _worker(self, glue, tables, rng, stop):
        def run():
            try:
                while not stop.is_set():
                    t = rng.choice(tables)
                    cur = self.acked[t]
                    r = rng.random()
                    if cur.gen is None or r < 0.35:
                        self._put_table(glue, t, cur)
                    elif r < 0.85:
                        self._add_partitions(glue, t, cur, rng)
                    else:
                        self._drop(glue, t)
            except _Dead:
                return
        return run

    def _put_table(self, glue, t, cur):
        gen = next(self.gen)
        after = State(gen, cur.partitions if cur.gen is not None else frozenset())
        self.pending[t] = ("put", after)
        if cur.gen is None:
            self._call(glue.create_table, "CreateTable " + t, DatabaseName=DATABASE,
                       TableInput=self._table_input(t, gen))
        else:
            self._call(glue.update_table, "UpdateTable " + t, DatabaseName=DATABASE,
                       TableInput=self._table_input(t, gen))
        self.acked[t] = after
        del self.pending[t]
        self.count("acked_ops")

    def _add_partitions(self, glue, t, cur, rng):
        start = rng.randrange(0, 1000)
        new = frozenset("v%04d" % (start + i) for i in range(5)) - cur.partitions
        if not new:
            return
        self.pending[t] = ("partitions", State(cur.gen, cur.partitions | new))
        r = self._call(glue.batch_create_partition, "BatchCreatePartition " + t,
                       DatabaseName=DATABASE, TableName=t,
                       PartitionInputList=[{"Values": [v], "StorageDescriptor": {
                           "Location": "s3://crash/%s/p=%s/" % (t, v)}} for v in sorted(new)])
        if r.get("Errors"):
            self.fail("BatchCreatePartition %s: %s" % (t, r["Errors"][:2]))
            raise _Dead()
        self.acked[t] = State(cur.gen, cur.partitions | new)
        del self.pending[t]
        self.count("acked_ops")

    def _drop(self, glue, t):
        self.pending[t] = ("drop", State(None, frozenset()))
        self._call(glue.delete_table, "DeleteTable " + t, DatabaseName=DATABASE, Name=t)
        self.acked[t] = State(None, frozenset())
        del self.pending[t]
        self.count("acked_ops")

    # ---- verify -------------------------------------------------------------

    def _found(self, glue, t):
        try:
            table = glue.get_table(DatabaseName=DATABASE, Name=t)["Table"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "EntityNotFoundException":
                return State(None, frozenset())
            raise
        parts = set()
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=DATABASE,
                                                                  TableName=t):
            parts.update(p["Values"][0] for p in page["Partitions"])
        return State(int(table["Parameters"]["gen"]), frozenset(parts))

    def verify(self, server, label):
        glue = self.client(server)
        listed = set()
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=DATABASE):
            listed.update(t["Name"] for t in page["TableList"])
        for t in sorted(listed - set(self.acked)):
            self.fail("%s: table %s exists but was never created" % (label, t))
        settled = applied = 0
        for t in sorted(self.acked):
            found = self._found(glue, t)
            before = self.acked[t]
            ok = found.gen == before.gen and found.partitions == before.partitions
            if t in self.pending:
                kind, after = self.pending.pop(t)
                settled += 1
                if kind == "partitions":
                    ok = (found.gen == before.gen and before.partitions <= found.partitions
                          <= after.partitions)
                else:
                    ok = ok or (found.gen == after.gen and found.partitions == after.partitions)
                if found.partitions != before.partitions or found.gen != before.gen:
                    applied += 1
            if not ok:
                self.fail("%s: table %s is gen %s with %d partitions; acknowledged gen %s with %d" % (
                    label, t, found.gen, len(found.partitions), before.gen, len(before.partitions)))
            self.acked[t] = found
        self.count("inflight_at_kill", settled)
        self.count("inflight_applied", applied)
        return "%d tables, %d in flight (%d applied)" % (
            sum(1 for s in self.acked.values() if s.gen is not None), settled, applied)

    def finish(self, server):
        glue = self.client(server)
        glue.delete_database(Name=DATABASE)
        try:
            glue.get_database(Name=DATABASE)
            self.fail("finish: database %s still there after DeleteDatabase" % DATABASE)
        except ClientError as e:
            self.check(e.response["Error"]["Code"] == "EntityNotFoundException",
                       "finish: GetDatabase answered %s" % e.response["Error"])
