"""Glue crawlers and classifiers through boto3 and the aws CLI: CRUD, paging,
tags, errors, restart survival, and end-to-end crawls of data uploaded to
tarn's S3 (Hive-partitioned CSV, gzip JSON lines under unnamed folders,
Parquet, two datasets under one path, exclusions, recrawls, StopCrawler,
kill -9 mid-crawl). One server for the module; restart tests start their
own."""

import gzip
import json
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, TARN_BIN, TarnServer

ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::000000000000:role/glue-crawler"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# A crawl of a few files takes well under a second here; this only keeps a
# broken server from hanging the suite.
CRAWL_DEADLINE_S = 180


@pytest.fixture(scope="module")
def gs():
    if not os.path.exists(TARN_BIN):
        pytest.fail("tarn binary not found at %s" % TARN_BIN)
    s = TarnServer().start()
    yield s
    assert s.stop() == 0
    s.cleanup()


@pytest.fixture(scope="module")
def glue(gs):
    return gs.client("glue")


@pytest.fixture(scope="module")
def s3(gs):
    return gs.client("s3")


def unique(prefix):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def lake(s3):
    """A new bucket for one test's data."""
    name = "crawl-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    return name


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status_of(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def s3_target(path, **extra):
    t = {"Path": path}
    t.update(extra)
    return {"S3Targets": [t]}


def create(glue, name, path="s3://lake/x/", **extra):
    args = {"Name": name, "Role": ROLE, "Targets": s3_target(path)}
    args.update(extra)
    glue.create_crawler(**args)
    return name


def start(glue, name):
    glue.start_crawler(Name=name)


def wait_ready(glue, name):
    deadline = time.monotonic() + CRAWL_DEADLINE_S
    while True:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler["State"] == "READY":
            return crawler
        assert time.monotonic() < deadline, "crawler %s still %s" % (name, crawler["State"])
        time.sleep(0.1)


def crawl(glue, name):
    start(glue, name)
    crawler = wait_ready(glue, name)
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler["LastCrawl"]
    return crawler


def columns(table):
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def partition_values(glue, db, table):
    out = []
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=db, TableName=table):
        out += [tuple(p["Values"]) for p in page["Partitions"]]
    return sorted(out)


def put(s3, bucket, key, body):
    s3.put_object(Bucket=bucket, Key=key, Body=body)


# ------------------------------------------------------------------ CRUD


