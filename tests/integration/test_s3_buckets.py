"""S3 bucket operations through boto3: CreateBucket, HeadBucket, DeleteBucket,
ListBuckets, GetBucketLocation, and path- and virtual-host-style addressing."""

import urllib.parse
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY, TarnServer


def new_name():
    return "it-" + uuid.uuid4().hex[:20]


def client_error(excinfo):
    """(code, http status) of a botocore ClientError."""
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


# ------------------------------------------------------------ CreateBucket

@pytest.mark.parametrize("name", [
    "ab",                      # too short
    "a" * 64,                  # too long
    "UpperCase",               # uppercase
    "under_score",             # underscore
    "-leading-hyphen",
    "trailing-hyphen-",
    ".leading-dot",
    "trailing-dot.",
    "double..dot",
    "192.168.5.4",             # formatted like an IP address
    "xn--punycode",            # reserved prefix
    "sthree-bucket",           # reserved prefix
    "amzn-s3-demo-bucket",     # reserved prefix
    "bucket-s3alias",          # reserved suffix
    "bucket--ol-s3",           # reserved suffix
    "bucket--x-s3",            # reserved suffix
    "_tarnish",                # '_' names are tarn's own
])
def test_create_bucket_invalid_name(s3, name):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert client_error(e) == ("InvalidBucketName", 400)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert name not in names


@pytest.mark.parametrize("name", ["abc", "a" * 63, "a.b-c.9", "1-2-3", "0.1.2", "my.bucket.name"])
def test_create_bucket_valid_edge_names(s3, name):
    resp = s3.create_bucket(Bucket=name)
    try:
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert resp["Location"] == "/" + name
        s3.head_bucket(Bucket=name)
    finally:
        s3.delete_bucket(Bucket=name)


def test_create_bucket_twice_is_already_owned_by_you(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=bucket)
    assert client_error(e) == ("BucketAlreadyOwnedByYou", 409)
    assert e.value.response["Error"]["Resource"] == "/" + bucket


def test_create_bucket_other_region_constraint_is_rejected(s3):
    name = new_name()
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name,
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert client_error(e) == ("IllegalLocationConstraintException", 400)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert client_error(e) == ("404", 404)


