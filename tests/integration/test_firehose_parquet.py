"""Record format conversion: JSON records in, Parquet objects out, with the
columns of the Glue table named in SchemaConfiguration; Athena on tarn
reads them back as the same rows, and records that do not convert land in
the error prefix as format-conversion-failed. Skipped while the server has
no converter wired (CreateDeliveryStream then refuses the configuration)."""

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from firehose_util import (ROLE, body, destination, firehose_client, keys, name, wait_keys)


def wait_query(athena, qid, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        q = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if q["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return q
        time.sleep(0.05)
    raise AssertionError("query %s did not finish" % qid)


def test_json_to_parquet_read_back_by_athena(server, s3, bucket):
    fh, glue, athena = firehose_client(server), server.client("glue"), server.client("athena")
    db = "fh_%s" % uuid.uuid4().hex[:10]
    glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(DatabaseName=db, TableInput={
        "Name": "events", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet"},
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "name", "Type": "string"},
                        {"Name": "score", "Type": "double"}],
            "Location": "s3://%s/events/" % bucket,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary":
                          "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
    hose = name("pq")
    try:
        fh.create_delivery_stream(
            DeliveryStreamName=hose,
            ExtendedS3DestinationConfiguration=destination(
                bucket, 1, size=64, Prefix="events/", ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
                DataFormatConversionConfiguration={
                    "Enabled": True,
                    "SchemaConfiguration": {"DatabaseName": db, "TableName": "events", "RoleARN": ROLE,
                                            "Region": "us-east-1", "VersionId": "LATEST"},
                    "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                    "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}}}))
    except ClientError as e:
        if "not available on this server" in e.response["Error"]["Message"]:
            pytest.skip("no record converter wired into this server yet")
        raise
    try:
        rows = [{"id": i, "name": "n%d" % i, "score": i / 4} for i in range(200)]
        recs = [{"Data": json.dumps(r).encode()} for r in rows] + [{"Data": b"this is not json"}]
        assert fh.put_record_batch(DeliveryStreamName=hose, Records=recs)["FailedPutCount"] == 0
        (key,) = wait_keys(s3, bucket, "events/", timeout=30)
        assert key.endswith(".parquet"), key
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read()[:4] == b"PAR1"
        (err,) = wait_keys(s3, bucket, "errors/format-conversion-failed/", timeout=30)
        doc = json.loads(body(s3, bucket, err).splitlines()[0])
        assert doc["ErrorCode"] and doc["dataCatalogTable"]["tableName"] == "events"

        out = "s3://%s/athena/" % bucket
        qid = athena.start_query_execution(
            QueryString="SELECT id, name, score FROM events ORDER BY id",
            QueryExecutionContext={"Database": db}, ResultConfiguration={"OutputLocation": out}
        )["QueryExecutionId"]
        q = wait_query(athena, qid)
        assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
        got = []
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
            got += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        assert got[0] == ["id", "name", "score"]
        assert [(int(a), b, float(c)) for a, b, c in got[1:]] == [
            (r["id"], r["name"], r["score"]) for r in rows]
    finally:
        fh.delete_delivery_stream(DeliveryStreamName=hose)
        for k in keys(s3, bucket, "athena/"):
            s3.delete_object(Bucket=bucket, Key=k)
