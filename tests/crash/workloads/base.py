"""The interface every crash-loop workload implements.

A workload is one service's share of the crash loop: it writes concurrently
while the server runs, is killed with it, and then proves that what the
server acknowledged survived and that nothing else did. The driver
(tests/crash/crash_loop) runs all registered workloads side by side against
one server and one data directory, cycle after cycle; state carries over, so
data acknowledged in the first cycle must survive every later kill too.

Cycle, as the driver runs it:

    workers(...)        threads start writing            (server running)
    ... kill -9 at a random moment; the driver sets `stop` and joins them
    verify(...)         after the restart                (server running)
    check_offline(...)  after a clean SIGTERM stop       (server stopped)

Rules for workers: a worker keeps at most one operation in flight per
object it owns, records the operation as pending before sending it and as
acknowledged only once the answer arrived; a connection error (the kill)
ends the worker quietly; an error *answer* from the server is a failure
(self.fail(...)), since the load never exceeds the server's limits.

verify() settles the pending operations: each must be found either wholly
applied or not at all, and the model then holds what was found.
"""


class CheckFailed(AssertionError):
    """A durability or consistency violation; the message says which."""


class Workload:
    name = "base"

    def __init__(self, seed):
        self.seed = seed
        self.failures = []   # violations and unexpected answers, as text
        self.stats = {}      # counters for the summary: name -> int

    # ---- hooks ------------------------------------------------------------

    def setup(self, server):
        """Once, after the server first started (create buckets, streams)."""

    def workers(self, server, rng, stop):
        """Callables to run on their own threads until `stop` is set or the
        server dies. rng: a random.Random for this cycle."""
        return []

    def verify(self, server, label):
        """After a restart: check every object against the model and settle
        pending operations. Returns a short summary string."""
        return ""

    def check_offline(self, data_dir, label):
        """With the server stopped: check the data directory itself (files
        against metadata). Open databases read-only."""

    def finish(self, server):
        """At the end: delete what the workload made and check nothing is
        left (the server is running)."""

    # ---- helpers ----------------------------------------------------------

    def count(self, name, n=1):
        self.stats[name] = self.stats.get(name, 0) + n

    def fail(self, message):
        self.failures.append(message)

    def check(self, condition, message):
        if not condition:
            self.fail(message)
        return condition
