"""Athena through boto3 and the aws CLI: workgroups, named queries,
prepared statements, tags, the data catalog over Glue tables, queries over
Glue tables with results read back through GetQueryResults and from S3,
errors and restart survival."""

import json
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, TARN_BIN, TarnServer

ACCOUNT = "000000000000"
# A query over a few rows takes well under a second; this only keeps a
# broken server from hanging the suite.
QUERY_DEADLINE_S = 120


@pytest.fixture(scope="module")
def srv():
    if not os.path.exists(TARN_BIN):
        pytest.fail("tarn binary not found at %s" % TARN_BIN)
    s = TarnServer().start()
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


def unique(prefix):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:10])


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def results_bucket(s3):
    name = "athena-results-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def start(athena, **kwargs):
    return athena.start_query_execution(**kwargs)["QueryExecutionId"]


def wait_done(athena, qid):
    deadline = time.monotonic() + QUERY_DEADLINE_S
    while time.monotonic() < deadline:
        q = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if q["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return q
        time.sleep(0.05)
    raise AssertionError("query %s did not finish" % qid)


# --- Workgroups ------------------------------------------------------------------

def test_primary_workgroup_exists(athena):
    wg = athena.get_work_group(WorkGroup="primary")["WorkGroup"]
    assert wg["Name"] == "primary"
    assert wg["State"] == "ENABLED"
    assert wg["Configuration"]["EngineVersion"]["EffectiveEngineVersion"] == "Athena engine version 3"
    names = [w["Name"] for w in athena.list_work_groups()["WorkGroups"]]
    assert "primary" in names


def test_workgroup_crud_and_tags(athena):
    name = unique("wg")
    athena.create_work_group(
        Name=name, Description="etl",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://out/x/"},
                       "EnforceWorkGroupConfiguration": True,
                       "BytesScannedCutoffPerQuery": 10_000_000},
        Tags=[{"Key": "team", "Value": "data"}])
    with pytest.raises(ClientError) as e:
        athena.create_work_group(Name=name)
    assert code_of(e) == "InvalidRequestException"
    wg = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert wg["Description"] == "etl"
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://out/x/"
    assert wg["Configuration"]["BytesScannedCutoffPerQuery"] == 10_000_000
    athena.update_work_group(WorkGroup=name, State="DISABLED", ConfigurationUpdates={
        "ResultConfigurationUpdates": {"OutputLocation": "s3://out/y/"},
        "RemoveBytesScannedCutoffPerQuery": True})
    wg = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert wg["State"] == "DISABLED"
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://out/y/"
    assert "BytesScannedCutoffPerQuery" not in wg["Configuration"]
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup=name)
    assert code_of(e) == "InvalidRequestException"

    arn = "arn:aws:athena:%s:%s:workgroup/%s" % (REGION, ACCOUNT, name)
    athena.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    athena.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    athena.delete_work_group(WorkGroup=name)
    with pytest.raises(ClientError) as e:
        athena.get_work_group(WorkGroup=name)
    assert code_of(e) == "InvalidRequestException"
    with pytest.raises(ClientError) as e:
        athena.delete_work_group(WorkGroup="primary")
    assert code_of(e) == "InvalidRequestException"


def test_delete_non_empty_workgroup_needs_recursive(athena):
    name = unique("wg")
    athena.create_work_group(Name=name)
    athena.create_named_query(Name="n", Database="db", QueryString="SELECT 1", WorkGroup=name)
    with pytest.raises(ClientError) as e:
        athena.delete_work_group(WorkGroup=name)
    assert code_of(e) == "InvalidRequestException"
    athena.delete_work_group(WorkGroup=name, RecursiveDeleteOption=True)


# --- Named queries and prepared statements ---------------------------------------

