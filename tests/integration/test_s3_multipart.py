"""Multipart uploads through boto3: Create/UploadPart/Complete with the
"md5-of-md5s-N" ETag, InvalidPart, InvalidPartOrder, EntityTooSmall,
NoSuchUpload, Abort, ListParts and ListMultipartUploads paging,
UploadPartCopy with ranges, and composite checksums."""

import base64
import hashlib
import os
import struct
import uuid
import zlib

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024
PART = 5 * MIB  # the smallest part that may be followed by another


def client_error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def multipart_etag(parts):
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return '"%s-%d"' % (hashlib.md5(digests).hexdigest(), len(parts))


def raw_checksum(algorithm, data):
    if algorithm == "CRC32":
        return struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)
    if algorithm == "CRC32C":
        # awscrt is a local C implementation, independent of tarn.
        from awscrt.checksums import crc32c
        return struct.pack(">I", crc32c(data))
    if algorithm == "SHA1":
        return hashlib.sha1(data).digest()
    return hashlib.sha256(data).digest()


def b64(raw):
    return base64.b64encode(raw).decode()


def composite_checksum(algorithm, parts):
    """S3's COMPOSITE checksum: the checksum of the parts' raw checksums, "-N"."""
    joined = b"".join(raw_checksum(algorithm, p) for p in parts)
    return "%s-%d" % (b64(raw_checksum(algorithm, joined)), len(parts))


def upload(s3, bucket, key, parts, **create_args):
    """Creates an upload and uploads parts; returns (upload id, completed-part list)."""
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create_args)["UploadId"]
    done = []
    for i, body in enumerate(parts, 1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=i, Body=body)["ETag"]
        assert etag == '"%s"' % hashlib.md5(body).hexdigest()
        done.append({"PartNumber": i, "ETag": etag})
    return up, done


def assert_no_upload(s3, bucket, key, up):
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key=key, UploadId=up)
    assert client_error(e) == ("NoSuchUpload", 404)


# ---------------------------------------------------------------- complete

def test_multipart_upload_and_complete(s3, bucket):
    parts = [b"\x01" * PART, b"\x02" * PART, b"tail bytes" * 100]
    up, done = upload(s3, bucket, "mp/obj", parts, ContentType="application/x-mp",
                      Metadata={"Origin": "multipart"}, Tagging="stage=raw")
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="mp/obj", UploadId=up,
                                        MultipartUpload={"Parts": done})
    want_etag = multipart_etag(parts)
    assert resp["ETag"] == want_etag
    assert resp["Bucket"] == bucket
    assert resp["Key"] == "mp/obj"
    assert resp["Location"].endswith("/%s/mp/obj" % bucket)
    got = s3.get_object(Bucket=bucket, Key="mp/obj")
    assert got["ETag"] == want_etag
    assert got["ContentLength"] == sum(map(len, parts))
    assert got["ContentType"] == "application/x-mp"
    assert got["Metadata"] == {"origin": "multipart"}
    assert got["TagCount"] == 1
    assert got["Body"].read() == b"".join(parts)
    # A range across the part boundary.
    got = s3.get_object(Bucket=bucket, Key="mp/obj", Range="bytes=%d-%d" % (PART - 2, PART + 1))
    assert got["Body"].read() == b"\x01\x01\x02\x02"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed] == \
        [("mp/obj", want_etag, sum(map(len, parts)))]
    # The upload is gone once completed.
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert_no_upload(s3, bucket, "mp/obj", up)


def test_single_small_part(s3, bucket):
    up, done = upload(s3, bucket, "one", [b"only part"])
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="one", UploadId=up,
                                        MultipartUpload={"Parts": done})
    assert resp["ETag"] == multipart_etag([b"only part"])
    assert s3.get_object(Bucket=bucket, Key="one")["Body"].read() == b"only part"


def test_complete_with_a_subset_of_parts(s3, bucket):
    parts = [b"a" * PART, b"b" * 100, b"c" * 100]
    up, done = upload(s3, bucket, "subset", parts)
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="subset", UploadId=up,
                                        MultipartUpload={"Parts": [done[0], done[2]]})
    assert resp["ETag"] == multipart_etag([parts[0], parts[2]])
    assert s3.get_object(Bucket=bucket, Key="subset")["Body"].read() == parts[0] + parts[2]