def test_create_bucket_malformed_configuration(raw_s3, s3):
    name = new_name()
    r = raw_s3.request("PUT", "/" + name, body=b"<CreateBucketConfiguration><Loc")
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_bucket_in_non_default_region():
    server = TarnServer(extra_args=["--region", "eu-central-1"]).start()
    try:
        c = boto3.client("s3", endpoint_url=server.endpoint, region_name="eu-central-1",
                         aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                         config=Config(retries={"max_attempts": 1},
                                       s3={"addressing_style": "path"}))
        c.create_bucket(Bucket="regional",
                        CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        assert c.get_bucket_location(Bucket="regional")["LocationConstraint"] == "eu-central-1"
        head = c.head_bucket(Bucket="regional")
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-central-1"
        with pytest.raises(ClientError) as e:
            c.create_bucket(Bucket="elsewhere",
                            CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        assert client_error(e) == ("IllegalLocationConstraintException", 400)
    finally:
        assert server.stop() == 0
        server.cleanup()


# -------------------------------------------------------------- HeadBucket

def test_head_bucket(s3, bucket):
    resp = s3.head_bucket(Bucket=bucket)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == REGION


def test_head_missing_bucket_is_404(s3):
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=new_name())
    assert client_error(e) == ("404", 404)


# ------------------------------------------------------------ DeleteBucket

def test_delete_bucket_not_empty_then_empty(s3):
    name = new_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert client_error(e) == ("BucketNotEmpty", 409)
    assert e.value.response["Error"]["Resource"] == "/" + name
    # Still there, object intact.
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"x"
    s3.delete_object(Bucket=name, Key="k")
    resp = s3.delete_bucket(Bucket=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert client_error(e) == ("404", 404)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_missing_bucket_is_no_such_bucket(s3):
    name = new_name()
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert client_error(e) == ("NoSuchBucket", 404)
    assert e.value.response["Error"]["Resource"] == "/" + name


def test_delete_bucket_with_only_pending_uploads(s3):
    # S3 deletes a bucket whose only content is incomplete multipart
    # uploads; the uploads go with it.
    name = new_name()
    s3.create_bucket(Bucket=name)
    up = s3.create_multipart_upload(Bucket=name, Key="pending")["UploadId"]
    s3.upload_part(Bucket=name, Key="pending", UploadId=up, PartNumber=1, Body=b"part")
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.create_bucket(Bucket=name)
    try:
        assert s3.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
        with pytest.raises(ClientError) as e:
            s3.list_parts(Bucket=name, Key="pending", UploadId=up)
        assert client_error(e) == ("NoSuchUpload", 404)
    finally:
        s3.delete_bucket(Bucket=name)


def test_bucket_name_can_be_reused_after_delete(s3):
    name = new_name()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="old", Body=b"old")
    s3.delete_object(Bucket=name, Key="old")
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    try:
        assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    finally:
        s3.delete_bucket(Bucket=name)


# ------------------------------------------------------------- ListBuckets

def test_list_buckets(s3):
    names = sorted(new_name() for _ in range(3))
    for n in reversed(names):
        s3.create_bucket(Bucket=n)
    try:
        resp = s3.list_buckets()
        assert resp["Owner"]["ID"]
        listed = [b["Name"] for b in resp["Buckets"]]
        for n in names:
            assert listed.count(n) == 1
        assert listed == sorted(listed)
        for b in resp["Buckets"]:
            if b["Name"] in names:
                assert b["CreationDate"].year >= 2024
    finally:
        for n in names:
            s3.delete_bucket(Bucket=n)


# ------------------------------------------------------- GetBucketLocation

def test_get_bucket_location_us_east_1_is_empty(s3, bucket):
    resp = s3.get_bucket_location(Bucket=bucket)
    # S3 spells us-east-1 as an empty LocationConstraint.
    assert resp["LocationConstraint"] is None


def test_get_bucket_location_missing_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_location(Bucket=new_name())
    assert client_error(e) == ("NoSuchBucket", 404)


def test_get_bucket_location_raw_xml(raw_s3, bucket):
    r = raw_s3.request("GET", "/" + bucket, "location")
    assert r.status == 200
    assert b"<LocationConstraint" in r.body
    assert b"http://s3.amazonaws.com/doc/2006-03-01/" in r.body


# ------------------------------------------------------------- addressing

def virtual_client(server, host):
    """A boto3 client using virtual-host addressing against host:port.

    *.localhost does not resolve on every machine, so each request is sent
    to 127.0.0.1 with the Host header boto3 signed (bucket.host:port)."""
    c = boto3.client("s3", endpoint_url="http://%s:%d" % (host, server.port),
                     region_name=REGION, aws_access_key_id=ACCESS_KEY,
                     aws_secret_access_key=SECRET_KEY,
                     config=Config(retries={"max_attempts": 1},
                                   s3={"addressing_style": "virtual"}))
    hosts = []

    def redirect(request, **_):
        u = urllib.parse.urlsplit(request.url)
        hosts.append(u.netloc)
        request.headers["Host"] = u.netloc
        request.url = urllib.parse.urlunsplit(
            (u.scheme, "127.0.0.1:%d" % u.port, u.path, u.query, u.fragment))

    c.meta.events.register("before-send.s3", redirect)
    return c, hosts


@pytest.mark.parametrize("suffix", ["localhost", "s3.localhost"])
def test_virtual_host_addressing(server, s3, suffix):
    vc, hosts = virtual_client(server, suffix)
    name = new_name()
    vc.create_bucket(Bucket=name)
    try:
        assert hosts[-1] == "%s.%s:%d" % (name, suffix, server.port)
        vc.head_bucket(Bucket=name)
        key = "dir/sub key+é"
        vc.put_object(Bucket=name, Key=key, Body=b"virtual", ContentType="text/plain")
        assert hosts[-1] == "%s.%s:%d" % (name, suffix, server.port)
        # The path-style client sees the same object.
        got = s3.get_object(Bucket=name, Key=key)
        assert got["Body"].read() == b"virtual"
        assert got["ContentType"] == "text/plain"
        got = vc.get_object(Bucket=name, Key=key, Range="bytes=1-3")
        assert got["Body"].read() == b"irt"
        listed = vc.list_objects_v2(Bucket=name, Prefix="dir/")
        assert [o["Key"] for o in listed["Contents"]] == [key]
        assert vc.get_bucket_location(Bucket=name)["LocationConstraint"] is None
        assert name in [b["Name"] for b in vc.list_buckets()["Buckets"]]
        with pytest.raises(ClientError) as e:
            vc.get_object(Bucket=name, Key="missing")
        assert client_error(e) == ("NoSuchKey", 404)
        vc.delete_object(Bucket=name, Key=key)
        vc.delete_bucket(Bucket=name)
        with pytest.raises(ClientError) as e:
            s3.head_bucket(Bucket=name)
        assert client_error(e) == ("404", 404)
    finally:
        try:
            s3.delete_object(Bucket=name, Key="dir/sub key+é")
            s3.delete_bucket(Bucket=name)
        except ClientError:
            pass


def test_virtual_host_missing_bucket(server):
    vc, _ = virtual_client(server, "localhost")
    with pytest.raises(ClientError) as e:
        vc.list_objects_v2(Bucket=new_name())
    assert client_error(e) == ("NoSuchBucket", 404)


def test_virtual_host_raw_host_header(raw_s3, s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="a/b", Body=b"raw-virtual")
    r = raw_s3.request("GET", "/a/b", host="%s.localhost:%d" % (bucket, server.port))
    assert r.status == 200
    assert r.body == b"raw-virtual"
    # Path-style with a plain localhost Host header is still path-style.
    r = raw_s3.request("GET", "/%s/a/b" % bucket, host="localhost:%d" % server.port)
    assert r.status == 200
    assert r.body == b"raw-virtual"