def test_create_get_update_delete_round_trip(glue):
    name = unique("crawler")
    glue.create_crawler(
        Name=name, Role=ROLE, DatabaseName="Analytics", Description="daily sales",
        Targets=s3_target("s3://lake/sales/", Exclusions=["**.tmp"], SampleSize=10),
        TablePrefix="raw_", Schedule="cron(15 2 * * ? *)",
        SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
        LineageConfiguration={"CrawlerLineageSettings": "DISABLE"},
        Configuration='{"Version":1.0,"Grouping":{"TableGroupingPolicy":"CombineCompatibleSchemas"}}',
        Tags={"team": "data"})
    c = glue.get_crawler(Name=name)["Crawler"]
    assert c["Name"] == name
    assert c["Role"] == ROLE
    assert c["DatabaseName"] == "analytics"
    assert c["Description"] == "daily sales"
    assert c["Targets"]["S3Targets"] == [
        {"Path": "s3://lake/sales/", "Exclusions": ["**.tmp"], "SampleSize": 10}]
    assert c["Targets"]["JdbcTargets"] == []
    assert c["TablePrefix"] == "raw_"
    assert c["Schedule"] == {"ScheduleExpression": "cron(15 2 * * ? *)", "State": "SCHEDULED"}
    assert c["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert c["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert json.loads(c["Configuration"])["Version"] == 1.0
    assert c["State"] == "READY"
    assert c["Version"] == 1
    assert c["CrawlElapsedTime"] == 0
    assert "LastCrawl" not in c
    assert c["CreationTime"] == c["LastUpdated"]

    glue.update_crawler(Name=name, Description="hourly", Schedule="cron(0 * * * ? *)",
                        Targets=s3_target("s3://lake/sales/v2/"))
    c = glue.get_crawler(Name=name)["Crawler"]
    assert c["Version"] == 2
    assert c["Description"] == "hourly"
    assert c["Schedule"]["ScheduleExpression"] == "cron(0 * * * ? *)"
    assert c["Targets"]["S3Targets"][0]["Path"] == "s3://lake/sales/v2/"
    assert c["TablePrefix"] == "raw_"  # untouched members stay

    glue.delete_crawler(Name=name)
    with pytest.raises(ClientError) as e:
        glue.get_crawler(Name=name)
    assert code_of(e) == "EntityNotFoundException"
    assert status_of(e) == 400


def test_paging_list_filter_batch_and_metrics(glue):
    tag = uuid.uuid4().hex[:8]
    names = sorted(unique("pg") for _ in range(5))
    for i, n in enumerate(names):
        create(glue, n, Tags={"suite": tag, "parity": str(i % 2)})

    seen = []
    for page in glue.get_paginator("get_crawlers").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["Crawlers"]) <= 2
        seen += [c["Name"] for c in page["Crawlers"]]
    assert [n for n in seen if n in names] == names

    listed = []
    token = None
    while True:
        kwargs = {"MaxResults": 2, "Tags": {"suite": tag}}
        if token:
            kwargs["NextToken"] = token
        page = glue.list_crawlers(**kwargs)
        listed += page["CrawlerNames"]
        token = page.get("NextToken")
        if not token:
            break
    assert listed == names
    even = glue.list_crawlers(Tags={"suite": tag, "parity": "0"})["CrawlerNames"]
    assert even == [names[0], names[2], names[4]]

    got = glue.batch_get_crawlers(CrawlerNames=[names[0], "no-such-crawler"])
    assert [c["Name"] for c in got["Crawlers"]] == [names[0]]
    assert got["CrawlersNotFound"] == ["no-such-crawler"]

    metrics = glue.get_crawler_metrics(CrawlerNameList=names[:2])["CrawlerMetricsList"]
    assert [m["CrawlerName"] for m in metrics] == names[:2]
    assert metrics[0]["TablesCreated"] == 0
    assert metrics[0]["StillEstimating"] is False
    for n in names:
        glue.delete_crawler(Name=n)


def test_tags_on_crawler_arns(glue):
    name = create(glue, unique("tag"), Tags={"a": "1"})
    arn = "arn:aws:glue:%s:%s:crawler/%s" % (REGION, ACCOUNT, name)
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"a": "1"}
    glue.tag_resource(ResourceArn=arn, TagsToAdd={"b": "2"})
    glue.untag_resource(ResourceArn=arn, TagsToRemove=["a"])
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as e:
        glue.get_tags(ResourceArn="arn:aws:glue:%s:%s:crawler/none" % (REGION, ACCOUNT))
    assert code_of(e) == "EntityNotFoundException"
    glue.delete_crawler(Name=name)


def test_errors(glue):
    name = create(glue, unique("err"))
    with pytest.raises(ClientError) as e:
        create(glue, name)
    assert code_of(e) == "AlreadyExistsException"

    with pytest.raises(ClientError) as e:
        glue.stop_crawler(Name=name)
    assert code_of(e) == "CrawlerNotRunningException"
    assert status_of(e) == 400

    for op in (glue.start_crawler, glue.stop_crawler, glue.delete_crawler, glue.get_crawler):
        with pytest.raises(ClientError) as e:
            op(Name="no-such-crawler")
        assert code_of(e) == "EntityNotFoundException", op

    with pytest.raises(ClientError) as e:
        glue.create_crawler(Name=unique("jdbc"), Role=ROLE, Targets={
            "S3Targets": [{"Path": "s3://lake/x/"}],
            "JdbcTargets": [{"ConnectionName": "pg", "Path": "db/%"}]})
    assert code_of(e) == "InvalidInputException"
    assert "JdbcTargets" in e.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as e:
        glue.create_crawler(Name=unique("ddb"), Role=ROLE,
                            Targets={"DynamoDBTargets": [{"Path": "orders"}]})
    assert code_of(e) == "InvalidInputException"
    assert "DynamoDBTargets" in e.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as e:
        create(glue, unique("cron"), Schedule="cron(0 12 * * * *)")
    assert code_of(e) == "InvalidInputException"
    assert "schedule" in e.value.response["Error"]["Message"].lower()

    with pytest.raises(ClientError) as e:
        create(glue, unique("path"), path="/local/dir")
    assert code_of(e) == "InvalidInputException"

    with pytest.raises(ClientError) as e:
        glue.update_crawler(Name="no-such-crawler", Description="x")
    assert code_of(e) == "EntityNotFoundException"
    glue.delete_crawler(Name=name)