def test_named_queries(athena):
    wg = unique("wg")
    athena.create_work_group(Name=wg)
    ids = [athena.create_named_query(Name="q%d" % i, Database="sales", QueryString="SELECT %d" % i,
                                     WorkGroup=wg)["NamedQueryId"] for i in range(3)]
    token = "t" * 40
    first = athena.create_named_query(Name="tok", Database="d", QueryString="SELECT 9",
                                      ClientRequestToken=token, WorkGroup=wg)["NamedQueryId"]
    again = athena.create_named_query(Name="tok", Database="d", QueryString="SELECT 9",
                                      ClientRequestToken=token, WorkGroup=wg)["NamedQueryId"]
    assert first == again
    page = athena.list_named_queries(WorkGroup=wg, MaxResults=2)
    assert page["NamedQueryIds"] == ids[:2]
    rest = athena.list_named_queries(WorkGroup=wg, MaxResults=2, NextToken=page["NextToken"])
    assert rest["NamedQueryIds"] == [ids[2], first]
    athena.update_named_query(NamedQueryId=ids[0], Name="renamed", QueryString="SELECT 42")
    q = athena.get_named_query(NamedQueryId=ids[0])["NamedQuery"]
    assert (q["Name"], q["QueryString"], q["Database"], q["WorkGroup"]) == ("renamed", "SELECT 42", "sales", wg)
    got = athena.batch_get_named_query(NamedQueryIds=[ids[1], "nope"])
    assert [n["NamedQueryId"] for n in got["NamedQueries"]] == [ids[1]]
    assert got["UnprocessedNamedQueryIds"][0]["NamedQueryId"] == "nope"
    athena.delete_named_query(NamedQueryId=ids[0])
    with pytest.raises(ClientError) as e:
        athena.get_named_query(NamedQueryId=ids[0])
    assert code_of(e) == "InvalidRequestException"


def test_prepared_statements(athena):
    wg = unique("wg")
    athena.create_work_group(Name=wg)
    athena.create_prepared_statement(StatementName="by_id", WorkGroup=wg,
                                     QueryStatement="SELECT * FROM t WHERE id = ?", Description="d")
    with pytest.raises(ClientError) as e:
        athena.create_prepared_statement(StatementName="by_id", WorkGroup=wg, QueryStatement="SELECT 1")
    assert code_of(e) == "InvalidRequestException"
    ps = athena.get_prepared_statement(StatementName="by_id", WorkGroup=wg)["PreparedStatement"]
    assert ps["QueryStatement"] == "SELECT * FROM t WHERE id = ?"
    assert ps["WorkGroupName"] == wg
    athena.update_prepared_statement(StatementName="by_id", WorkGroup=wg, QueryStatement="SELECT 2")
    athena.create_prepared_statement(StatementName="other", WorkGroup=wg, QueryStatement="SELECT 3")
    listed = athena.list_prepared_statements(WorkGroup=wg, MaxResults=1)
    assert [p["StatementName"] for p in listed["PreparedStatements"]] == ["by_id"]
    more = athena.list_prepared_statements(WorkGroup=wg, NextToken=listed["NextToken"])
    assert [p["StatementName"] for p in more["PreparedStatements"]] == ["other"]
    got = athena.batch_get_prepared_statement(WorkGroup=wg, PreparedStatementNames=["by_id", "gone"])
    assert [p["QueryStatement"] for p in got["PreparedStatements"]] == ["SELECT 2"]
    assert got["UnprocessedPreparedStatementNames"][0]["StatementName"] == "gone"
    athena.delete_prepared_statement(StatementName="by_id", WorkGroup=wg)
    with pytest.raises(ClientError) as e:
        athena.get_prepared_statement(StatementName="by_id", WorkGroup=wg)
    assert code_of(e) == "ResourceNotFoundException"


