"""S3 object operations through boto3: Put/Get/Head/Delete, headers and
metadata, Content-MD5 and additional checksums, ranges, conditional
requests, response overrides, partNumber, CopyObject, tagging,
DeleteObjects, awkward keys, and the never-versioned bucket's answers."""

import base64
import datetime
import hashlib
import os
import struct
import uuid
import zlib

import pytest
from botocore.exceptions import ClientError


def client_error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def checksum_b64(algorithm, data):
    """The base64 value S3 reports for data under algorithm."""
    if algorithm == "CRC32":
        raw = struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)
    elif algorithm == "CRC32C":
        raw = struct.pack(">I", crc32c(data))
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    else:
        raw = hashlib.sha256(data).digest()
    return base64.b64encode(raw).decode()


def assert_missing(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert client_error(e) == ("404", 404)


# ------------------------------------------------------- basic round trips

def test_put_get_head_delete(s3, bucket):
    body = b"hello, tarn"
    put = s3.put_object(Bucket=bucket, Key="greeting.txt", Body=body)
    assert put["ETag"] == '"%s"' % md5_hex(body)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]

    got = s3.get_object(Bucket=bucket, Key="greeting.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert got["ContentLength"] == len(body)
    assert got["AcceptRanges"] == "bytes"
    # With no Content-Type sent, S3 answers binary/octet-stream.
    assert got["ContentType"] == "binary/octet-stream"
    assert isinstance(got["LastModified"], datetime.datetime)

    head = s3.head_object(Bucket=bucket, Key="greeting.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == put["ETag"]
    assert head["LastModified"] == got["LastModified"]

    deleted = s3.delete_object(Bucket=bucket, Key="greeting.txt")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="greeting.txt")
    assert client_error(e) == ("NoSuchKey", 404)
    assert e.value.response["Error"]["Resource"] == "/%s/greeting.txt" % bucket
    assert_missing(s3, bucket, "greeting.txt")


def test_delete_missing_key_is_204(s3, bucket):
    resp = s3.delete_object(Bucket=bucket, Key="never-was")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_missing_bucket_errors(s3):
    name = "it-missing-" + uuid.uuid4().hex[:12]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert client_error(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=name, Key="k")
    assert client_error(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=name, Key="k")
    assert client_error(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=name, Key="k")
    assert client_error(e) == ("404", 404)


def test_empty_object(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["ContentLength"] == 0
    assert got["Body"].read() == b""
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("empty", 0)]


@pytest.mark.parametrize("size", [1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 17])
def test_etag_is_md5_and_bytes_round_trip(s3, bucket, size):
    body = os.urandom(size)
    put = s3.put_object(Bucket=bucket, Key="blob-%d" % size, Body=body)
    assert put["ETag"] == '"%s"' % md5_hex(body)
    got = s3.get_object(Bucket=bucket, Key="blob-%d" % size)
    assert got["ContentLength"] == size
    assert got["Body"].read() == body


def test_overwrite_replaces_body_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first" * 20000, Metadata={"v": "1"},
                  ContentType="text/plain")
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["ETag"] == put["ETag"]
    assert got["Metadata"] == {}
    assert got["ContentType"] == "binary/octet-stream"
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 1


# ------------------------------------------------------ headers, metadata

def test_content_headers_round_trip(s3, bucket):
    expires = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    s3.put_object(
        Bucket=bucket, Key="doc.csv", Body=b"a,b\n1,2\n",
        ContentType="text/csv; charset=utf-8",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="doc.csv"',
        ContentLanguage="en-GB",
        CacheControl="max-age=3600, must-revalidate",
        Expires=expires)
    for resp in (s3.get_object(Bucket=bucket, Key="doc.csv"),
                 s3.head_object(Bucket=bucket, Key="doc.csv")):
        assert resp["ContentType"] == "text/csv; charset=utf-8"
        assert resp["ContentEncoding"] == "identity"
        assert resp["ContentDisposition"] == 'attachment; filename="doc.csv"'
        assert resp["ContentLanguage"] == "en-GB"
        assert resp["CacheControl"] == "max-age=3600, must-revalidate"
        assert resp["Expires"] == expires
        assert resp["ResponseMetadata"]["HTTPHeaders"]["expires"] == \
            "Tue, 06 May 2031 07:08:09 GMT"


