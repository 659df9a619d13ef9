"""The crash loop's workloads: one module per service that stores data.

To add one (Kinesis, Firehose, Glue, Athena query history, ...): write
workloads/<service>.py with a subclass of base.Workload (see base.py for the
hooks and the rules), and add it to WORKLOADS below. The driver runs every
workload in WORKLOADS side by side in every cycle unless --workloads picks
some.
"""

from .base import CheckFailed, Workload
from .firehose import FirehoseWorkload
from .glue import GlueWorkload
from .kinesis import KinesisWorkload
from .s3 import S3Workload

# name -> factory(seed, args) -> Workload
WORKLOADS = {
    "s3": lambda seed, args: S3Workload(seed, workers=args.threads),
    "kinesis": lambda seed, args: KinesisWorkload(seed, producers=max(1, args.threads // 2)),
    "glue": lambda seed, args: GlueWorkload(seed, workers=max(1, args.threads // 3)),
    "firehose": lambda seed, args: FirehoseWorkload(seed, producers=max(1, args.threads // 3)),
}

__all__ = ["WORKLOADS", "CheckFailed", "Workload"]