def test_prepare_and_deallocate_as_queries(athena, results_bucket):
    wg = unique("wg")
    athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://%s/wg/" % results_bucket}})
    qid = athena.start_query_execution(QueryString="PREPARE p1 FROM SELECT ?", WorkGroup=wg)["QueryExecutionId"]
    q = wait_done(athena, qid)
    assert q["Status"]["State"] == "SUCCEEDED"
    assert q["StatementType"] == "UTILITY"
    assert athena.get_prepared_statement(StatementName="p1", WorkGroup=wg)["PreparedStatement"]["QueryStatement"] == "SELECT ?"
    qid = athena.start_query_execution(QueryString="DEALLOCATE PREPARE p1", WorkGroup=wg)["QueryExecutionId"]
    assert wait_done(athena, qid)["Status"]["State"] == "SUCCEEDED"
    with pytest.raises(ClientError) as e:
        athena.get_prepared_statement(StatementName="p1", WorkGroup=wg)
    assert code_of(e) == "ResourceNotFoundException"
    ids = athena.list_query_executions(WorkGroup=wg)["QueryExecutionIds"]
    assert ids[0] == qid and len(ids) == 2  # newest first


# --- Catalog ---------------------------------------------------------------------

def test_catalog_over_glue(athena, glue):
    db = unique("adb")
    glue.create_database(DatabaseInput={"Name": db, "Description": "sales data"})
    glue.create_table(DatabaseName=db, TableInput={
        "Name": "orders", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint", "Comment": "key"}, {"Name": "item", "Type": "string"}],
            "Location": "s3://lake/orders/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    cats = athena.list_data_catalogs()["DataCatalogsSummary"]
    assert {"CatalogName": "AwsDataCatalog", "Type": "GLUE"} in cats
    assert athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]["Type"] == "GLUE"
    names = []
    kwargs = {"CatalogName": "AwsDataCatalog"}
    while True:
        page = athena.list_databases(**kwargs)
        names += [d["Name"] for d in page["DatabaseList"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert db in names
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=db)["Database"]["Description"] == "sales data"
    t = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db, TableName="orders")["TableMetadata"]
    assert t["Name"] == "orders"
    assert t["TableType"] == "EXTERNAL_TABLE"
    assert t["Columns"] == [{"Name": "id", "Type": "bigint", "Comment": "key"}, {"Name": "item", "Type": "string"}]
    assert t["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert t["Parameters"]["location"] == "s3://lake/orders/"
    assert t["Parameters"]["serde.param.field.delim"] == ","
    assert t["Parameters"]["classification"] == "csv"
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db)["TableMetadataList"]
    assert [x["Name"] for x in listed] == ["orders"]
    with pytest.raises(ClientError) as e:
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db, TableName="nope")
    assert code_of(e) == "MetadataException"
    with pytest.raises(ClientError) as e:
        athena.list_databases(CatalogName="other")
    assert code_of(e) == "MetadataException"


# --- Errors ----------------------------------------------------------------------

def test_errors(athena):
    with pytest.raises(ClientError) as e:
        athena.get_query_execution(QueryExecutionId="no-such-query")
    assert code_of(e) == "InvalidRequestException"
    assert e.value.response["AthenaErrorCode"] == "INVALID_INPUT"
    with pytest.raises(ClientError) as e:
        athena.list_notebook_metadata(WorkGroup="primary")
    assert code_of(e) == "UnknownOperationException"
    assert "ListNotebookMetadata" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1")  # primary has no output location
    assert code_of(e) == "InvalidRequestException"
    assert e.value.response["Error"]["Message"].startswith("No output location provided")
    with pytest.raises(ClientError) as e:
        athena.get_work_group(WorkGroup="bad name!")
    assert code_of(e) == "InvalidRequestException"
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name!' at 'workGroup' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9._-]{1,128}")
    # Nested members are named by their path.
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={
            "OutputLocation": "/tmp/results", "EncryptionConfiguration": {"EncryptionOption": "X"}})
    assert code_of(e) == "InvalidRequestException"
    message = e.value.response["Error"]["Message"]
    assert message.startswith("2 validation errors detected: "), message
    assert "'resultConfiguration.outputLocation'" in message
    assert "'resultConfiguration.encryptionConfiguration.encryptionOption'" in message


def test_cli_lists_workgroups(srv):
    out = srv.aws("athena", "list-work-groups", "--output", "json")
    assert "primary" in [w["Name"] for w in json.loads(out.stdout)["WorkGroups"]]


# --- Restart ---------------------------------------------------------------------