def test_user_metadata_names_are_lowercased(s3, bucket):
    s3.put_object(Bucket=bucket, Key="m", Body=b"x",
                  Metadata={"Mixed-Case": "Value With Spaces", "lower": "v2", "UPPER": "V3"})
    want = {"mixed-case": "Value With Spaces", "lower": "v2", "upper": "V3"}
    assert s3.get_object(Bucket=bucket, Key="m")["Metadata"] == want
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == want


def test_metadata_at_limit_is_accepted(s3, bucket):
    # 2 KB: the sum of the UTF-8 bytes of each key and value.
    meta = {"k1": "a" * 1000, "k2": "b" * 1044}  # 2 + 1000 + 2 + 1044 = 2048
    s3.put_object(Bucket=bucket, Key="at-limit", Body=b"x", Metadata=meta)
    assert s3.head_object(Bucket=bucket, Key="at-limit")["Metadata"] == meta


def test_metadata_too_large(s3, bucket):
    meta = {"k1": "a" * 1000, "k2": "b" * 1045}  # 2049 bytes
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="too-large", Body=b"x", Metadata=meta)
    assert client_error(e) == ("MetadataTooLarge", 400)
    assert_missing(s3, bucket, "too-large")


# ------------------------------------------------------------ Content-MD5

def test_content_md5_good(s3, bucket):
    body = b"digest me"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=md5)
    assert put["ETag"] == '"%s"' % md5_hex(body)
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == body


def test_content_md5_mismatch_is_bad_digest(s3, bucket):
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-bad", Body=b"digest me", ContentMD5=wrong)
    assert client_error(e) == ("BadDigest", 400)
    assert_missing(s3, bucket, "md5-bad")


@pytest.mark.parametrize("value", ["not-base64!!", base64.b64encode(b"short").decode()])
def test_content_md5_malformed_is_invalid_digest(s3, bucket, value):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-malformed", Body=b"digest me", ContentMD5=value)
    assert client_error(e) == ("InvalidDigest", 400)
    assert_missing(s3, bucket, "md5-malformed")


def test_content_md5_on_large_body(s3, bucket):
    body = os.urandom(2 * 1024 * 1024 + 3)
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5-large", Body=body, ContentMD5=md5)
    wrong = base64.b64encode(hashlib.md5(body[:-1]).digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-large", Body=body, ContentMD5=wrong)
    assert client_error(e) == ("BadDigest", 400)
    # The failed overwrite left the earlier object in place.
    assert s3.get_object(Bucket=bucket, Key="md5-large")["Body"].read() == body


# ----------------------------------------------------- additional checksums

ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("size", [11, 200 * 1024])
def test_checksum_algorithm_round_trip(s3, bucket, algorithm, size):
    body = os.urandom(size)
    want = checksum_b64(algorithm, body)
    field = "Checksum" + algorithm
    put = s3.put_object(Bucket=bucket, Key="c", Body=body, ChecksumAlgorithm=algorithm)
    assert put[field] == want
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got[field] == want
    assert got["Body"].read() == body
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert head[field] == want
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "FULL_OBJECT"
    # Without ChecksumMode the checksum is not sent.
    plain = s3.get_object(Bucket=bucket, Key="c")
    assert field not in plain
    plain["Body"].read()
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert listed[0]["ChecksumAlgorithm"] == [algorithm]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_mismatch_is_bad_digest(s3, bucket, algorithm):
    body = b"checksummed body"
    wrong = checksum_b64(algorithm, b"another body")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="c-bad", Body=body, **{"Checksum" + algorithm: wrong})
    assert client_error(e) == ("BadDigest", 400)
    assert_missing(s3, bucket, "c-bad")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_supplied_value_is_accepted(s3, bucket, algorithm):
    body = b"precomputed"
    value = checksum_b64(algorithm, body)
    put = s3.put_object(Bucket=bucket, Key="c-given", Body=body, **{"Checksum" + algorithm: value})
    assert put["Checksum" + algorithm] == value


# ------------------------------------------------------------------ ranges

RANGE_BODY = b"0123456789abcdefghij"  # 20 bytes


