"""Athena queries end to end through boto3: tables made by CREATE EXTERNAL
TABLE and by a crawler over Parquet, CSV and JSON objects (partitioned and
not), CTAS and INSERT INTO round trips, the results object against
GetQueryResults, cancellation of a long query, the workgroup's bytes-scanned
cutoff, memory past the query budget spilling, and errors that name the
problem."""

import csv
import io
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import TARN_BIN, TarnServer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# Queries here take well under a second; this only keeps a broken server
# from hanging the suite.
QUERY_DEADLINE_S = 120


@pytest.fixture(scope="module")
def srv():
    if not os.path.exists(TARN_BIN):
        pytest.fail("tarn binary not found at %s" % TARN_BIN)
    # A small query budget, so that a modest query has to spill.
    s = TarnServer(extra_args=["--query-memory-mib", "64"]).start()
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def athena(srv):
    return srv.client("athena")


@pytest.fixture(scope="module")
def glue(srv):
    return srv.client("glue")


@pytest.fixture(scope="module")
def s3(srv):
    return srv.client("s3")


@pytest.fixture(scope="module")
def lake(s3):
    name = "lake-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def workgroup(athena, s3):
    """A workgroup whose results go to a bucket of its own."""
    bucket = "results-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    name = "wg_" + uuid.uuid4().hex[:8]
    athena.create_work_group(Name=name, Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://%s/out/" % bucket}})
    return name


@pytest.fixture(scope="module")
def db(athena, workgroup):
    name = "db_" + uuid.uuid4().hex[:8]
    run(athena, workgroup, "CREATE DATABASE %s" % name)
    return name


def start(athena, workgroup, sql, database=None):
    kwargs = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        kwargs["QueryExecutionContext"] = {"Database": database}
    return athena.start_query_execution(**kwargs)["QueryExecutionId"]


def wait(athena, qid, states=("SUCCEEDED", "FAILED", "CANCELLED")):
    deadline = time.monotonic() + QUERY_DEADLINE_S
    while time.monotonic() < deadline:
        q = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if q["Status"]["State"] in states:
            return q
        time.sleep(0.02)
    raise AssertionError("query %s did not reach %s" % (qid, states))


def run(athena, workgroup, sql, database=None):
    """Runs a query that must succeed; returns its QueryExecution."""
    q = wait(athena, start(athena, workgroup, sql, database))
    assert q["Status"]["State"] == "SUCCEEDED", (sql, q["Status"])
    return q


def rows(athena, workgroup, sql, database=None, header=True):
    """The rows of a query's result, every page, without the header row
    Athena puts first for a SELECT (SHOW and DESCRIBE have none)."""
    q = run(athena, workgroup, sql, database)
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=q["QueryExecutionId"])
    out = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    return out[1:] if header else out


def fail(athena, workgroup, sql, database=None):
    """Runs a query that must fail; returns its Status."""
    q = wait(athena, start(athena, workgroup, sql, database))
    assert q["Status"]["State"] == "FAILED", (sql, q["Status"])
    return q["Status"]


# --- Tables from CREATE EXTERNAL TABLE ---------------------------------------------

def test_parquet_table_partitioned(athena, s3, lake, workgroup, db):
    for part, fixture in (("region=eu", "orders-1.parquet"), ("region=us", "orders-2.parquet")):
        with open(os.path.join(FIXTURES, fixture), "rb") as f:
            s3.put_object(Bucket=lake, Key="orders_pq/%s/data.parquet" % part, Body=f.read())
    run(athena, workgroup, """
        CREATE EXTERNAL TABLE orders_pq (id bigint, name string, price double, active boolean)
        PARTITIONED BY (region string)
        STORED AS PARQUET
        LOCATION 's3://%s/orders_pq/'""" % lake, db)
    run(athena, workgroup, "MSCK REPAIR TABLE orders_pq", db)
    assert rows(athena, workgroup, "SHOW PARTITIONS orders_pq", db, header=False) == [["region=eu"], ["region=us"]]
    assert rows(athena, workgroup,
                "SELECT region, count(*), sum(price) FROM orders_pq GROUP BY region ORDER BY region",
                db) == [["eu", "5", "15.0"], ["us", "4", "39.0"]]
    assert rows(athena, workgroup,
                "SELECT id, name FROM orders_pq WHERE region = 'us' AND active ORDER BY id",
                db) == [["6", "item6"], ["8", "item8"]]
    # The statistics of a scan are there and the result is typed.
    qid = start(athena, workgroup, "SELECT max(id) AS m FROM orders_pq", db)
    q = wait(athena, qid)
    assert q["Statistics"]["DataScannedInBytes"] > 0
    meta = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["ResultSetMetadata"]
    assert meta["ColumnInfo"][0]["Type"] == "bigint"


