"""ListObjectsV2 and ListObjects through boto3 and raw requests: prefix,
delimiter, CommonPrefixes, MaxKeys, ContinuationToken, StartAfter,
Marker/NextMarker, FetchOwner, EncodingType=url, UTF-8 byte order and
paginators across thousands of keys."""

import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def client_error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def put_all(s3, bucket, keys, workers=8):
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))


def keys_of(resp):
    return [o["Key"] for o in resp.get("Contents", [])]


def prefixes_of(resp):
    return [p["Prefix"] for p in resp.get("CommonPrefixes", [])]


SMALL = ["a", "b/1", "b/2", "c/x/y", "d"]


@pytest.fixture
def small(s3, bucket):
    put_all(s3, bucket, SMALL)
    return bucket


# --------------------------------------------------------------- V2 basics

def test_list_v2_everything(s3, small):
    resp = s3.list_objects_v2(Bucket=small)
    assert keys_of(resp) == SMALL
    assert resp["KeyCount"] == 5
    assert resp["IsTruncated"] is False
    assert resp["Name"] == small
    assert resp["MaxKeys"] == 1000
    assert "NextContinuationToken" not in resp
    for o in resp["Contents"]:
        assert o["Size"] == 0
        assert o["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
        assert o["StorageClass"] == "STANDARD"
        assert o["LastModified"].year >= 2024
        assert "Owner" not in o


def test_list_v2_fetch_owner(s3, small):
    resp = s3.list_objects_v2(Bucket=small, FetchOwner=True)
    owners = {o["Owner"]["ID"] for o in resp["Contents"]}
    assert len(owners) == 1 and owners.pop()
    assert s3.list_buckets()["Owner"]["ID"] == resp["Contents"][0]["Owner"]["ID"]


def test_list_v2_prefix(s3, small):
    resp = s3.list_objects_v2(Bucket=small, Prefix="b/")
    assert keys_of(resp) == ["b/1", "b/2"]
    assert resp["Prefix"] == "b/"
    assert resp["KeyCount"] == 2
    resp = s3.list_objects_v2(Bucket=small, Prefix="zzz")
    assert "Contents" not in resp
    assert resp["KeyCount"] == 0
    assert keys_of(s3.list_objects_v2(Bucket=small, Prefix="b")) == ["b/1", "b/2"]
    assert keys_of(s3.list_objects_v2(Bucket=small, Prefix="a")) == ["a"]


def test_list_v2_delimiter(s3, small):
    resp = s3.list_objects_v2(Bucket=small, Delimiter="/")
    assert keys_of(resp) == ["a", "d"]
    assert prefixes_of(resp) == ["b/", "c/"]
    assert resp["KeyCount"] == 4  # objects plus common prefixes
    assert resp["Delimiter"] == "/"
    resp = s3.list_objects_v2(Bucket=small, Delimiter="/", Prefix="c/")
    assert keys_of(resp) == []
    assert prefixes_of(resp) == ["c/x/"]
    resp = s3.list_objects_v2(Bucket=small, Delimiter="/", Prefix="c/x/")
    assert keys_of(resp) == ["c/x/y"]
    assert prefixes_of(resp) == []


def test_list_multi_character_delimiter(s3, bucket):
    put_all(s3, bucket, ["p--1", "p--2--deep", "q", "r-1"])
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="--")
    assert keys_of(resp) == ["q", "r-1"]
    assert prefixes_of(resp) == ["p--"]
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="--", Prefix="p--")
    assert keys_of(resp) == ["p--1"]
    assert prefixes_of(resp) == ["p--2--"]


def test_key_equal_to_prefix_and_delimiter(s3, bucket):
    # A "folder marker" object whose key ends with the delimiter.
    put_all(s3, bucket, ["dir/", "dir/file", "dirx"])
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert keys_of(resp) == ["dirx"]
    assert prefixes_of(resp) == ["dir/"]
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="/", Prefix="dir/")
    assert keys_of(resp) == ["dir/", "dir/file"]