@pytest.mark.parametrize("header,content,content_range", [
    ("bytes=2-5", b"2345", "bytes 2-5/20"),
    ("bytes=0-0", b"0", "bytes 0-0/20"),
    ("bytes=19-19", b"j", "bytes 19-19/20"),
    ("bytes=15-", b"fghij", "bytes 15-19/20"),
    ("bytes=-3", b"hij", "bytes 17-19/20"),
    ("bytes=10-1000", b"abcdefghij", "bytes 10-19/20"),   # clamped to the end
    ("bytes=-100", RANGE_BODY, "bytes 0-19/20"),           # suffix longer than object
])
def test_range_get(s3, bucket, header, content, content_range):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_BODY)
    got = s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(content)
    assert got["Body"].read() == content
    head = s3.head_object(Bucket=bucket, Key="r", Range=header)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == len(content)
    assert head["ResponseMetadata"]["HTTPHeaders"]["content-range"] == content_range


@pytest.mark.parametrize("header", ["bytes=20-", "bytes=25-30", "bytes=-0"])
def test_range_unsatisfiable(s3, bucket, header):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_BODY)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert client_error(e) == ("InvalidRange", 416)


def test_range_on_empty_object_is_unsatisfiable(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="empty", Range="bytes=0-")
    assert client_error(e) == ("InvalidRange", 416)


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-3", "bytes=0-1,4-5"])
def test_range_ignored_when_not_a_single_byte_range(s3, bucket, header):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_BODY)
    got = s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "ContentRange" not in got
    assert got["Body"].read() == RANGE_BODY


def test_range_on_large_object(s3, bucket):
    body = os.urandom(3 * 1024 * 1024 + 100)
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    first, last = 1024 * 1024 - 10, 2 * 1024 * 1024 + 10
    got = s3.get_object(Bucket=bucket, Key="big", Range="bytes=%d-%d" % (first, last))
    assert got["ContentRange"] == "bytes %d-%d/%d" % (first, last, len(body))
    assert got["Body"].read() == body[first:last + 1]
    got = s3.get_object(Bucket=bucket, Key="big", Range="bytes=-7")
    assert got["Body"].read() == body[-7:]


# ------------------------------------------------------ conditional requests

@pytest.fixture
def cond_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="cond", Body=b"conditional")
    head = s3.head_object(Bucket=bucket, Key="cond")
    return head["ETag"], head["LastModified"]


def test_if_match(s3, bucket, cond_object):
    etag, _ = cond_object
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag)["Body"].read() == b"conditional"
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch="*")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch='"0000", ' + etag)[
        "ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert client_error(e) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="cond", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert client_error(e) == ("412", 412)


def test_if_none_match(s3, bucket, cond_object):
    etag, _ = cond_object
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert client_error(e) == ("304", 304)
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert client_error(e) == ("304", 304)
    got = s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch='"0123456789abcdef0123456789abcdef"')
    assert got["Body"].read() == b"conditional"


def test_if_modified_since(s3, bucket, cond_object):
    _, modified = cond_object
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfModifiedSince=modified)
    assert client_error(e) == ("304", 304)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="cond", IfModifiedSince=modified)
    assert client_error(e) == ("304", 304)
    earlier = modified - datetime.timedelta(days=1)
    got = s3.get_object(Bucket=bucket, Key="cond", IfModifiedSince=earlier)
    assert got["Body"].read() == b"conditional"


def test_if_unmodified_since(s3, bucket, cond_object):
    _, modified = cond_object
    earlier = modified - datetime.timedelta(days=1)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfUnmodifiedSince=earlier)
    assert client_error(e) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="cond", IfUnmodifiedSince=earlier)
    assert client_error(e) == ("412", 412)
    got = s3.get_object(Bucket=bucket, Key="cond", IfUnmodifiedSince=modified)
    assert got["Body"].read() == b"conditional"


def test_condition_combinations(s3, bucket, cond_object):
    etag, modified = cond_object
    earlier = modified - datetime.timedelta(days=1)
    # If-Match true wins over If-Unmodified-Since false.
    got = s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag, IfUnmodifiedSince=earlier)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    got["Body"].read()
    # If-None-Match false with If-Modified-Since true is 304.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=etag, IfModifiedSince=earlier)
    assert client_error(e) == ("304", 304)


