"""The Glue Data Catalog through boto3 and the aws CLI: databases, tables and
their versions, partitions with the GetPartitions expression language over
10,000 partitions, segments, column statistics, tags, errors, and restart
survival. One server for the module; restart tests start their own."""

import datetime
import json
import time
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, TARN_BIN, TarnServer

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def gs():
    import os
    if not os.path.exists(TARN_BIN):
        pytest.fail("tarn binary not found at %s" % TARN_BIN)
    s = TarnServer().start()
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def glue(gs):
    return gs.client("glue")


def unique(prefix="db"):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def db(glue):
    name = unique()
    glue.create_database(DatabaseInput={"Name": name})
    yield name
    try:
        glue.delete_database(Name=name)
    except ClientError:
        pass


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status_of(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def raw_call(server, operation, body):
    """A SigV4-signed AWSGlue request with a body boto3 would refuse to send."""
    import http.client
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    host = "127.0.0.1:%d" % server.port
    req = AWSRequest(method="POST", url="http://%s/" % host, data=data, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSGlue.%s" % operation,
    })
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "glue", REGION).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", "/", body=data, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, json.loads(payload) if payload else {}
    finally:
        conn.close()


FULL_TABLE = {
    "Name": "Events",
    "Description": "click events\nsecond line",
    "Owner": "analytics",
    "LastAccessTime": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    "Retention": 7,
    "StorageDescriptor": {
        "Columns": [
            {"Name": "id", "Type": "bigint", "Comment": "the id"},
            {"Name": "payload", "Type": "struct<a:int,b:array<string>>", "Parameters": {"p": "1"}},
        ],
        "Location": "s3://lake/events/",
        "AdditionalLocations": ["s3://lake/events-old/"],
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "Compressed": True,
        "NumberOfBuckets": 4,
        "SerdeInfo": {"Name": "pq", "SerializationLibrary":
                      "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                      "Parameters": {"serialization.format": "1"}},
        "BucketColumns": ["id"],
        "SortColumns": [{"Column": "id", "SortOrder": 1}],
        "Parameters": {"compressionType": "snappy"},
        "SkewedInfo": {"SkewedColumnNames": ["id"], "SkewedColumnValues": ["1"],
                       "SkewedColumnValueLocationMaps": {"1": "s3://lake/skew/"}},
        "StoredAsSubDirectories": False,
    },
    "PartitionKeys": [{"Name": "dt", "Type": "date"}, {"Name": "region", "Type": "string"}],
    "ViewOriginalText": "",
    "ViewExpandedText": "",
    "TableType": "EXTERNAL_TABLE",
    "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
}


# --- databases ---------------------------------------------------------------------

def test_database_crud_lowercases_and_pages(glue):
    prefix = unique("pg")
    names = ["%s_%d" % (prefix, i) for i in range(5)]
    for i, n in enumerate(names):
        glue.create_database(DatabaseInput={"Name": n.upper(), "Description": "d%d" % i,
                                            "LocationUri": "s3://lake/%s" % n,
                                            "Parameters": {"k": str(i)}})
    d = glue.get_database(Name=names[2].upper())["Database"]
    assert d["Name"] == names[2]
    assert d["Description"] == "d2" and d["Parameters"] == {"k": "2"}
    assert d["LocationUri"] == "s3://lake/%s" % names[2]
    assert d["CatalogId"] == ACCOUNT
    assert isinstance(d["CreateTime"], datetime.datetime)

    pages = list(glue.get_paginator("get_databases").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 3
    listed = [x["Name"] for p in pages for x in p["DatabaseList"]]
    assert listed == sorted(listed) and len(listed) == len(set(listed))
    assert set(names) <= set(listed)

    assert glue.get_databases(ResourceShareType="FOREIGN")["DatabaseList"] == []
    with pytest.raises(ClientError) as e:
        glue.create_database(DatabaseInput={"Name": names[0]})
    assert code_of(e) == "AlreadyExistsException" and status_of(e) == 400

    glue.update_database(Name=names[0], DatabaseInput={"Name": names[0], "Description": "new"})
    d = glue.get_database(Name=names[0])["Database"]
    assert d["Description"] == "new" and "LocationUri" not in d

    for n in names:
        glue.delete_database(Name=n)
    with pytest.raises(ClientError) as e:
        glue.get_database(Name=names[0])
    assert code_of(e) == "EntityNotFoundException"
    with pytest.raises(ClientError) as e:
        glue.delete_database(Name=names[0])
    assert code_of(e) == "EntityNotFoundException"


def test_delete_database_drops_its_tables_and_partitions(glue):
    name = unique()
    glue.create_database(DatabaseInput={"Name": name})
    glue.create_table(DatabaseName=name, TableInput={
        "Name": "t", "PartitionKeys": [{"Name": "p", "Type": "string"}]})
    glue.create_partition(DatabaseName=name, TableName="t", PartitionInput={"Values": ["a"]})
    glue.delete_database(Name=name)
    glue.create_database(DatabaseInput={"Name": name})
    assert glue.get_tables(DatabaseName=name)["TableList"] == []
    glue.create_table(DatabaseName=name, TableInput={
        "Name": "t", "PartitionKeys": [{"Name": "p", "Type": "string"}]})
    assert glue.get_partitions(DatabaseName=name, TableName="t")["Partitions"] == []
    glue.delete_database(Name=name)


# --- tables ------------------------------------------------------------------------

def test_table_round_trips_exactly(glue, db):
    glue.create_table(DatabaseName=db.upper(), TableInput=FULL_TABLE)
    t = glue.get_table(DatabaseName=db, Name="EVENTS")["Table"]
    assert t["Name"] == "events" and t["DatabaseName"] == db
    assert t["VersionId"] == "0"
    assert t["CatalogId"] == ACCOUNT
    assert t["IsRegisteredWithLakeFormation"] is False
    assert isinstance(t["CreateTime"], datetime.datetime)
    assert isinstance(t["UpdateTime"], datetime.datetime)
    for key, value in FULL_TABLE.items():
        if key == "Name":
            continue
        assert t[key] == value, key

    with pytest.raises(ClientError) as e:
        glue.create_table(DatabaseName=db, TableInput={"Name": "events"})
    assert code_of(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        glue.create_table(DatabaseName=unique("missing"), TableInput={"Name": "x"})
    assert code_of(e) == "EntityNotFoundException"
    with pytest.raises(ClientError) as e:
        glue.get_table(DatabaseName=db, Name="nope")
    assert code_of(e) == "EntityNotFoundException"
    assert "nope" in e.value.response["Error"]["Message"]


def test_get_tables_expression_and_pagination(glue, db):
    for n in ["events", "events_2024", "clicks", "orders", "order_items"]:
        glue.create_table(DatabaseName=db, TableInput={"Name": n})

    def names(**kw):
        return [t["Name"] for t in glue.get_tables(DatabaseName=db, **kw)["TableList"]]

    assert names() == ["clicks", "events", "events_2024", "order_items", "orders"]
    assert names(Expression="events*") == ["events", "events_2024"]
    assert names(Expression="order.*") == ["order_items", "orders"]
    assert names(Expression="clicks|ORDERS") == ["clicks", "orders"]
    assert names(Expression="nothing") == []

    pages = list(glue.get_paginator("get_tables").paginate(
        DatabaseName=db, PaginationConfig={"PageSize": 2}))
    assert [len(p["TableList"]) for p in pages] == [2, 2, 1]
    assert "NextToken" not in pages[-1]

    glue.delete_table(DatabaseName=db, Name="clicks")
    result = glue.batch_delete_table(DatabaseName=db, TablesToDelete=["orders", "ghost"])
    assert [e["TableName"] for e in result["Errors"]] == ["ghost"]
    assert result["Errors"][0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    assert names() == ["events", "events_2024", "order_items"]


def test_table_versions(glue, db):
    glue.create_table(DatabaseName=db, TableInput={"Name": "t", "Description": "v0"})
    for i in range(1, 4):
        glue.update_table(DatabaseName=db, TableInput={"Name": "t", "Description": "v%d" % i},
                          VersionId=str(i - 1))
    t = glue.get_table(DatabaseName=db, Name="t")["Table"]
    assert t["VersionId"] == "3" and t["Description"] == "v3"

    with pytest.raises(ClientError) as e:
        glue.update_table(DatabaseName=db, TableInput={"Name": "t"}, VersionId="1")
    assert code_of(e) == "ConcurrentModificationException"

    versions = glue.get_table_versions(DatabaseName=db, TableName="t")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["3", "2", "1", "0"]
    assert [v["Table"]["Description"] for v in versions] == ["v3", "v2", "v1", "v0"]
    pages = list(glue.get_paginator("get_table_versions").paginate(
        DatabaseName=db, TableName="t", PaginationConfig={"PageSize": 3}))
    assert [len(p["TableVersions"]) for p in pages] == [3, 1]

    v1 = glue.get_table_version(DatabaseName=db, TableName="t", VersionId="1")["TableVersion"]
    assert v1["VersionId"] == "1" and v1["Table"]["Description"] == "v1"

    # SkipArchive: version 3 is replaced, not archived.
    glue.update_table(DatabaseName=db, TableInput={"Name": "t", "Description": "v4"}, SkipArchive=True)
    ids = [v["VersionId"] for v in glue.get_table_versions(DatabaseName=db, TableName="t")["TableVersions"]]
    assert ids == ["4", "2", "1", "0"]

    glue.delete_table_version(DatabaseName=db, TableName="t", VersionId="0")
    with pytest.raises(ClientError) as e:
        glue.delete_table_version(DatabaseName=db, TableName="t", VersionId="0")
    assert code_of(e) == "EntityNotFoundException"
    with pytest.raises(ClientError) as e:
        glue.delete_table_version(DatabaseName=db, TableName="t", VersionId="4")
    assert code_of(e) == "InvalidInputException"
    errors = glue.batch_delete_table_version(DatabaseName=db, TableName="t",
                                             VersionIds=["1", "9"])["Errors"]
    assert [(x["VersionId"], x["ErrorDetail"]["ErrorCode"]) for x in errors] == [
        ("9", "EntityNotFoundException")]
    ids = [v["VersionId"] for v in glue.get_table_versions(DatabaseName=db, TableName="t")["TableVersions"]]
    assert ids == ["4", "2"]


def test_search_tables(glue):
    a, b = unique("srch"), unique("srch")
    glue.create_database(DatabaseInput={"Name": a})
    glue.create_database(DatabaseInput={"Name": b})
    try:
        glue.create_table(DatabaseName=a, TableInput={"Name": "customer-link", "Description": "links"})
        glue.create_table(DatabaseName=a, TableInput={"Name": "orders", "Parameters": {"team": "sales"}})
        glue.create_table(DatabaseName=b, TableInput={"Name": "clicks", "StorageDescriptor": {
            "Columns": [{"Name": "zebra_referrer", "Type": "string"}]}})
        found = glue.search_tables(SearchText="zebra_ref")["TableList"]
        assert [(t["DatabaseName"], t["Name"]) for t in found] == [(b, "clicks")]
        found = glue.search_tables(Filters=[{"Key": "DatabaseName", "Value": a}])["TableList"]
        assert sorted(t["Name"] for t in found) == ["customer-link", "orders"]
        found = glue.search_tables(Filters=[{"Key": "Name", "Value": "link"},
                                            {"Key": "DatabaseName", "Value": a}])["TableList"]
        assert [t["Name"] for t in found] == ["customer-link"]
        found = glue.search_tables(Filters=[{"Key": "team", "Value": "sales"}])["TableList"]
        assert [t["Name"] for t in found] == ["orders"]
        first = glue.search_tables(Filters=[{"Key": "DatabaseName", "Value": a}], MaxResults=1,
                                   SortCriteria=[{"FieldName": "Name", "Sort": "DESC"}])
        assert [t["Name"] for t in first["TableList"]] == ["orders"]
        second = glue.search_tables(Filters=[{"Key": "DatabaseName", "Value": a}], MaxResults=1,
                                    SortCriteria=[{"FieldName": "Name", "Sort": "DESC"}],
                                    NextToken=first["NextToken"])
        assert [t["Name"] for t in second["TableList"]] == ["customer-link"]
        assert "NextToken" not in second
    finally:
        glue.delete_database(Name=a)
        glue.delete_database(Name=b)


# --- partitions --------------------------------------------------------------------

def make_partitioned(glue, db, name, keys):
    glue.create_table(DatabaseName=db, TableInput={
        "Name": name,
        "StorageDescriptor": {"Columns": [{"Name": "v", "Type": "bigint"}],
                              "Location": "s3://lake/%s/" % name},
        "PartitionKeys": [{"Name": k, "Type": t} for k, t in keys],
    })


def test_partition_crud_and_batch_errors(glue, db):
    make_partitioned(glue, db, "t", [("year", "int"), ("region", "string")])
    sd = {"Columns": [{"Name": "v", "Type": "bigint"}], "Location": "s3://lake/t/2020/eu/",
          "SerdeInfo": {"SerializationLibrary": "x"}}
    glue.create_partition(DatabaseName=db, TableName="t", PartitionInput={
        "Values": ["2020", "eu"], "StorageDescriptor": sd, "Parameters": {"n": "1"},
        "LastAccessTime": datetime.datetime(2024, 5, 6, tzinfo=datetime.timezone.utc)})
    p = glue.get_partition(DatabaseName=db, TableName="t", PartitionValues=["2020", "eu"])["Partition"]
    assert p["Values"] == ["2020", "eu"] and p["StorageDescriptor"] == sd
    assert p["Parameters"] == {"n": "1"}
    assert p["DatabaseName"] == db and p["TableName"] == "t" and p["CatalogId"] == ACCOUNT
    assert p["LastAccessTime"] == datetime.datetime(2024, 5, 6, tzinfo=datetime.timezone.utc)
    assert isinstance(p["CreationTime"], datetime.datetime)

    with pytest.raises(ClientError) as e:
        glue.create_partition(DatabaseName=db, TableName="t", PartitionInput={"Values": ["2020", "eu"]})
    assert code_of(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        glue.create_partition(DatabaseName=db, TableName="t", PartitionInput={"Values": ["2020"]})
    assert code_of(e) == "InvalidInputException"
    with pytest.raises(ClientError) as e:
        glue.get_partition(DatabaseName=db, TableName="t", PartitionValues=["1999", "eu"])
    assert code_of(e) == "EntityNotFoundException"

    # Per-entry errors, in place; the good entries are created.
    result = glue.batch_create_partition(DatabaseName=db, TableName="t", PartitionInputList=[
        {"Values": ["2021", "eu"]}, {"Values": ["2020", "eu"]}, {"Values": ["bad"]},
        {"Values": ["2021", "us"]}])
    errs = {tuple(x["PartitionValues"]): x["ErrorDetail"]["ErrorCode"] for x in result["Errors"]}
    assert errs == {("2020", "eu"): "AlreadyExistsException", ("bad",): "InvalidInputException"}

    got = glue.batch_get_partition(DatabaseName=db, TableName="t", PartitionsToGet=[
        {"Values": ["2021", "eu"]}, {"Values": ["1999", "eu"]}, {"Values": ["2021", "us"]}])
    assert sorted(tuple(p["Values"]) for p in got["Partitions"]) == [("2021", "eu"), ("2021", "us")]
    assert got["UnprocessedKeys"] == []

    glue.update_partition(DatabaseName=db, TableName="t", PartitionValueList=["2021", "us"],
                          PartitionInput={"Values": ["2021", "us"], "Parameters": {"updated": "yes"}})
    p = glue.get_partition(DatabaseName=db, TableName="t", PartitionValues=["2021", "us"])["Partition"]
    assert p["Parameters"] == {"updated": "yes"}
    glue.update_partition(DatabaseName=db, TableName="t", PartitionValueList=["2021", "us"],
                          PartitionInput={"Values": ["2022", "us"]})
    glue.get_partition(DatabaseName=db, TableName="t", PartitionValues=["2022", "us"])
    result = glue.batch_update_partition(DatabaseName=db, TableName="t", Entries=[
        {"PartitionValueList": ["2022", "us"], "PartitionInput": {"Parameters": {"batch": "1"}}},
        {"PartitionValueList": ["1999", "us"], "PartitionInput": {"Values": ["1999", "us"]}}])
    assert [(x["PartitionValueList"], x["ErrorDetail"]["ErrorCode"]) for x in result["Errors"]] == [
        (["1999", "us"], "EntityNotFoundException")]
    p = glue.get_partition(DatabaseName=db, TableName="t", PartitionValues=["2022", "us"])["Partition"]
    assert p["Parameters"] == {"batch": "1"} and p["Values"] == ["2022", "us"]

    result = glue.batch_delete_partition(DatabaseName=db, TableName="t", PartitionsToDelete=[
        {"Values": ["2022", "us"]}, {"Values": ["1999", "eu"]}])
    assert [x["PartitionValues"] for x in result["Errors"]] == [["1999", "eu"]]
    glue.delete_partition(DatabaseName=db, TableName="t", PartitionValues=["2021", "eu"])
    with pytest.raises(ClientError) as e:
        glue.delete_partition(DatabaseName=db, TableName="t", PartitionValues=["2021", "eu"])
    assert code_of(e) == "EntityNotFoundException"
    left = glue.get_partitions(DatabaseName=db, TableName="t")["Partitions"]
    assert [p["Values"] for p in left] == [["2020", "eu"]]


REGIONS = ["r%02d" % i for i in range(25)]
DAYS = 400


@pytest.fixture(scope="module")
def big_table(glue):
    """10,000 partitions: region (25 strings) x day (1..400, int)."""
    name = unique("big")
    glue.create_database(DatabaseInput={"Name": name})
    make_partitioned(glue, name, "events", [("region", "string"), ("day", "int")])
    entries = [{"Values": [r, str(d)],
                "StorageDescriptor": {"Location": "s3://lake/events/region=%s/day=%d/" % (r, d)}}
               for r in REGIONS for d in range(1, DAYS + 1)]
    started = time.monotonic()
    for i in range(0, len(entries), 100):
        result = glue.batch_create_partition(DatabaseName=name, TableName="events",
                                             PartitionInputList=entries[i:i + 100])
        assert result["Errors"] == []
    print("\nglue: created 10,000 partitions in 100 BatchCreatePartition calls: %.2f s"
          % (time.monotonic() - started))
    yield name
    glue.delete_database(Name=name)


def all_partitions(glue, db, **kw):
    out = []
    for page in glue.get_paginator("get_partitions").paginate(
            DatabaseName=db, TableName="events", **kw):
        out.extend(tuple(p["Values"]) for p in page["Partitions"])
    return out


EXPRESSIONS = [
    # expression, expected predicate over (region, day)
    ("day = 7", lambda r, d: d == 7),
    ("day > 395", lambda r, d: d > 395),
    ("day >= 10 AND day < 20 AND region = 'r03'", lambda r, d: 10 <= d < 20 and r == "r03"),
    ("region IN ('r01', 'r02') AND day BETWEEN 100 AND 199",
     lambda r, d: r in ("r01", "r02") and 100 <= d <= 199),
    ("region NOT IN ('r00') AND day <= 2", lambda r, d: r != "r00" and d <= 2),
    ("region LIKE 'r1%' AND day = 1", lambda r, d: r.startswith("r1") and d == 1),
    ("(region = 'r05' OR region = 'r06') AND NOT (day > 5)", lambda r, d: r in ("r05", "r06") and d <= 5),
    ("`DAY` <> 1 and day < 3 and region = 'r24'", lambda r, d: d == 2 and r == "r24"),
    ("day NOT BETWEEN 2 AND 400", lambda r, d: d == 1),
    ("region IS NOT NULL AND day = 400", lambda r, d: d == 400),
    ("day = 401", lambda r, d: False),
]


def test_get_partitions_expressions_over_10000(glue, big_table):
    everything = all_partitions(glue, big_table)
    assert len(everything) == 10000 and len(set(everything)) == 10000
    for expression, predicate in EXPRESSIONS:
        expected = sorted((r, str(d)) for r in REGIONS for d in range(1, DAYS + 1) if predicate(r, d))
        got = sorted(all_partitions(glue, big_table, Expression=expression))
        assert got == expected, expression

    # The cost of one filtered pass over all 10,000 (printed, not asserted).
    started = time.monotonic()
    pages = list(glue.get_paginator("get_partitions").paginate(
        DatabaseName=big_table, TableName="events", Expression="day BETWEEN 100 AND 140 AND region LIKE 'r2%'",
        PaginationConfig={"PageSize": 1000}))
    elapsed = time.monotonic() - started
    found = sum(len(p["Partitions"]) for p in pages)
    assert found == 41 * 5
    print("\nglue: GetPartitions with an expression over 10,000 partitions: %d found in %.1f ms"
          % (found, elapsed * 1000))
    started = time.monotonic()
    one = glue.get_partitions(DatabaseName=big_table, TableName="events", Expression="day = 200")
    print("glue: GetPartitions 'day = 200' (25 of 10,000): %.1f ms" % ((time.monotonic() - started) * 1000))
    assert len(one["Partitions"]) == 25


def test_get_partitions_paging_and_segments(glue, big_table):
    page = glue.get_partitions(DatabaseName=big_table, TableName="events", MaxResults=7,
                               Expression="day = 9")
    assert len(page["Partitions"]) == 7 and "NextToken" in page
    rest = glue.get_partitions(DatabaseName=big_table, TableName="events", MaxResults=1000,
                               Expression="day = 9", NextToken=page["NextToken"])
    assert len(rest["Partitions"]) == 18 and "NextToken" not in rest

    seen = []
    for n in range(4):
        part = all_partitions(glue, big_table, Segment={"SegmentNumber": n, "TotalSegments": 4})
        assert 1500 < len(part) < 3500  # a reasonable spread
        seen.append(set(part))
    union = set().union(*seen)
    assert len(union) == 10000 and sum(len(s) for s in seen) == 10000

    filtered = sum(len(all_partitions(glue, big_table, Expression="day <= 10",
                                      Segment={"SegmentNumber": n, "TotalSegments": 3}))
                   for n in range(3))
    assert filtered == 250

    excluded = glue.get_partitions(DatabaseName=big_table, TableName="events", MaxResults=1,
                                   ExcludeColumnSchema=True)["Partitions"][0]
    assert "Columns" not in excluded["StorageDescriptor"]

    with pytest.raises(ClientError) as e:
        glue.get_partitions(DatabaseName=big_table, TableName="events",
                            Segment={"SegmentNumber": 4, "TotalSegments": 4})
    assert code_of(e) == "InvalidInputException"


@pytest.mark.parametrize("expression,message", [
    ("dy = 1", "unknown partition key 'dy'"),
    ("day = 'abc'", "is not a valid number for partition key 'day'"),
    ("day = 1 AND", "expected a partition key or a literal"),
    ("(day = 1", "expected ')'"),
    ("region = 'x", "unterminated string"),
])
def test_bad_expressions_name_the_problem(glue, big_table, expression, message):
    with pytest.raises(ClientError) as e:
        glue.get_partitions(DatabaseName=big_table, TableName="events", Expression=expression)
    assert code_of(e) == "InvalidInputException"
    assert message in e.value.response["Error"]["Message"]


# --- column statistics ---------------------------------------------------------------

def test_column_statistics_for_table_and_partition(glue, db):
    make_partitioned(glue, db, "t", [("year", "int")])
    glue.create_partition(DatabaseName=db, TableName="t", PartitionInput={"Values": ["2020"]})
    analyzed = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    long_stats = {"ColumnName": "v", "ColumnType": "bigint", "AnalyzedTime": analyzed,
                  "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {
                      "MinimumValue": -5, "MaximumValue": 99, "NumberOfNulls": 2,
                      "NumberOfDistinctValues": 40}}}
    decimal_stats = {"ColumnName": "v", "ColumnType": "decimal(10,2)", "AnalyzedTime": analyzed,
                     "StatisticsData": {"Type": "DECIMAL", "DecimalColumnStatisticsData": {
                         "MinimumValue": {"UnscaledValue": b"\x01\x02", "Scale": 2},
                         "NumberOfNulls": 0, "NumberOfDistinctValues": 1}}}
    missing = dict(long_stats, ColumnName="nope")
    result = glue.update_column_statistics_for_table(DatabaseName=db, TableName="t",
                                                     ColumnStatisticsList=[long_stats, missing])
    assert [x["ColumnStatistics"]["ColumnName"] for x in result["Errors"]] == ["nope"]
    got = glue.get_column_statistics_for_table(DatabaseName=db, TableName="t", ColumnNames=["v", "w"])
    assert got["ColumnStatisticsList"] == [long_stats]
    assert [(x["ColumnName"], x["Error"]["ErrorCode"]) for x in got["Errors"]] == [
        ("w", "EntityNotFoundException")]

    glue.update_column_statistics_for_partition(DatabaseName=db, TableName="t", PartitionValues=["2020"],
                                                ColumnStatisticsList=[decimal_stats])
    got = glue.get_column_statistics_for_partition(DatabaseName=db, TableName="t",
                                                   PartitionValues=["2020"], ColumnNames=["v"])
    assert got["ColumnStatisticsList"] == [decimal_stats]
    with pytest.raises(ClientError) as e:
        glue.get_column_statistics_for_partition(DatabaseName=db, TableName="t",
                                                 PartitionValues=["1999"], ColumnNames=["v"])
    assert code_of(e) == "EntityNotFoundException"

    glue.delete_column_statistics_for_partition(DatabaseName=db, TableName="t", PartitionValues=["2020"],
                                                ColumnName="v")
    glue.delete_column_statistics_for_table(DatabaseName=db, TableName="t", ColumnName="v")
    with pytest.raises(ClientError) as e:
        glue.delete_column_statistics_for_table(DatabaseName=db, TableName="t", ColumnName="v")
    assert code_of(e) == "EntityNotFoundException"
    assert glue.get_column_statistics_for_table(DatabaseName=db, TableName="t",
                                                ColumnNames=["v"])["ColumnStatisticsList"] == []


# --- tags ------------------------------------------------------------------------------

def test_tags_on_databases_and_tables(glue):
    name = unique()
    glue.create_database(DatabaseInput={"Name": name}, Tags={"team": "data"})
    try:
        glue.create_table(DatabaseName=name, TableInput={"Name": "t"})
        db_arn = "arn:aws:glue:%s:%s:database/%s" % (REGION, ACCOUNT, name)
        t_arn = "arn:aws:glue:%s:%s:table/%s/t" % (REGION, ACCOUNT, name)
        assert glue.get_tags(ResourceArn=db_arn)["Tags"] == {"team": "data"}
        glue.tag_resource(ResourceArn=t_arn, TagsToAdd={"a": "1", "b": "2"})
        glue.untag_resource(ResourceArn=t_arn, TagsToRemove=["a"])
        assert glue.get_tags(ResourceArn=t_arn)["Tags"] == {"b": "2"}
        with pytest.raises(ClientError) as e:
            glue.get_tags(ResourceArn="arn:aws:glue:%s:%s:table/%s/none" % (REGION, ACCOUNT, name))
        assert code_of(e) == "EntityNotFoundException"
        with pytest.raises(ClientError) as e:
            glue.tag_resource(ResourceArn=t_arn, TagsToAdd={"k%d" % i: "v" for i in range(50)})
        assert code_of(e) == "InvalidInputException"
    finally:
        glue.delete_database(Name=name)


# --- errors --------------------------------------------------------------------------

def test_validation_errors_name_the_field(gs, glue, db):
    with pytest.raises(ClientError) as e:
        glue.create_database(DatabaseInput={"Name": "x" * 256})
    assert code_of(e) == "InvalidInputException"
    assert "'databaseInput.name'" in e.value.response["Error"]["Message"]
    assert "less than or equal to 255" in e.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as e:
        glue.create_table(DatabaseName=db, TableInput={
            "Name": "t", "StorageDescriptor": {"Columns": [{"Name": "ok"}, {"Name": "bad\nname"}]}})
    assert code_of(e) == "InvalidInputException"
    assert "tableInput.storageDescriptor.columns.2.member.name" in e.value.response["Error"]["Message"]

    status, body = raw_call(gs, "CreateDatabase", {"DatabaseInput": {"Name": 7}})
    assert status == 400 and body["__type"] == "SerializationException"
    status, body = raw_call(gs, "GetDatabase", {})
    assert status == 400 and body["__type"] == "InvalidInputException"
    assert "'name'" in body["message"] and "must not be null" in body["message"]


def test_catalog_id_must_be_this_account(glue, db):
    assert glue.get_database(CatalogId=ACCOUNT, Name=db)["Database"]["Name"] == db
    with pytest.raises(ClientError) as e:
        glue.get_database(CatalogId="123456789012", Name=db)
    assert code_of(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        glue.get_tables(CatalogId="elsewhere", DatabaseName=db)
    assert code_of(e) == "EntityNotFoundException"


def test_other_glue_operations_are_unknown(glue):
    with pytest.raises(ClientError) as e:
        glue.get_jobs()
    assert code_of(e) == "UnknownOperationException"
    assert "GetJobs" in e.value.response["Error"]["Message"]


def test_aws_cli(gs):
    name = unique("cli")
    gs.aws("glue", "create-database", "--database-input", json.dumps({"Name": name}))
    gs.aws("glue", "create-table", "--database-name", name, "--table-input", json.dumps({
        "Name": "t", "PartitionKeys": [{"Name": "dt", "Type": "date"}]}))
    gs.aws("glue", "batch-create-partition", "--database-name", name, "--table-name", "t",
           "--partition-input-list", json.dumps([{"Values": ["2024-01-%02d" % d]} for d in range(1, 11)]))
    out = json.loads(gs.aws("glue", "get-partitions", "--database-name", name, "--table-name", "t",
                            "--expression", "dt >= '2024-01-08'").stdout)
    assert sorted(p["Values"][0] for p in out["Partitions"]) == ["2024-01-08", "2024-01-09", "2024-01-10"]
    out = json.loads(gs.aws("glue", "get-tables", "--database-name", name).stdout)
    assert [t["Name"] for t in out["TableList"]] == ["t"]
    failed = gs.aws("glue", "get-table", "--database-name", name, "--name", "nope", check=False)
    assert failed.returncode != 0 and b"EntityNotFoundException" in failed.stderr
    gs.aws("glue", "delete-database", "--name", name)


# --- durability ----------------------------------------------------------------------

def test_catalog_survives_restart_and_kill9(fresh_server):
    s = fresh_server.start()
    glue = s.client("glue")
    glue.create_database(DatabaseInput={"Name": "durable", "Description": "kept"}, Tags={"k": "v"})
    glue.create_table(DatabaseName="durable", TableInput=FULL_TABLE)
    glue.update_table(DatabaseName="durable", TableInput=dict(FULL_TABLE, Description="second"))
    glue.batch_create_partition(DatabaseName="durable", TableName="events", PartitionInputList=[
        {"Values": ["2024-01-%02d" % d, "eu"]} for d in range(1, 21)])
    glue.update_column_statistics_for_table(DatabaseName="durable", TableName="events", ColumnStatisticsList=[
        {"ColumnName": "id", "ColumnType": "bigint", "AnalyzedTime": datetime.datetime(2024, 1, 1),
         "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {
             "NumberOfNulls": 0, "NumberOfDistinctValues": 1}}}])
    before = glue.get_table(DatabaseName="durable", Name="events")["Table"]

    s.restart()
    glue = s.client("glue")
    assert glue.get_database(Name="durable")["Database"]["Description"] == "kept"
    after = glue.get_table(DatabaseName="durable", Name="events")["Table"]
    assert after == before
    assert [v["VersionId"] for v in glue.get_table_versions(
        DatabaseName="durable", TableName="events")["TableVersions"]] == ["1", "0"]
    assert len(glue.get_partitions(DatabaseName="durable", TableName="events",
                                   Expression="dt > '2024-01-10'")["Partitions"]) == 10
    assert glue.get_tags(ResourceArn="arn:aws:glue:%s:%s:database/durable" % (REGION, ACCOUNT))["Tags"] == {
        "k": "v"}
    assert len(glue.get_column_statistics_for_table(
        DatabaseName="durable", TableName="events", ColumnNames=["id"])["ColumnStatisticsList"]) == 1

    # An acknowledged write survives kill -9.
    glue.create_partition(DatabaseName="durable", TableName="events",
                          PartitionInput={"Values": ["2025-01-01", "us"]})
    s.kill9()
    s.start()
    glue = s.client("glue")
    glue.get_partition(DatabaseName="durable", TableName="events", PartitionValues=["2025-01-01", "us"])
    assert s.stop() == 0