def test_classifiers_crud(glue):
    csv_name, json_name = unique("csv"), unique("json")
    glue.create_classifier(CsvClassifier={
        "Name": csv_name, "Delimiter": "|", "QuoteSymbol": "'", "ContainsHeader": "ABSENT",
        "Header": ["id", "label"], "DisableValueTrimming": False, "AllowSingleColumn": False})
    glue.create_classifier(JsonClassifier={"Name": json_name, "JsonPath": "$[*]"})

    c = glue.get_classifier(Name=csv_name)["Classifier"]["CsvClassifier"]
    assert (c["Delimiter"], c["QuoteSymbol"], c["ContainsHeader"]) == ("|", "'", "ABSENT")
    assert c["Header"] == ["id", "label"]
    assert c["Version"] == 1
    j = glue.get_classifier(Name=json_name)["Classifier"]["JsonClassifier"]
    assert j["JsonPath"] == "$[*]"

    glue.update_classifier(CsvClassifier={"Name": csv_name, "ContainsHeader": "PRESENT"})
    c = glue.get_classifier(Name=csv_name)["Classifier"]["CsvClassifier"]
    assert c["ContainsHeader"] == "PRESENT"
    assert c["Delimiter"] == "|"
    assert c["Version"] == 2

    names = []
    for page in glue.get_paginator("get_classifiers").paginate(PaginationConfig={"PageSize": 1}):
        assert len(page["Classifiers"]) <= 1
        for cl in page["Classifiers"]:
            names.append(list(cl.values())[0]["Name"])
    assert csv_name in names and json_name in names

    with pytest.raises(ClientError) as e:
        glue.create_classifier(JsonClassifier={"Name": json_name, "JsonPath": "$"})
    assert code_of(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        glue.create_classifier(GrokClassifier={
            "Name": unique("grok"), "Classification": "logs", "GrokPattern": "%{COMBINEDAPACHELOG}"})
    assert code_of(e) == "InvalidInputException"
    assert "GrokClassifier" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        glue.create_classifier(XMLClassifier={"Name": unique("xml"), "Classification": "x",
                                              "RowTag": "row"})
    assert code_of(e) == "InvalidInputException"
    with pytest.raises(ClientError) as e:
        glue.update_classifier(JsonClassifier={"Name": csv_name, "JsonPath": "$"})
    assert code_of(e) == "InvalidInputException"

    glue.delete_classifier(Name=csv_name)
    glue.delete_classifier(Name=json_name)
    with pytest.raises(ClientError) as e:
        glue.get_classifier(Name=csv_name)
    assert code_of(e) == "EntityNotFoundException"


def test_aws_cli(gs):
    name = unique("cli")
    gs.aws("glue", "create-crawler", "--name", name, "--role", ROLE, "--database-name", "cli_db",
           "--targets", json.dumps(s3_target("s3://lake/cli/")))
    out = json.loads(gs.aws("glue", "get-crawler", "--name", name).stdout)
    assert out["Crawler"]["State"] == "READY"
    assert out["Crawler"]["Targets"]["S3Targets"][0]["Path"] == "s3://lake/cli/"
    names = json.loads(gs.aws("glue", "list-crawlers").stdout)["CrawlerNames"]
    assert name in names
    failed = gs.aws("glue", "stop-crawler", "--name", name, check=False)
    assert failed.returncode != 0
    assert b"CrawlerNotRunningException" in failed.stderr
    gs.aws("glue", "delete-crawler", "--name", name)


def test_crawlers_survive_restart(fresh_server):
    s = fresh_server.start()
    glue = s.client("glue")
    create(glue, "durable", DatabaseName="db", Tags={"k": "v"})
    glue.update_crawler(Name="durable", Description="after update")
    glue.create_classifier(CsvClassifier={"Name": "semi", "Delimiter": ";"})
    s.restart()
    glue = s.client("glue")
    c = glue.get_crawler(Name="durable")["Crawler"]
    assert (c["Version"], c["Description"], c["State"]) == (2, "after update", "READY")
    arn = "arn:aws:glue:%s:%s:crawler/durable" % (REGION, ACCOUNT)
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"k": "v"}
    assert glue.get_classifier(Name="semi")["Classifier"]["CsvClassifier"]["Delimiter"] == ";"
    assert s.stop() == 0