# --------------------------------------------------- response-* overrides

def test_response_header_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"override", ContentType="text/plain",
                  CacheControl="no-cache")
    expires = datetime.datetime(2032, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    got = s3.get_object(
        Bucket=bucket, Key="o",
        ResponseContentType="application/json",
        ResponseContentDisposition='attachment; filename="o.json"',
        ResponseContentEncoding="identity",
        ResponseContentLanguage="fr",
        ResponseCacheControl="no-store",
        ResponseExpires=expires)
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == 'attachment; filename="o.json"'
    assert got["ContentEncoding"] == "identity"
    assert got["ContentLanguage"] == "fr"
    assert got["CacheControl"] == "no-store"
    assert got["Expires"] == expires
    assert got["Body"].read() == b"override"
    # The stored headers are unchanged.
    plain = s3.head_object(Bucket=bucket, Key="o")
    assert plain["ContentType"] == "text/plain"
    assert plain["CacheControl"] == "no-cache"
    assert "ContentDisposition" not in plain


# -------------------------------------------------------------- partNumber

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def multipart_object(server):
    s3 = server.client("s3")
    name = "it-parts-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    part1 = os.urandom(5 * MIB)
    part2 = os.urandom(1000)
    up = s3.create_multipart_upload(Bucket=name, Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket=name, Key="mp", UploadId=up, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=name, Key="mp", UploadId=up, PartNumber=2, Body=part2)["ETag"]
    s3.complete_multipart_upload(Bucket=name, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    yield name, part1, part2
    s3.delete_object(Bucket=name, Key="mp")
    s3.delete_bucket(Bucket=name)


def test_get_part_number_of_multipart_object(s3, multipart_object):
    name, part1, part2 = multipart_object
    total = len(part1) + len(part2)
    got = s3.get_object(Bucket=name, Key="mp", PartNumber=1)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["PartsCount"] == 2
    assert got["ContentLength"] == len(part1)
    assert got["ContentRange"] == "bytes 0-%d/%d" % (len(part1) - 1, total)
    assert got["Body"].read() == part1
    got = s3.get_object(Bucket=name, Key="mp", PartNumber=2)
    assert got["ContentRange"] == "bytes %d-%d/%d" % (len(part1), total - 1, total)
    assert got["Body"].read() == part2
    head = s3.head_object(Bucket=name, Key="mp", PartNumber=2)
    assert head["ContentLength"] == len(part2)
    assert head["PartsCount"] == 2
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=name, Key="mp", PartNumber=3)
    assert client_error(e) == ("InvalidPartNumber", 416)
    whole = s3.get_object(Bucket=name, Key="mp")
    assert whole["ContentLength"] == total
    assert whole["Body"].read() == part1 + part2


def test_get_part_number_of_single_put_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="single", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    # Part 1 of a plain object is the whole object, answered as a range.
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 0-9/10"
    assert got["Body"].read() == b"0123456789"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="single", PartNumber=2)
    assert client_error(e) == ("InvalidPartNumber", 416)


# -------------------------------------------------------------- CopyObject

@pytest.fixture
def source(s3, bucket):
    body = b"copy source body"
    s3.put_object(Bucket=bucket, Key="src/a b+c%é", Body=body, ContentType="text/x-src",
                  CacheControl="max-age=1", Metadata={"origin": "source"}, Tagging="t1=v1&t2=v2")
    head = s3.head_object(Bucket=bucket, Key="src/a b+c%é")
    return {"Bucket": bucket, "Key": "src/a b+c%é"}, body, head


def tags_of(s3, bucket, key):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def test_copy_object_copy_directive(s3, bucket, source):
    src, body, head = source
    resp = s3.copy_object(Bucket=bucket, Key="dst", CopySource=src,
                          ContentType="ignored/with-copy", Metadata={"ignored": "yes"})
    assert resp["CopyObjectResult"]["ETag"] == head["ETag"]
    assert isinstance(resp["CopyObjectResult"]["LastModified"], datetime.datetime)
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/x-src"
    assert got["CacheControl"] == "max-age=1"
    assert got["Metadata"] == {"origin": "source"}
    assert got["ETag"] == head["ETag"]
    assert tags_of(s3, bucket, "dst") == {"t1": "v1", "t2": "v2"}


