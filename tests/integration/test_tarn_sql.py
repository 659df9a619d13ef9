"""`tarn sql` against a running server: a query over a Glue table whose data
is in tarn's S3, printed as an aligned table, CSV or JSON lines; SQL from
stdin; a failing query's reason and exit status; credentials from the
environment as the aws CLI takes them."""

import json
import os
import subprocess

import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, TARN_BIN, TarnServer


@pytest.fixture(scope="module")
def srv():
    s = TarnServer().start()
    s3, glue = s.client("s3"), s.client("glue")
    s3.create_bucket(Bucket="sqllake")
    s3.put_object(Bucket="sqllake", Key="people/a.csv",
                  Body=b"name,age,city\nann,31,Oslo\nbob,27,\n\"cy, jr\",45,Rome\n")
    glue.create_database(DatabaseInput={"Name": "hr"})
    glue.create_table(DatabaseName="hr", TableInput={
        "Name": "people", "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "StorageDescriptor": {
            "Columns": [{"Name": "name", "Type": "string"}, {"Name": "age", "Type": "int"},
                        {"Name": "city", "Type": "string"}],
            "Location": "s3://sqllake/people/",
            "SerdeInfo": {"SerializationLibrary":
                          "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    yield s
    assert s.stop() == 0
    s.cleanup()


def sql(srv, *args, stdin=None, env_extra=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
           "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_REGION": REGION, "AWS_ENDPOINT_URL": srv.endpoint}
    env.update(env_extra or {})
    return subprocess.run([TARN_BIN, "sql", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def test_aligned_table(srv):
    r = sql(srv, "--database", "hr", "SELECT name, age FROM people WHERE age > 30 ORDER BY age")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        " name   | age",
        "--------+-----",
        " ann    | 31",
        " cy, jr | 45",
        "(2 rows)",
    ]


def test_csv_json_and_nulls(srv):
    r = sql(srv, "--format", "csv", "SELECT name, city FROM hr.people ORDER BY name")
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'name,city\nann,Oslo\nbob,\n"cy, jr",Rome\n'
    r = sql(srv, "--format", "json", "SELECT name, city FROM hr.people WHERE name = 'bob'")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line) for line in r.stdout.splitlines()] == [{"name": "bob", "city": None}]


def test_stdin_and_catalog_statements(srv):
    r = sql(srv, "--database", "hr", stdin="SELECT count(*) AS n FROM people;\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[2].strip() == "3"
    r = sql(srv, "--database", "hr", "--format", "csv", "SHOW TABLES")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tab_name\npeople\n"


def test_failures_say_why(srv):
    r = sql(srv, "--database", "hr", "SELECT nope FROM people")
    assert r.returncode == 1
    assert "FAILED" in r.stderr and "nope" in r.stderr
    r = sql(srv, "SELECT 1", env_extra={"AWS_SECRET_ACCESS_KEY": "wrong"})
    assert r.returncode == 1
    assert "Signature" in r.stderr or "signature" in r.stderr
    r = sql(srv, "SELECT 1", env_extra={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert r.returncode == 2
    assert "cannot reach tarn" in r.stderr
    r = sql(srv, stdin="  ")
    assert r.returncode == 2
    r = sql(srv, "SELECT 1", env_extra={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert r.returncode == 2
    assert "no credentials" in r.stderr