# ------------------------------------------------------ end-to-end crawls


def test_crawl_hive_partitioned_csv_and_recrawl(glue, s3, lake):
    parts = [("2024", "01"), ("2024", "02"), ("2025", "01")]
    for year, month in parts:
        put(s3, lake, "sales/year=%s/month=%s/part-0.csv" % (year, month),
            b"id,product,amount\n1,apple,1.25\n2,pear,2.50\n3,plum,0.75\n")
    db = unique("crawl_csv")
    name = create(glue, unique("csv"), path="s3://%s/sales/" % lake, DatabaseName=db)
    crawler = crawl(glue, name)
    assert crawler["LastCrawl"]["LogGroup"] == "/aws-glue/crawlers"
    assert crawler["LastCrawl"]["LogStream"] == name

    table = glue.get_table(DatabaseName=db, Name="sales")["Table"]
    assert columns(table) == [("id", "bigint"), ("product", "string"), ("amount", "double")]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month"]
    assert table["Parameters"]["classification"] == "csv"
    assert table["StorageDescriptor"]["Location"].rstrip("/") == "s3://%s/sales" % lake
    assert partition_values(glue, db, "sales") == sorted(parts)
    version = table["VersionId"]

    metrics = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 1
    assert metrics["StillEstimating"] is False
    assert metrics["TimeLeftSeconds"] == 0

    # New partitions arrive: the recrawl adds just them, the schema is the same.
    put(s3, lake, "sales/year=2025/month=02/part-0.csv", b"id,product,amount\n9,fig,3.00\n")
    crawl(glue, name)
    assert partition_values(glue, db, "sales") == sorted(parts + [("2025", "02")])
    table = glue.get_table(DatabaseName=db, Name="sales")["Table"]
    assert table["VersionId"] == version
    metrics = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert (metrics["TablesCreated"], metrics["TablesUpdated"]) == (0, 0)
    assert metrics["MedianRuntimeSeconds"] >= 0


def test_crawl_gzip_json_lines_under_unnamed_folders(glue, s3, lake):
    files = {"events/2024/01/a.json.gz": [{"user": "u1", "n": 1}, {"user": "u2", "n": 2}],
             "events/2024/02/b.json.gz": [{"user": "u3", "n": 3}],
             "events/2025/01/c.json.gz": [{"user": "u4", "n": 4}]}
    for key, rows in files.items():
        body = "".join(json.dumps(r) + "\n" for r in rows).encode()
        put(s3, lake, key, gzip.compress(body))
    db = unique("crawl_json")
    name = create(glue, unique("json"), path="s3://%s/events/" % lake, DatabaseName=db)
    crawl(glue, name)
    table = glue.get_table(DatabaseName=db, Name="events")["Table"]
    assert columns(table) == [("user", "string"), ("n", "bigint")]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["partition_0", "partition_1"]
    assert table["Parameters"]["classification"] == "json"
    assert partition_values(glue, db, "events") == [("2024", "01"), ("2024", "02"), ("2025", "01")]


def test_crawl_parquet(glue, s3, lake):
    for f in ("orders-1.parquet", "orders-2.parquet"):
        with open(os.path.join(FIXTURES, f), "rb") as fh:
            put(s3, lake, "orders/" + f, fh.read())
    db = unique("crawl_pq")
    name = create(glue, unique("pq"), path="s3://%s/orders/" % lake, DatabaseName=db,
                  TablePrefix="raw_")
    crawl(glue, name)
    table = glue.get_table(DatabaseName=db, Name="raw_orders")["Table"]
    assert columns(table) == [("id", "bigint"), ("name", "string"), ("price", "double"),
                              ("active", "boolean")]
    assert table["PartitionKeys"] == []
    assert table["Parameters"]["classification"] == "parquet"