def test_copy_object_replace_directive(s3, bucket, source):
    src, body, _ = source
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=src, MetadataDirective="REPLACE",
                   ContentType="application/x-new", Metadata={"fresh": "1"})
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-new"
    assert got["Metadata"] == {"fresh": "1"}
    assert "CacheControl" not in got
    # The source is untouched.
    assert s3.head_object(Bucket=bucket, Key=src["Key"])["Metadata"] == {"origin": "source"}


def test_copy_object_tagging_directive(s3, bucket, source):
    src, _, _ = source
    s3.copy_object(Bucket=bucket, Key="dst-replace", CopySource=src,
                   TaggingDirective="REPLACE", Tagging="new=tag")
    assert tags_of(s3, bucket, "dst-replace") == {"new": "tag"}
    s3.copy_object(Bucket=bucket, Key="dst-none", CopySource=src, TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "dst-none") == {}
    got = s3.get_object(Bucket=bucket, Key="dst-replace")
    assert got["TagCount"] == 1
    got["Body"].read()


def test_copy_object_across_buckets(s3, bucket, source):
    src, body, _ = source
    other = "it-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=other)
    try:
        s3.copy_object(Bucket=other, Key="copied", CopySource=src)
        assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == body
        # Deleting the source leaves the copy intact.
        s3.delete_object(Bucket=bucket, Key=src["Key"])
        assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == body
    finally:
        s3.delete_object(Bucket=other, Key="copied")
        s3.delete_bucket(Bucket=other)


def test_copy_large_object_then_delete_source(s3, bucket):
    body = os.urandom(MIB + 123)
    s3.put_object(Bucket=bucket, Key="big-src", Body=body)
    s3.copy_object(Bucket=bucket, Key="big-dst", CopySource={"Bucket": bucket, "Key": "big-src"})
    s3.delete_object(Bucket=bucket, Key="big-src")
    got = s3.get_object(Bucket=bucket, Key="big-dst")
    assert got["ETag"] == '"%s"' % md5_hex(body)
    assert got["Body"].read() == body


def test_copy_source_conditions(s3, bucket, source):
    src, _, head = source
    etag, modified = head["ETag"], head["LastModified"]
    earlier = modified - datetime.timedelta(days=1)
    other = '"0123456789abcdef0123456789abcdef"'
    failing = [
        {"CopySourceIfMatch": other},
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfModifiedSince": modified},
        {"CopySourceIfUnmodifiedSince": earlier},
    ]
    for cond in failing:
        with pytest.raises(ClientError) as e:
            s3.copy_object(Bucket=bucket, Key="cond-dst", CopySource=src, **cond)
        assert client_error(e) == ("PreconditionFailed", 412), cond
        assert_missing(s3, bucket, "cond-dst")
    passing = [
        {"CopySourceIfMatch": etag},
        {"CopySourceIfNoneMatch": other},
        {"CopySourceIfModifiedSince": earlier},
        {"CopySourceIfUnmodifiedSince": modified},
        {"CopySourceIfMatch": etag, "CopySourceIfUnmodifiedSince": earlier},
    ]
    for cond in passing:
        resp = s3.copy_object(Bucket=bucket, Key="cond-dst", CopySource=src, **cond)
        assert resp["CopyObjectResult"]["ETag"] == etag, cond


def test_copy_object_to_itself(s3, bucket, source):
    src, body, _ = source
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key=src["Key"], CopySource=src)
    assert client_error(e) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key=src["Key"], CopySource=src, MetadataDirective="REPLACE",
                   Metadata={"updated": "yes"}, ContentType="text/x-updated")
    got = s3.get_object(Bucket=bucket, Key=src["Key"])
    assert got["Metadata"] == {"updated": "yes"}
    assert got["ContentType"] == "text/x-updated"
    assert got["Body"].read() == body


def test_copy_missing_source(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nope"})
    assert client_error(e) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst",
                       CopySource={"Bucket": "it-no-such-" + uuid.uuid4().hex[:10], "Key": "k"})
    assert client_error(e) == ("NoSuchBucket", 404)


def test_copy_into_missing_bucket(s3, bucket, source):
    src, _, _ = source
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="it-no-such-" + uuid.uuid4().hex[:10], Key="dst", CopySource=src)
    assert client_error(e) == ("NoSuchBucket", 404)