def test_workgroups_and_history_survive_restart():
    s = TarnServer().start()
    try:
        a = s.client("athena")
        s.client("s3").create_bucket(Bucket="out")
        a.create_work_group(Name="kept", Configuration={"ResultConfiguration": {"OutputLocation": "s3://out/r/"}})
        a.create_named_query(Name="n", Database="d", QueryString="SELECT 1", WorkGroup="kept")
        qid = a.start_query_execution(QueryString="PREPARE s FROM SELECT 1", WorkGroup="kept")["QueryExecutionId"]
        assert s.stop() == 0
        s.start()
        a = s.client("athena")
        assert a.get_work_group(WorkGroup="kept")["WorkGroup"]["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://out/r/"
        assert len(a.list_named_queries(WorkGroup="kept")["NamedQueryIds"]) == 1
        assert a.list_query_executions(WorkGroup="kept")["QueryExecutionIds"] == [qid]
        assert a.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    finally:
        s.cleanup()


# --- Queries (need the engine) ---------------------------------------------------

def test_select_one(athena, s3, results_bucket):
    out = "s3://%s/select1/" % results_bucket
    qid = start(athena, QueryString="SELECT 1 AS one, 'a\"b' AS s, NULL AS n",
                        ResultConfiguration={"OutputLocation": out})
    q = wait_done(athena, qid)
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    assert q["ResultConfiguration"]["OutputLocation"] == out + qid + ".csv"
    res = athena.get_query_results(QueryExecutionId=qid)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in res["ResultSet"]["Rows"]]
    assert rows == [["one", "s", "n"], ["1", 'a"b', None]]
    cols = res["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Name"] for c in cols] == ["one", "s", "n"]
    body = s3.get_object(Bucket=results_bucket, Key="select1/%s.csv" % qid)["Body"].read().decode()
    assert body.splitlines()[0] == '"one","s","n"'


def test_query_over_glue_table(athena, glue, s3, results_bucket):
    db = unique("qdb")
    lake = "lake-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=lake)
    s3.put_object(Bucket=lake, Key="orders/part-0.csv", Body=b"1,apple\n2,pear\n3,fig\n")
    glue.create_database(DatabaseInput={"Name": db})
    glue.create_table(DatabaseName=db, TableInput={
        "Name": "orders", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv"},
        "StorageDescriptor": {
            "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "item", "Type": "string"}],
            "Location": "s3://%s/orders/" % lake,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    qid = start(athena, QueryString="SELECT id, item FROM orders WHERE id >= 2 ORDER BY id",
                        QueryExecutionContext={"Database": db},
                        ResultConfiguration={"OutputLocation": "s3://%s/q/" % results_bucket})
    q = wait_done(athena, qid)
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=qid, PaginationConfig={"PageSize": 2})
    rows = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    assert rows == [["id", "item"], ["2", "pear"], ["3", "fig"]]
    stats = athena.get_query_runtime_statistics(QueryExecutionId=qid)["QueryRuntimeStatistics"]
    assert stats["Rows"]["OutputRows"] == 2


def test_execute_prepared_statement(athena, results_bucket):
    wg = unique("wg")
    athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://%s/exec/" % results_bucket}})
    athena.create_prepared_statement(StatementName="plus", WorkGroup=wg, QueryStatement="SELECT ? + 1 AS v")
    qid = start(athena, QueryString="EXECUTE plus USING 41", WorkGroup=wg)
    assert wait_done(athena, qid)["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "42"


def test_failed_query_and_stop(athena, results_bucket):
    out = {"OutputLocation": "s3://%s/fail/" % results_bucket}
    qid = start(athena, QueryString="SELEC 1", ResultConfiguration=out)
    q = wait_done(athena, qid)
    assert q["Status"]["State"] == "FAILED"
    assert q["Status"]["AthenaError"]["ErrorCategory"] == 2
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=qid)
    assert code_of(e) == "InvalidRequestException"
    # Stopping a finished query is a no-op success.
    athena.stop_query_execution(QueryExecutionId=qid)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "FAILED"