def test_csv_table_with_delimiter_and_header(athena, s3, lake, workgroup, db):
    s3.put_object(Bucket=lake, Key="people/part-0.csv",
                  Body=b"id|name|born\n1|Ada|1815-12-10\n2|Grace|1906-12-09\n")
    s3.put_object(Bucket=lake, Key="people/part-1.csv", Body=b"id|name|born\n3|Linus|1969-12-28\n")
    run(athena, workgroup, """
        CREATE EXTERNAL TABLE people (id int, name string, born date)
        ROW FORMAT DELIMITED FIELDS TERMINATED BY '|'
        STORED AS TEXTFILE
        LOCATION 's3://%s/people/'
        TBLPROPERTIES ('skip.header.line.count'='1')""" % lake, db)
    assert rows(athena, workgroup,
                "SELECT name, year(born) FROM people WHERE born < DATE '1970-01-01' ORDER BY id",
                db) == [["Ada", "1815"], ["Grace", "1906"], ["Linus", "1969"]]
    assert rows(athena, workgroup, "DESCRIBE people", db, header=False)[0][0].startswith("id")


def test_json_table(athena, s3, lake, workgroup, db):
    s3.put_object(Bucket=lake, Key="events/2024/a.json",
                  Body=b'{"user": "u1", "n": 3, "tags": ["x", "y"]}\n{"user": "u2", "n": 5, "tags": []}\n')
    s3.put_object(Bucket=lake, Key="events/2024/b.json", Body=b'{"user": "u1", "n": 4, "tags": ["z"]}\n')
    run(athena, workgroup, """
        CREATE EXTERNAL TABLE events (user string, n int, tags array<string>)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
        LOCATION 's3://%s/events/'""" % lake, db)
    assert rows(athena, workgroup,
                "SELECT user, sum(n), sum(cardinality(tags)) FROM events GROUP BY user ORDER BY user",
                db) == [["u1", "7", "3"], ["u2", "5", "0"]]


# --- Tables from a crawler -----------------------------------------------------------

def test_tables_from_a_crawler(athena, glue, s3, lake, workgroup, db):
    for day, body in (("2024-01-01", b"sku,qty\na,1\nb,2\n"), ("2024-01-02", b"sku,qty\na,10\n")):
        s3.put_object(Bucket=lake, Key="crawled/sales/dt=%s/part.csv" % day, Body=body)
    name = "crawler_" + uuid.uuid4().hex[:8]
    glue.create_crawler(Name=name, Role="arn:aws:iam::000000000000:role/crawler", DatabaseName=db,
                        Targets={"S3Targets": [{"Path": "s3://%s/crawled/sales/" % lake}]})
    glue.start_crawler(Name=name)
    deadline = time.monotonic() + QUERY_DEADLINE_S
    while glue.get_crawler(Name=name)["Crawler"]["State"] != "READY" or \
            "LastCrawl" not in glue.get_crawler(Name=name)["Crawler"]:
        assert time.monotonic() < deadline, "crawl did not finish"
        time.sleep(0.1)
    assert glue.get_crawler(Name=name)["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
    assert rows(athena, workgroup,
                "SELECT dt, sum(qty) FROM sales GROUP BY dt ORDER BY dt", db) == [
        ["2024-01-01", "3"], ["2024-01-02", "10"]]
    assert rows(athena, workgroup, "SELECT sku FROM sales WHERE dt = '2024-01-02'", db) == [["a"]]


# --- Writes --------------------------------------------------------------------------

def test_ctas_and_insert_round_trip(athena, glue, s3, lake, workgroup, db):
    run(athena, workgroup, """
        CREATE TABLE scores WITH (format = 'PARQUET', partitioned_by = ARRAY['team'],
                                  external_location = 's3://%s/scores/')
        AS SELECT * FROM (VALUES ('ann', 10, 'red'), ('bob', 7, 'blue'), ('cy', 3, 'red'))
           AS t(player, points, team)""" % lake, db)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=lake, Prefix="scores/")["Contents"]]
    assert keys and all(k.startswith(("scores/team=red/", "scores/team=blue/")) for k in keys), keys
    body = s3.get_object(Bucket=lake, Key=keys[0])["Body"].read()
    assert body[:4] == b"PAR1" and body[-4:] == b"PAR1"
    table = glue.get_table(DatabaseName=db, Name="scores")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["team"]
    assert len(glue.get_partitions(DatabaseName=db, TableName="scores")["Partitions"]) == 2

    run(athena, workgroup, "INSERT INTO scores VALUES ('dee', 5, 'green')", db)
    assert rows(athena, workgroup,
                "SELECT team, sum(points), count(*) FROM scores GROUP BY team ORDER BY team", db) == [
        ["blue", "7", "1"], ["green", "5", "1"], ["red", "13", "2"]]