def test_list_v2_max_keys_and_continuation(s3, small):
    resp = s3.list_objects_v2(Bucket=small, MaxKeys=2)
    assert keys_of(resp) == ["a", "b/1"]
    assert resp["IsTruncated"] is True
    assert resp["KeyCount"] == 2
    assert resp["MaxKeys"] == 2
    token = resp["NextContinuationToken"]
    resp = s3.list_objects_v2(Bucket=small, MaxKeys=2, ContinuationToken=token)
    assert resp["ContinuationToken"] == token
    assert keys_of(resp) == ["b/2", "c/x/y"]
    assert resp["IsTruncated"] is True
    resp = s3.list_objects_v2(Bucket=small, MaxKeys=2,
                              ContinuationToken=resp["NextContinuationToken"])
    assert keys_of(resp) == ["d"]
    assert resp["IsTruncated"] is False
    assert "NextContinuationToken" not in resp


def test_list_v2_max_keys_counts_common_prefixes(s3, small):
    resp = s3.list_objects_v2(Bucket=small, Delimiter="/", MaxKeys=2)
    assert keys_of(resp) == ["a"]
    assert prefixes_of(resp) == ["b/"]
    assert resp["IsTruncated"] is True
    resp = s3.list_objects_v2(Bucket=small, Delimiter="/", MaxKeys=2,
                              ContinuationToken=resp["NextContinuationToken"])
    # The continuation resumes after everything under b/.
    assert prefixes_of(resp) == ["c/"]
    assert keys_of(resp) == ["d"]
    assert resp["IsTruncated"] is False


def test_list_v2_start_after(s3, small):
    resp = s3.list_objects_v2(Bucket=small, StartAfter="b/1")
    assert keys_of(resp) == ["b/2", "c/x/y", "d"]
    assert resp["StartAfter"] == "b/1"
    assert keys_of(s3.list_objects_v2(Bucket=small, StartAfter="b")) == SMALL[1:]
    assert keys_of(s3.list_objects_v2(Bucket=small, StartAfter="zzz")) == []
    # A StartAfter below the prefix does not widen it.
    assert keys_of(s3.list_objects_v2(Bucket=small, StartAfter="a", Prefix="c")) == ["c/x/y"]
    resp = s3.list_objects_v2(Bucket=small, StartAfter="b/", Delimiter="/")
    # A CommonPrefix equal to StartAfter is not returned again.
    assert prefixes_of(resp) == ["c/"]
    assert keys_of(resp) == ["d"]


def test_list_v2_continuation_token_wins_over_start_after(s3, small):
    first = s3.list_objects_v2(Bucket=small, MaxKeys=1, StartAfter="a")
    assert keys_of(first) == ["b/1"]
    resp = s3.list_objects_v2(Bucket=small, MaxKeys=1, StartAfter="a",
                              ContinuationToken=first["NextContinuationToken"])
    assert keys_of(resp) == ["b/2"]


def test_list_max_keys_zero(s3, small):
    resp = s3.list_objects_v2(Bucket=small, MaxKeys=0)
    assert resp["KeyCount"] == 0
    assert resp["IsTruncated"] is False
    assert "Contents" not in resp
    resp = s3.list_objects(Bucket=small, MaxKeys=0)
    assert resp["IsTruncated"] is False
    assert "Contents" not in resp


def test_list_missing_bucket(s3):
    name = "it-missing-" + uuid.uuid4().hex[:12]
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=name)
    assert client_error(e) == ("NoSuchBucket", 404)
    assert e.value.response["Error"]["Resource"] == "/" + name
    with pytest.raises(ClientError) as e:
        s3.list_objects(Bucket=name)
    assert client_error(e) == ("NoSuchBucket", 404)


def test_list_v2_bad_continuation_token(s3, small):
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=small, ContinuationToken="this is not a token")
    assert client_error(e) == ("InvalidArgument", 400)


@pytest.mark.parametrize("query", ["list-type=2&max-keys=-1", "list-type=2&max-keys=abc",
                                   "max-keys=99999999999999999999",
                                   "list-type=2&encoding-type=base64"])
def test_list_bad_parameters(raw_s3, small, query):
    r = raw_s3.request("GET", "/" + small, query)
    assert r.status == 400
    err = r.error()
    assert err["Code"] == "InvalidArgument"
    assert err["RequestId"]


# ----------------------------------------------------------------- V1

def test_list_v1_marker(s3, small):
    resp = s3.list_objects(Bucket=small, Marker="b/1")
    assert keys_of(resp) == ["b/2", "c/x/y", "d"]
    assert resp["Marker"] == "b/1"
    assert resp["IsTruncated"] is False
    # V1 always includes the owner.
    assert all(o["Owner"]["ID"] for o in resp["Contents"])