def test_copy_with_version_id_null(s3, bucket, source):
    src, body, _ = source
    s3.copy_object(Bucket=bucket, Key="v-dst", CopySource=dict(src, VersionId="null"))
    assert s3.get_object(Bucket=bucket, Key="v-dst")["Body"].read() == body


# ----------------------------------------------------------------- tagging

def test_put_object_with_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="a=1&b=two%20words&c=")
    assert tags_of(s3, bucket, "tagged") == {"a": "1", "b": "two words", "c": ""}
    got = s3.get_object(Bucket=bucket, Key="tagged")
    assert got["TagCount"] == 3
    assert got["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "3"
    got["Body"].read()


def test_object_tagging_put_get_delete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="old=1")
    resp = s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [
        {"Key": "project", "Value": "tarn"}, {"Key": "unicode-é", "Value": "välue <&>"}]})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert tags_of(s3, bucket, "t") == {"project": "tarn", "unicode-é": "välue <&>"}
    resp = s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    got = s3.get_object(Bucket=bucket, Key="t")
    assert "TagCount" not in got
    assert got["Body"].read() == b"x"


def test_object_tagging_limits(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    eleven = [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": eleven})
    assert client_error(e) == ("BadRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [
            {"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]})
    assert client_error(e) == ("InvalidTag", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [
            {"Key": "k" * 129, "Value": "v"}]})
    assert client_error(e) == ("InvalidTag", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [
            {"Key": "k", "Value": "v" * 257}]})
    assert client_error(e) == ("InvalidTag", 400)
    ten = [{"Key": "k%d" % i, "Value": "v" * 256} for i in range(10)]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": ten})
    assert len(tags_of(s3, bucket, "t")) == 10


def test_object_tagging_missing_key(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_object_tagging(Bucket=bucket, Key="nope")
    assert client_error(e) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="nope",
                              Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert client_error(e) == ("NoSuchKey", 404)


def test_put_object_with_too_many_tags(s3, bucket):
    tagging = "&".join("k%d=v" % i for i in range(11))
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="t11", Body=b"x", Tagging=tagging)
    assert client_error(e)[1] == 400
    assert_missing(s3, bucket, "t11")


@pytest.mark.parametrize("tagging", ["a=1&a=2", "a=&a=", "bad=%zz"])
def test_put_object_with_malformed_tagging_header(s3, bucket, tagging):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="tbad", Body=b"x", Tagging=tagging)
    assert client_error(e) == ("InvalidArgument", 400)
    assert_missing(s3, bucket, "tbad")
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="tbad", Tagging=tagging)
    assert client_error(e) == ("InvalidArgument", 400)


# ----------------------------------------------------------- DeleteObjects

def test_delete_objects_verbose(s3, bucket):
    keys = ["d/1", "d/2", "d/a&b<c>", "d/é ü"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    targets = keys + ["d/missing-1", "d/missing-2"]
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in targets]})
    # Missing keys are reported deleted, as S3 does.
    assert sorted(d["Key"] for d in resp["Deleted"]) == sorted(targets)
    assert "Errors" not in resp
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["keep"]


def test_delete_objects_quiet(s3, bucket):
    for k in ("q1", "q2", "q3"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": "q1"}, {"Key": "q2"}, {"Key": "q-missing"}], "Quiet": True})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Deleted" not in resp
    assert "Errors" not in resp
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["q3"]


def test_delete_objects_with_version_id_null(s3, bucket):
    # What tools that empty buckets send after ListObjectVersions.
    s3.put_object(Bucket=bucket, Key="v1", Body=b"x")
    s3.put_object(Bucket=bucket, Key="v2", Body=b"x")
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    resp = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]})
    assert sorted(d["Key"] for d in resp["Deleted"]) == ["v1", "v2"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_missing_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.delete_objects(Bucket="it-no-such-" + uuid.uuid4().hex[:10],
                          Delete={"Objects": [{"Key": "a"}]})
    assert client_error(e) == ("NoSuchBucket", 404)


# -------------------------------------------------------------------- keys

AWKWARD_KEYS = [
    "unicode/日本語/ключ/émoji-😀",
    "spaces in the key",
    "plus+sign+key",
    "percent%20literal%",
    "question?mark",
    "hash#fragment",
    "double//slash//",
    "/leading-slash",
    "trailing-slash/",
    "amp&eq=semi;colon",
    "quotes'\"",
    "tilde~star*parens()",
    "brackets[]{}<>|\\^`",
    "tab\there",
]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_round_trip(s3, bucket, key):
    body = key.encode() + b"!"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body)
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [key]
    listed = s3.list_objects(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [key]
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=key + ".copy")["Body"].read() == body
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key + ".copy"}]})
    assert [d["Key"] for d in resp["Deleted"]] == [key + ".copy"]
    s3.delete_object(Bucket=bucket, Key=key)
    assert_missing(s3, bucket, key)