def test_reuploaded_part_replaces_the_first(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="re")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="re", UploadId=up, PartNumber=1, Body=b"first")
    etag = s3.upload_part(Bucket=bucket, Key="re", UploadId=up, PartNumber=1, Body=b"second")["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="re", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, etag, 6)]
    s3.complete_multipart_upload(Bucket=bucket, Key="re", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="re")["Body"].read() == b"second"


def test_multipart_overwrites_existing_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ow", Body=b"old body", Metadata={"old": "1"})
    up, done = upload(s3, bucket, "ow", [b"new body"])
    s3.complete_multipart_upload(Bucket=bucket, Key="ow", UploadId=up,
                                 MultipartUpload={"Parts": done})
    got = s3.get_object(Bucket=bucket, Key="ow")
    assert got["Body"].read() == b"new body"
    assert got["Metadata"] == {}


# ----------------------------------------------------------------- errors

def test_invalid_part_unknown_number(s3, bucket):
    up, done = upload(s3, bucket, "k", [b"x" * PART])
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [done[0], {"PartNumber": 2, "ETag": done[0]["ETag"]}]})
    assert client_error(e) == ("InvalidPart", 400)
    # A failed completion leaves the upload in place.
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=up)["Parts"]) == 1


def test_invalid_part_wrong_etag(s3, bucket):
    up, _ = upload(s3, bucket, "k", [b"x" * 10])
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"%s"' % hashlib.md5(b"other").hexdigest()}]})
    assert client_error(e) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k")
    assert client_error(e) == ("404", 404)


@pytest.mark.parametrize("order", [[2, 1], [1, 1]])
def test_invalid_part_order(s3, bucket, order):
    up, done = upload(s3, bucket, "k", [b"1" * PART, b"2" * 10])
    by_number = {p["PartNumber"]: p for p in done}
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={
            "Parts": [by_number[n] for n in order]})
    assert client_error(e) == ("InvalidPartOrder", 400)


def test_entity_too_small(s3, bucket):
    parts = [b"s" * MIB, b"t" * MIB]
    up, done = upload(s3, bucket, "small", parts)
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=up,
                                     MultipartUpload={"Parts": done})
    assert client_error(e) == ("EntityTooSmall", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="small")
    assert client_error(e) == ("404", 404)
    # The last part alone may be small.
    s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=up,
                                 MultipartUpload={"Parts": [done[1]]})
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == parts[1]


def test_just_under_minimum_part_size(s3, bucket):
    parts = [b"u" * (PART - 1), b"v"]
    up, done = upload(s3, bucket, "under", parts)
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="under", UploadId=up,
                                     MultipartUpload={"Parts": done})
    assert client_error(e) == ("EntityTooSmall", 400)
    s3.abort_multipart_upload(Bucket=bucket, Key="under", UploadId=up)


def test_no_such_upload(s3, bucket):
    bogus = "0" * 48
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=bogus, PartNumber=1, Body=b"x")
    assert client_error(e) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=bogus, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"%s"' % hashlib.md5(b"x").hexdigest()}]})
    assert client_error(e) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=bogus)
    assert client_error(e) == ("NoSuchUpload", 404)
    assert_no_upload(s3, bucket, "k", bogus)


def test_upload_id_belongs_to_its_key(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="right")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="wrong", UploadId=up, PartNumber=1, Body=b"x")
    assert client_error(e) == ("NoSuchUpload", 404)
    assert_no_upload(s3, bucket, "wrong", up)
    s3.abort_multipart_upload(Bucket=bucket, Key="right", UploadId=up)


@pytest.mark.parametrize("number", [0, 10001])
def test_part_number_out_of_range(s3, bucket, number):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=number, Body=b"x")
    assert client_error(e) == ("InvalidArgument", 400)
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=up).get("Parts", []) == []


def test_create_upload_in_missing_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket="it-missing-" + uuid.uuid4().hex[:12], Key="k")
    assert client_error(e) == ("NoSuchBucket", 404)


def test_complete_twice(s3, bucket):
    up, done = upload(s3, bucket, "twice", [b"body"])
    s3.complete_multipart_upload(Bucket=bucket, Key="twice", UploadId=up,
                                 MultipartUpload={"Parts": done})
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="twice", UploadId=up, PartNumber=2, Body=b"late")
    assert client_error(e) == ("NoSuchUpload", 404)
    assert s3.get_object(Bucket=bucket, Key="twice")["Body"].read() == b"body"


# ------------------------------------------------------------------ abort