def test_list_v1_max_keys_without_delimiter(s3, small):
    resp = s3.list_objects(Bucket=small, MaxKeys=2)
    assert keys_of(resp) == ["a", "b/1"]
    assert resp["IsTruncated"] is True
    # Without a delimiter S3 sends no NextMarker: clients use the last key.
    assert "NextMarker" not in resp
    resp = s3.list_objects(Bucket=small, MaxKeys=2, Marker="b/1")
    assert keys_of(resp) == ["b/2", "c/x/y"]


def test_list_v1_next_marker_with_delimiter(s3, small):
    resp = s3.list_objects(Bucket=small, Delimiter="/", MaxKeys=2)
    assert keys_of(resp) == ["a"]
    assert prefixes_of(resp) == ["b/"]
    assert resp["IsTruncated"] is True
    assert resp["NextMarker"] == "b/"
    resp = s3.list_objects(Bucket=small, Delimiter="/", MaxKeys=2, Marker=resp["NextMarker"])
    assert prefixes_of(resp) == ["c/"]
    assert keys_of(resp) == ["d"]
    assert resp["IsTruncated"] is False
    assert "NextMarker" not in resp


def test_list_v1_marker_equal_to_common_prefix(s3, bucket):
    put_all(s3, bucket, ["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"])
    resp = s3.list_objects(Bucket=bucket, Delimiter="/", Marker="boo/", MaxKeys=1)
    assert prefixes_of(resp) == ["cquux/"]
    assert keys_of(resp) == []
    assert resp["IsTruncated"] is False


# ------------------------------------------------------------ encoding-type

SPECIAL = ["sp ace/é+plus%pct&amp<lt>", "ctrl\x01char", "tab\tkey", "new\nline", "q?h#"]


def test_encoding_type_url_raw(raw_s3, s3, bucket):
    put_all(s3, bucket, SPECIAL)
    query = "delimiter=%2F&encoding-type=url&list-type=2&prefix=" + urllib.parse.quote("sp ace/", safe="")
    r = raw_s3.request("GET", "/" + bucket, query)
    assert r.status == 200
    root = ET.fromstring(r.body)
    assert root.find(NS + "EncodingType").text == "url"
    key = root.find(NS + "Contents/" + NS + "Key").text
    assert re.fullmatch(r"[A-Za-z0-9%._~/+*-]+", key), key
    assert urllib.parse.unquote_plus(key) == SPECIAL[0]
    assert urllib.parse.unquote_plus(root.find(NS + "Prefix").text) == "sp ace/"
    # The whole listing, decoded, is every key in byte order.
    r = raw_s3.request("GET", "/" + bucket, "encoding-type=url&list-type=2")
    root = ET.fromstring(r.body)
    keys = [urllib.parse.unquote_plus(k.text) for k in root.iter(NS + "Key")]
    assert keys == sorted(SPECIAL, key=lambda k: k.encode())


def test_encoding_type_url_through_boto3(s3, bucket):
    put_all(s3, bucket, SPECIAL + ["dir one/x", "dir+two/y"])
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert prefixes_of(resp) == ["dir one/", "dir+two/", "sp ace/"]
    assert set(keys_of(resp)) == {"ctrl\x01char", "tab\tkey", "new\nline", "q?h#"}
    resp = s3.list_objects_v2(Bucket=bucket, StartAfter="dir+two/y", MaxKeys=1)
    assert resp["StartAfter"] == "dir+two/y"
    assert keys_of(resp) == ["new\nline"]
    resp = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker="ctrl\x01char")
    assert prefixes_of(resp) == ["dir one/", "dir+two/"]
    assert resp["NextMarker"] == "dir+two/"
    assert resp["Marker"] == "ctrl\x01char"
    for k in SPECIAL:
        assert keys_of(s3.list_objects_v2(Bucket=bucket, Prefix=k)) == [k]


# ------------------------------------------------------------ byte order