def test_key_length_limit(s3, bucket):
    ok = "k" * 1024
    s3.put_object(Bucket=bucket, Key=ok, Body=b"max")
    assert s3.get_object(Bucket=bucket, Key=ok)["Body"].read() == b"max"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"too long")
    assert client_error(e) == ("KeyTooLongError", 400)
    # The limit counts UTF-8 bytes, not characters.
    s3.put_object(Bucket=bucket, Key="é" * 512, Body=b"1024 bytes")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="é" * 512 + "x", Body=b"1025 bytes")
    assert client_error(e) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="k" * 1025)
    assert client_error(e) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="k" * 1025, CopySource={"Bucket": bucket, "Key": ok})
    assert client_error(e) == ("KeyTooLongError", 400)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted([ok, "é" * 512])


# ----------------------------------------------- never-versioned buckets

def test_get_bucket_versioning_of_unversioned_bucket(s3, bucket):
    resp = s3.get_bucket_versioning(Bucket=bucket)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Status" not in resp
    assert "MFADelete" not in resp


def test_list_object_versions_of_unversioned_bucket(s3, bucket):
    bodies = {"a": b"1", "b/c": b"22", "b/d": b"333"}
    for k, v in bodies.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    resp = s3.list_object_versions(Bucket=bucket)
    versions = resp["Versions"]
    assert [v["Key"] for v in versions] == ["a", "b/c", "b/d"]
    for v in versions:
        assert v["VersionId"] == "null"
        assert v["IsLatest"] is True
        assert v["Size"] == len(bodies[v["Key"]])
        assert v["ETag"] == '"%s"' % md5_hex(bodies[v["Key"]])
    assert "DeleteMarkers" not in resp
    assert resp["IsTruncated"] is False
    # Delimiter and paging work as for listing.
    resp = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [v["Key"] for v in resp["Versions"]] == ["a"]
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["b/"]
    pages = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 1}))
    assert [v["Key"] for p in pages for v in p.get("Versions", [])] == ["a", "b/c", "b/d"]


def test_version_id_null_addresses_the_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"x"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId="null")["ContentLength"] == 1
    s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    assert_missing(s3, bucket, "k")


def test_other_version_ids_are_invalid(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", VersionId="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
    assert client_error(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k", VersionId="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
    assert client_error(e) == ("400", 400)


def test_range_and_part_number_together(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-1")
    assert client_error(e) == ("InvalidRequest", 400)


@pytest.mark.parametrize("args", [
    {"MetadataDirective": "MERGE"},
    {"TaggingDirective": "APPEND"},
])
def test_copy_object_bad_directive(s3, bucket, args):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       **args)
    assert client_error(e) == ("InvalidArgument", 400)
    assert_missing(s3, bucket, "dst")


@pytest.mark.parametrize("source", ["just-a-bucket", "/", "bucket/"])
def test_copy_object_bad_copy_source(s3, bucket, source):
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=source)
    assert client_error(e) == ("InvalidArgument", 400)


def test_list_object_versions_special_keys(s3, bucket):
    keys = ["dir one/a+b%c", "ctrl\x01key", "x&y<z>"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"v")
    resp = s3.list_object_versions(Bucket=bucket)
    assert [v["Key"] for v in resp["Versions"]] == sorted(keys, key=lambda k: k.encode())
    resp = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["dir one/"]
    resp = s3.list_object_versions(Bucket=bucket, KeyMarker="ctrl\x01key")
    assert [v["Key"] for v in resp["Versions"]] == ["dir one/a+b%c", "x&y<z>"]