# --- Results -------------------------------------------------------------------------

def test_results_object_matches_get_query_results(athena, s3, workgroup):
    sql = ("SELECT x, 'row ' || CAST(x AS varchar) AS label, "
           "CASE WHEN x % 10 = 0 THEN NULL ELSE x * 0.5 END AS half, 'say \"hi\",' || chr(10) || 'ok ✓' AS q "
           "FROM UNNEST(sequence(1, 2500)) AS t(x) ORDER BY x")
    q = run(athena, workgroup, sql)
    qid = q["QueryExecutionId"]
    pages = list(athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=qid, PaginationConfig={"PageSize": 1000}))
    assert len(pages) == 3
    api = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    location = q["ResultConfiguration"]["OutputLocation"]
    bucket, key = location[len("s3://"):].split("/", 1)
    assert key.endswith(qid + ".csv")
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    from_s3 = [[None if v == "" else v for v in row] for row in csv.reader(io.StringIO(text))]
    assert len(api) == 2501 and api == from_s3
    assert api[10] == ["10", "row 10", None, 'say "hi",\nok ✓']
    meta = s3.get_object(Bucket=bucket, Key=key + ".metadata")["Body"].read()
    assert meta


# --- Cancellation, limits ------------------------------------------------------------

def test_stop_cancels_a_long_query(athena, workgroup):
    qid = start(athena, workgroup,
                "SELECT count(*) FROM UNNEST(sequence(1, 200000)) AS a(x) "
                "CROSS JOIN UNNEST(sequence(1, 200000)) AS b(y) WHERE (x * y) % 7 = 3")
    wait(athena, qid, states=("RUNNING",))
    time.sleep(0.2)
    stopped_at = time.monotonic()
    athena.stop_query_execution(QueryExecutionId=qid)
    q = wait(athena, qid)
    assert q["Status"]["State"] == "CANCELLED", q["Status"]
    assert time.monotonic() - stopped_at < 10
    # The engine is free again.
    assert rows(athena, workgroup, "SELECT 1") == [["1"]]


def test_workgroup_bytes_scanned_cutoff(athena, s3, lake, db):
    line = b"%d,%s\n"
    body = b"".join(line % (i, b"x" * 90) for i in range(120000))  # ~11 MB
    assert len(body) > 10_000_000
    s3.put_object(Bucket=lake, Key="big/part-0.csv", Body=body)
    results = "s3://%s/cutoff-results/" % lake
    wg = "cutoff_" + uuid.uuid4().hex[:8]
    athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": results},
        "BytesScannedCutoffPerQuery": 10_000_000})
    run(athena, wg, "CREATE EXTERNAL TABLE big (id bigint, pad string) "
                    "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://%s/big/'" % lake, db)
    # Athena cancels a query once it has read past the cutoff.
    q = wait(athena, start(athena, wg, "SELECT count(*) FROM big", db))
    assert q["Status"]["State"] == "CANCELLED", q["Status"]
    assert q["Status"]["StateChangeReason"].startswith("Bytes scanned limit was exceeded"), q["Status"]
    assert "10000000" in q["Status"]["StateChangeReason"]
    # Within the cutoff, queries run as usual.
    assert rows(athena, wg, "SELECT 40 + 2") == [["42"]]