def test_abort(s3, bucket):
    up, _ = upload(s3, bucket, "aborted", [b"x" * 1000, b"y" * 1000])
    resp = s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=up)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert_no_upload(s3, bucket, "aborted", up)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="aborted")
    assert client_error(e) == ("404", 404)
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=up)
    assert client_error(e) == ("NoSuchUpload", 404)


# -------------------------------------------------------------- ListParts

def test_list_parts_paging(s3, bucket):
    parts = [bytes([65 + i]) * (100 + i) for i in range(5)]
    up, done = upload(s3, bucket, "lp", parts)
    resp = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up)
    assert [p["PartNumber"] for p in resp["Parts"]] == [1, 2, 3, 4, 5]
    assert [p["ETag"] for p in resp["Parts"]] == [d["ETag"] for d in done]
    assert [p["Size"] for p in resp["Parts"]] == [len(p) for p in parts]
    assert resp["IsTruncated"] is False
    assert resp["Bucket"] == bucket and resp["Key"] == "lp" and resp["UploadId"] == up
    assert resp["Owner"]["ID"] and resp["Initiator"]["ID"]
    assert resp["StorageClass"] == "STANDARD"

    page = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2]
    assert page["IsTruncated"] is True
    assert page["NextPartNumberMarker"] == 2
    assert page["MaxParts"] == 2
    page = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2, PartNumberMarker=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [3, 4]
    assert page["PartNumberMarker"] == 2
    assert page["IsTruncated"] is True
    page = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2, PartNumberMarker=4)
    assert [p["PartNumber"] for p in page["Parts"]] == [5]
    assert page["IsTruncated"] is False
    pages = list(s3.get_paginator("list_parts").paginate(
        Bucket=bucket, Key="lp", UploadId=up, PaginationConfig={"PageSize": 2}))
    assert [p["PartNumber"] for pg in pages for p in pg["Parts"]] == [1, 2, 3, 4, 5]
    s3.abort_multipart_upload(Bucket=bucket, Key="lp", UploadId=up)


def test_list_parts_sparse_numbers(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="sparse")["UploadId"]
    for n in (7, 3, 10000):
        s3.upload_part(Bucket=bucket, Key="sparse", UploadId=up, PartNumber=n, Body=b"p%d" % n)
    resp = s3.list_parts(Bucket=bucket, Key="sparse", UploadId=up, MaxParts=2)
    assert [p["PartNumber"] for p in resp["Parts"]] == [3, 7]
    assert resp["NextPartNumberMarker"] == 7
    resp = s3.list_parts(Bucket=bucket, Key="sparse", UploadId=up, PartNumberMarker=7)
    assert [p["PartNumber"] for p in resp["Parts"]] == [10000]
    s3.abort_multipart_upload(Bucket=bucket, Key="sparse", UploadId=up)


# --------------------------------------------------- ListMultipartUploads

def test_list_multipart_uploads(s3, bucket):
    created = []
    for key in ["a/1", "a/2", "b/1", "a/1", "c"]:
        up = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        created.append((key, up))
    try:
        resp = s3.list_multipart_uploads(Bucket=bucket)
        uploads = [(u["Key"], u["UploadId"]) for u in resp["Uploads"]]
        assert sorted(uploads) == sorted(created)
        assert [k for k, _ in uploads] == sorted(k for k, _ in created)
        assert resp["IsTruncated"] is False
        for u in resp["Uploads"]:
            assert u["StorageClass"] == "STANDARD"
            assert u["Initiator"]["ID"] and u["Owner"]["ID"]
            assert u["Initiated"].year >= 2024

        resp = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
        assert sorted((u["Key"], u["UploadId"]) for u in resp["Uploads"]) == \
            sorted(c for c in created if c[0].startswith("a/"))
        assert resp["Prefix"] == "a/"

        # Key marker alone: uploads of later keys only.
        resp = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/2")
        assert [u["Key"] for u in resp["Uploads"]] == ["b/1", "c"]

        # Paging with both markers returns every upload exactly once.
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2)
        assert page["IsTruncated"] is True
        assert len(page["Uploads"]) == 2
        assert page["NextKeyMarker"] == page["Uploads"][-1]["Key"]
        assert page["NextUploadIdMarker"] == page["Uploads"][-1]["UploadId"]
        seen = [(u["Key"], u["UploadId"]) for u in page["Uploads"]]
        while page["IsTruncated"]:
            page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2,
                                             KeyMarker=page["NextKeyMarker"],
                                             UploadIdMarker=page["NextUploadIdMarker"])
            seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        assert sorted(seen) == sorted(created)
        assert len(seen) == len(created)

        pages = list(s3.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 1}))
        flat = [(u["Key"], u["UploadId"]) for p in pages for u in p.get("Uploads", [])]
        assert sorted(flat) == sorted(created) and len(flat) == len(created)
    finally:
        for key, up in created:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=up)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_list_multipart_uploads_missing_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.list_multipart_uploads(Bucket="it-missing-" + uuid.uuid4().hex[:12])
    assert client_error(e) == ("NoSuchBucket", 404)