def test_incompatible_datasets_become_two_tables(glue, s3, lake):
    put(s3, lake, "mixed/customers/c1.csv", b"customer_id,city\n1,Oslo\n2,Bergen\n")
    put(s3, lake, "mixed/customers/c2.csv", b"customer_id,city\n3,Tromso\n")
    put(s3, lake, "mixed/clicks/k1.json", b'{"url": "/a", "ms": 12}\n{"url": "/b", "ms": 7}\n')
    db = unique("crawl_mixed")
    name = create(glue, unique("mixed"), path="s3://%s/mixed/" % lake, DatabaseName=db)
    crawl(glue, name)
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=db)["TableList"]}
    assert sorted(tables) == ["clicks", "customers"]
    assert columns(tables["customers"]) == [("customer_id", "bigint"), ("city", "string")]
    assert columns(tables["clicks"]) == [("url", "string"), ("ms", "bigint")]
    metrics = glue.get_crawler_metrics(CrawlerNameList=[name])["CrawlerMetricsList"][0]
    assert metrics["TablesCreated"] == 2


def test_exclusions_leave_files_out(glue, s3, lake):
    put(s3, lake, "logs/day1.csv", b"level,msg\nINFO,started\nWARN,slow\n")
    put(s3, lake, "logs/day2.csv", b"level,msg\nINFO,stopped\n")
    # Would be a second, JSON table under logs/ without the exclusion.
    put(s3, lake, "logs/tmp/scratch.json", b'{"x": 1}\n')
    db = unique("crawl_excl")
    name = unique("excl")
    glue.create_crawler(Name=name, Role=ROLE, DatabaseName=db,
                        Targets=s3_target("s3://%s/logs/" % lake, Exclusions=["tmp/**"]))
    crawl(glue, name)
    tables = glue.get_tables(DatabaseName=db)["TableList"]
    assert [t["Name"] for t in tables] == ["logs"]
    assert columns(tables[0]) == [("level", "string"), ("msg", "string")]
    assert tables[0]["PartitionKeys"] == []


def upload_many(s3, bucket, prefix, count):
    """count one-file folders: a crawl samples each one."""
    for i in range(count):
        put(s3, bucket, "%s/batch=%04d/f.csv" % (prefix, i), b"a,b\n%d,x\n" % i)


def test_running_crawler_refuses_changes_and_stops_cancelled(glue, s3, lake):
    upload_many(s3, lake, "many", 400)
    db = unique("crawl_stop")
    name = create(glue, unique("stop"), path="s3://%s/many/" % lake, DatabaseName=db)
    start(glue, name)
    c = glue.get_crawler(Name=name)["Crawler"]
    assert c["State"] == "RUNNING", c
    for call in (lambda: glue.start_crawler(Name=name),
                 lambda: glue.update_crawler(Name=name, Description="x"),
                 lambda: glue.delete_crawler(Name=name)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == "CrawlerRunningException"
        assert status_of(e) == 400
    glue.stop_crawler(Name=name)
    c = glue.get_crawler(Name=name)["Crawler"]
    assert c["State"] in ("STOPPING", "READY")
    c = wait_ready(glue, name)
    assert c["LastCrawl"]["Status"] == "CANCELLED"
    glue.delete_crawler(Name=name)


def test_kill9_during_a_crawl_fails_it_after_restart(fresh_server):
    s = fresh_server.start()
    s3, glue = s.client("s3"), s.client("glue")
    s3.create_bucket(Bucket="lake")
    upload_many(s3, "lake", "many", 400)
    create(glue, "interrupted", path="s3://lake/many/", DatabaseName="db")
    start(glue, "interrupted")
    assert glue.get_crawler(Name="interrupted")["Crawler"]["State"] == "RUNNING"
    s.kill9()
    s.start()
    glue = s.client("glue")
    c = glue.get_crawler(Name="interrupted")["Crawler"]
    assert c["State"] == "READY"
    assert c["LastCrawl"]["Status"] == "FAILED"
    assert c["LastCrawl"]["ErrorMessage"] == "the server stopped during the crawl"
    # And it crawls again.
    crawl(glue, "interrupted")
    assert s.stop() == 0


def test_sigterm_during_a_crawl_stops_cleanly(fresh_server):
    s = fresh_server.start()
    s3, glue = s.client("s3"), s.client("glue")
    s3.create_bucket(Bucket="lake")
    upload_many(s3, "lake", "many", 400)
    create(glue, "cut", path="s3://lake/many/", DatabaseName="db")
    start(glue, "cut")
    assert s.stop() == 0  # the crawl thread is stopped and joined
    s.start()
    c = s.client("glue").get_crawler(Name="cut")["Crawler"]
    assert c["State"] == "READY"
    assert c["LastCrawl"]["Status"] == "FAILED"
    assert s.stop() == 0