def test_data_scanned_counts_the_parquet_columns_read(athena, workgroup, db):
    # Statistics.DataScannedInBytes is what the query read: of a Parquet
    # table, the columns it needs.
    table = "scan_" + uuid.uuid4().hex[:8]
    q = run(athena, workgroup,
            "CREATE TABLE %s WITH (format = 'PARQUET') AS SELECT i AS id, "
            "md5(CAST(i AS varchar)) || md5(CAST(i + 1 AS varchar)) AS pad "
            "FROM UNNEST(sequence(1, 50000)) AS t(i)" % table, db)
    narrow = run(athena, workgroup, "SELECT sum(id) FROM %s" % table, db)
    wide = run(athena, workgroup, "SELECT max(pad) FROM %s" % table, db)
    narrow_bytes = narrow["Statistics"]["DataScannedInBytes"]
    wide_bytes = wide["Statistics"]["DataScannedInBytes"]
    assert 0 < narrow_bytes < wide_bytes / 4, (narrow_bytes, wide_bytes)


def test_query_larger_than_its_memory_budget(athena, workgroup):
    # 8,000,000 groups hold more than the 2 x 64 MiB pool the server runs
    # with here: DuckDB spills to <data>/tmp/duckdb and answers.
    assert rows(athena, workgroup,
                "SELECT count(*) FROM (SELECT x % 8000000 AS k, count(*) FROM range(16000000) t(x) "
                "GROUP BY 1)") == [["8000000"]]


@pytest.mark.unsanitized
def test_queries_that_would_take_all_memory_fail_and_the_server_goes_on(srv, athena, workgroup):
    # Both allocate with plain `new` inside one operator, past DuckDB's
    # memory limit: a list per row over an unbounded window, and one huge
    # list. The memory guard (2 x 128 MiB + 1 GiB here) refuses their
    # allocations; without it the kernel would kill the server.
    for sql in ("SELECT count(*) FROM (SELECT x, list(x) OVER (ORDER BY x ROWS BETWEEN "
                "UNBOUNDED PRECEDING AND CURRENT ROW) AS l FROM UNNEST(sequence(1, 300000)) AS t(x))",
                "SELECT count(*) FROM (SELECT list(x) AS l FROM UNNEST(sequence(1, 200000000)) AS t(x))"):
        status = fail(athena, workgroup, sql)
        assert status["StateChangeReason"].startswith(
            "Query exhausted resources: the server's memory went past its limit"), status
        assert rows(athena, workgroup, "SELECT 1") == [["1"]]
    with open("/proc/%d/status" % srv.proc.pid) as f:
        rss_kib = int(next(l for l in f if l.startswith("VmRSS:")).split()[1])
    assert rss_kib < 1024 * 1024, "memory was not given back: %d KiB resident" % rss_kib


# --- Errors --------------------------------------------------------------------------

def test_bad_queries_fail_and_say_why(athena, workgroup, db):
    status = fail(athena, workgroup, "SELECT * FROM\n  WHERE x = 1", db)
    assert "syntax error" in status["StateChangeReason"].lower(), status
    assert "line" in status["StateChangeReason"].lower()
    status = fail(athena, workgroup, "SELECT * FROM no_such_table", db)
    assert "no_such_table" in status["StateChangeReason"], status
    status = fail(athena, workgroup, "SELECT no_such_column FROM people", db)
    assert "no_such_column" in status["StateChangeReason"], status
    status = fail(athena, workgroup, "SELECT 'abc' + 1", db)
    assert status["AthenaError"]["ErrorCategory"] == 2
    status = fail(athena, workgroup, "UPDATE people SET name = 'x'", db)
    assert "UPDATE" in status["StateChangeReason"].upper(), status
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="no_such_workgroup")
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "no_such_workgroup" in e.value.response["Error"]["Message"]
    assert fail(athena, workgroup, " ")["StateChangeReason"]
    # The server goes on serving.
    assert rows(athena, workgroup, "SELECT 7") == [["7"]]