# ----------------------------------------------------------- UploadPartCopy

def test_upload_part_copy_with_ranges(s3, bucket):
    source = b"".join(bytes([i]) * MIB for i in range(6)) + b"end"
    s3.put_object(Bucket=bucket, Key="src big", Body=source)
    src = {"Bucket": bucket, "Key": "src big"}
    up = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    r1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=1,
                             CopySource=src, CopySourceRange="bytes=0-%d" % (PART - 1))
    r2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=2,
                             CopySource=src, CopySourceRange="bytes=%d-%d" % (PART, len(source) - 1))
    pieces = [source[:PART], source[PART:]]
    assert r1["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(pieces[0]).hexdigest()
    assert r2["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(pieces[1]).hexdigest()
    parts = s3.list_parts(Bucket=bucket, Key="assembled", UploadId=up)["Parts"]
    assert [p["Size"] for p in parts] == [len(pieces[0]), len(pieces[1])]
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    assert resp["ETag"] == multipart_etag(pieces)
    # The source can go: the new object has its own references.
    s3.delete_object(Bucket=bucket, Key="src big")
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source


def test_upload_part_copy_mixed_with_upload_part(s3, bucket):
    small = b"small inline source"
    s3.put_object(Bucket=bucket, Key="small", Body=small)
    first = b"f" * PART
    up = s3.create_multipart_upload(Bucket=bucket, Key="mixed")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="mixed", UploadId=up, PartNumber=1, Body=first)["ETag"]
    r2 = s3.upload_part_copy(Bucket=bucket, Key="mixed", UploadId=up, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "small"},
                             CopySourceRange="bytes=6-11")
    r3 = s3.upload_part_copy(Bucket=bucket, Key="mixed", UploadId=up, PartNumber=3,
                             CopySource={"Bucket": bucket, "Key": "small"})
    assert r2["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(small[6:12]).hexdigest()
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="mixed", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1},
                      {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]},
                      {"PartNumber": 3, "ETag": r3["CopyPartResult"]["ETag"]}]})
    assert client_error(e) == ("EntityTooSmall", 400)  # part 2 is 6 bytes and not last
    s3.complete_multipart_upload(Bucket=bucket, Key="mixed", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1},
                  {"PartNumber": 3, "ETag": r3["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mixed")["Body"].read() == first + small


def test_upload_part_copy_errors(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    src = {"Bucket": bucket, "Key": "src"}
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource=src, CopySourceRange="bytes=5-10")
    assert client_error(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource=src, CopySourceRange="5-6")
    assert client_error(e) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "nope"})
    assert client_error(e) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource=src, CopySourceIfMatch='"%s"' % ("0" * 32))
    assert client_error(e) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId="0" * 48, PartNumber=1,
                            CopySource=src)
    assert client_error(e) == ("NoSuchUpload", 404)
    assert s3.list_parts(Bucket=bucket, Key="dst", UploadId=up).get("Parts", []) == []
    r = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                            CopySource=src, CopySourceRange="bytes=9-9")
    assert r["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(b"9").hexdigest()
    s3.abort_multipart_upload(Bucket=bucket, Key="dst", UploadId=up)


# -------------------------------------------------------------- checksums

@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_composite_checksum(s3, bucket, algorithm):
    field = "Checksum" + algorithm
    parts = [b"\x07" * PART, b"last part of the checksummed upload"]
    create = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm=algorithm)
    assert create["ChecksumAlgorithm"] == algorithm
    up = create["UploadId"]
    done = []
    for i, body in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="ck", UploadId=up, PartNumber=i, Body=body,
                           ChecksumAlgorithm=algorithm)
        assert r[field] == b64(raw_checksum(algorithm, body))
        done.append({"PartNumber": i, "ETag": r["ETag"], field: r[field]})
    listed = s3.list_parts(Bucket=bucket, Key="ck", UploadId=up)
    assert listed["ChecksumAlgorithm"] == algorithm
    assert [p[field] for p in listed["Parts"]] == [d[field] for d in done]
    resp = s3.complete_multipart_upload(Bucket=bucket, Key="ck", UploadId=up,
                                        MultipartUpload={"Parts": done})
    want = composite_checksum(algorithm, parts)
    assert resp[field] == want
    head = s3.head_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert head[field] == want
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "COMPOSITE"
    got = s3.get_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert got[field] == want
    assert got["Body"].read() == b"".join(parts)