def test_utf8_byte_order(s3, bucket):
    keys = ["B", "a", "é", "Z", "~", "中", "\uff61", "\U0001F600", "a/b", "a-b", "a0", "A", "0",
            " ", "\u00ff", "\u0100"]
    put_all(s3, bucket, keys)
    want = sorted(keys, key=lambda k: k.encode("utf-8"))
    # 'B' < 'a' < 'é' < '中' < U+FF61 < U+1F600 in UTF-8 (not in UTF-16).
    assert want.index("B") < want.index("a") < want.index("é") < want.index("中") \
        < want.index("\uff61") < want.index("\U0001F600")
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == want
    assert keys_of(s3.list_objects(Bucket=bucket)) == want
    paged = []
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 3}):
        paged += keys_of(page)
    assert paged == want
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="\uff61")
    assert keys_of(after) == ["\U0001F600"]


# ------------------------------------------------- thousands of keys

TREE = ["tree/%02d/%03d" % (d, f) for d in range(25) for f in range(100)]  # 2,500 keys


@pytest.fixture(scope="module")
def tree(server):
    s3 = server.client("s3", max_pool_connections=16)
    name = "it-tree-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    put_all(s3, name, TREE, workers=12)
    yield name
    for i in range(0, len(TREE), 1000):
        s3.delete_objects(Bucket=name, Delete={
            "Objects": [{"Key": k} for k in TREE[i:i + 1000]], "Quiet": True})
    s3.delete_bucket(Bucket=name)


def test_paginate_v2_across_2500_keys(s3, tree):
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=tree))
    assert [p["KeyCount"] for p in pages] == [1000, 1000, 500]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    assert [k for p in pages for k in keys_of(p)] == TREE


def test_paginate_v1_across_2500_keys(s3, tree):
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=tree))
    assert [len(keys_of(p)) for p in pages] == [1000, 1000, 500]
    assert [k for p in pages for k in keys_of(p)] == TREE


def test_max_keys_above_1000_is_capped(s3, tree):
    resp = s3.list_objects_v2(Bucket=tree, MaxKeys=5000)
    assert resp["KeyCount"] == 1000
    assert resp["IsTruncated"] is True


def test_paginate_common_prefixes(s3, tree):
    want = ["tree/%02d/" % d for d in range(25)]
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=tree, Prefix="tree/", Delimiter="/", PaginationConfig={"PageSize": 7}))
    assert [len(prefixes_of(p)) for p in pages] == [7, 7, 7, 4]
    assert [c for p in pages for c in prefixes_of(p)] == want
    assert all(keys_of(p) == [] for p in pages)
    pages = list(s3.get_paginator("list_objects").paginate(
        Bucket=tree, Prefix="tree/", Delimiter="/", PaginationConfig={"PageSize": 7}))
    assert [c for p in pages for c in prefixes_of(p)] == want


def test_paginate_keys_under_one_prefix(s3, tree):
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=tree, Prefix="tree/07/", PaginationConfig={"PageSize": 30}))
    assert [p["KeyCount"] for p in pages] == [30, 30, 30, 10]
    assert [k for p in pages for k in keys_of(p)] == TREE[700:800]


def test_delimiter_rolls_up_the_whole_tree(s3, tree):
    resp = s3.list_objects_v2(Bucket=tree, Delimiter="/")
    assert prefixes_of(resp) == ["tree/"]
    assert resp["KeyCount"] == 1
    assert resp["IsTruncated"] is False


def test_paginate_with_start_after(s3, tree):
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=tree, StartAfter="tree/23/049", PaginationConfig={"PageSize": 40}))
    assert [k for p in pages for k in keys_of(p)] == TREE[2350:]


def test_prefix_without_delimiter_suffix(s3, small):
    resp = s3.list_objects_v2(Bucket=small, Prefix="b", Delimiter="/")
    assert prefixes_of(resp) == ["b/"]
    assert keys_of(resp) == []
    resp = s3.list_objects_v2(Bucket=small, Prefix="c/x", Delimiter="/")
    assert prefixes_of(resp) == ["c/x/"]


def test_prefix_with_like_wildcards(s3, bucket):
    put_all(s3, bucket, ["a%b", "a_c", "abc", "aXc", "a\\d"])
    assert keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="a%")) == ["a%b"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="a_")) == ["a_c"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="a\\")) == ["a\\d"]
    resp = s3.list_objects_v2(Bucket=bucket, Delimiter="_")
    assert prefixes_of(resp) == ["a_"]