def test_part_checksum_mismatch_on_complete(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm="SHA256")["UploadId"]
    r = s3.upload_part(Bucket=bucket, Key="ck", UploadId=up, PartNumber=1, Body=b"part",
                       ChecksumAlgorithm="SHA256")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="ck", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": r["ETag"],
                       "ChecksumSHA256": b64(hashlib.sha256(b"other").digest())}]})
    assert client_error(e) == ("InvalidPart", 400)
    s3.abort_multipart_upload(Bucket=bucket, Key="ck", UploadId=up)


def test_part_checksum_mismatch_on_upload(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm="CRC32")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="ck", UploadId=up, PartNumber=1, Body=b"part",
                       ChecksumCRC32=b64(raw_checksum("CRC32", b"not the part")))
    assert client_error(e) == ("BadDigest", 400)
    assert s3.list_parts(Bucket=bucket, Key="ck", UploadId=up).get("Parts", []) == []
    s3.abort_multipart_upload(Bucket=bucket, Key="ck", UploadId=up)


def test_special_key_and_conditions_on_multipart_object(s3, bucket):
    key = "dir one/a&b <c>/é+%.bin"
    up, done = upload(s3, bucket, key, [b"body of a special key"])
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, up)]
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=up)["Key"] == key
    resp = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up,
                                        MultipartUpload={"Parts": done})
    assert resp["Key"] == key
    etag = resp["ETag"]
    got = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)
    assert got["Body"].read() == b"body of a special key"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, IfNoneMatch=etag)
    assert client_error(e) == ("304", 304)


def test_upload_part_content_md5(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="md5")["UploadId"]
    body = b"part with digest"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    bad = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="md5", UploadId=up, PartNumber=1, Body=body,
                       ContentMD5=bad)
    assert client_error(e) == ("BadDigest", 400)
    assert s3.list_parts(Bucket=bucket, Key="md5", UploadId=up).get("Parts", []) == []
    r = s3.upload_part(Bucket=bucket, Key="md5", UploadId=up, PartNumber=1, Body=body,
                       ContentMD5=good)
    assert r["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    s3.abort_multipart_upload(Bucket=bucket, Key="md5", UploadId=up)


def test_copies_of_a_multipart_object_share_and_outlive_it(s3, bucket):
    parts = [b"\x01" * PART, os.urandom(2 * MIB + 5)]
    up, done = upload(s3, bucket, "src", parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="src", UploadId=up,
                                 MultipartUpload={"Parts": done})
    source = b"".join(parts)
    src = {"Bucket": bucket, "Key": "src"}
    # A part copied from a range that spans both source parts (two extents).
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="spliced")["UploadId"]
    first, last = MIB, MIB + PART - 1
    r1 = s3.upload_part_copy(Bucket=bucket, Key="spliced", UploadId=up2, PartNumber=1,
                             CopySource=src, CopySourceRange="bytes=%d-%d" % (first, last))
    assert r1["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(source[first:last + 1]).hexdigest()
    r2 = s3.upload_part_copy(Bucket=bucket, Key="spliced", UploadId=up2, PartNumber=2,
                             CopySource=src, CopySourceRange="bytes=0-99")
    s3.complete_multipart_upload(Bucket=bucket, Key="spliced", UploadId=up2, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    # A whole-object copy.
    s3.copy_object(Bucket=bucket, Key="copy", CopySource=src)
    # Overwrite, then delete, the source: both copies keep their bytes.
    s3.put_object(Bucket=bucket, Key="src", Body=b"replaced")
    s3.delete_object(Bucket=bucket, Key="src")
    spliced = s3.get_object(Bucket=bucket, Key="spliced")["Body"].read()
    assert spliced == source[first:last + 1] + source[:100]
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == source
    got = s3.get_object(Bucket=bucket, Key="copy", Range="bytes=%d-%d" % (PART - 5, PART + 4))
    assert got["Body"].read() == source[PART - 5:PART + 5]
