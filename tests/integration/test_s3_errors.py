"""S3 error responses: the <Error> document, NotImplemented for operations
tarn does not implement, malformed XML bodies, missing and lying
Content-Length, bodies cut short, and a server that keeps serving."""

import base64
import hashlib
import json
import socket
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError


def client_error(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def assert_missing(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert client_error(e) == ("404", 404)


# --------------------------------------------------------- error document

def test_error_document_shape(raw_s3, bucket):
    r = raw_s3.request("GET", "/%s/no/such%%20key" % bucket)
    assert r.status == 404
    assert r.headers["content-type"] == "application/xml"
    root = ET.fromstring(r.body)
    assert root.tag == "Error"
    err = r.error()
    assert err["Code"] == "NoSuchKey"
    assert err["Message"] == "The specified key does not exist."
    assert err["Resource"] == "/%s/no/such key" % bucket
    assert err["RequestId"] == r.headers["x-amz-request-id"]
    assert len(err["RequestId"]) >= 16


ERROR_CASES = [
    # (method, path template, query, headers, body, status, code)
    ("GET", "/{b}/missing", "", {}, b"", 404, "NoSuchKey"),
    ("GET", "/{nb}/k", "", {}, b"", 404, "NoSuchBucket"),
    ("GET", "/{nb}", "list-type=2", {}, b"", 404, "NoSuchBucket"),
    ("DELETE", "/{b}", "", {}, b"", 409, "BucketNotEmpty"),
    ("PUT", "/{b}", "", {}, b"", 409, "BucketAlreadyOwnedByYou"),
    ("PUT", "/Bad_Name", "", {}, b"", 400, "InvalidBucketName"),
    ("GET", "/{b}/obj", "", {"Range": "bytes=100-"}, b"", 416, "InvalidRange"),
    ("GET", "/{b}/obj", "", {"If-Match": '"00"'}, b"", 412, "PreconditionFailed"),
    ("PUT", "/{b}/obj", "tagging", {}, b"<oops", 400, "MalformedXML"),
    ("GET", "/{b}", "lifecycle", {}, b"", 501, "NotImplemented"),
    ("GET", "/{b}/obj", "uploadId=nope", {}, b"", 404, "NoSuchUpload"),
    ("PUT", "/{b}/" + "k" * 1025, "", {}, b"x", 400, "KeyTooLongError"),
    ("PUT", "/{b}/obj", "", {"Content-MD5": "bad"}, b"x", 400, "InvalidDigest"),
]


@pytest.mark.parametrize("method,path,query,headers,body,status,code", ERROR_CASES,
                         ids=[c[-1] for c in ERROR_CASES])
def test_error_documents(raw_s3, s3, bucket, method, path, query, headers, body, status, code):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"0123456789")
    nb = "it-none-" + uuid.uuid4().hex[:12]
    path = path.format(b=bucket, nb=nb)
    r = raw_s3.request(method, path, query, headers=headers, body=body)
    assert r.status == status, r.body
    assert r.headers["content-type"] == "application/xml"
    err = r.error()
    assert err["Code"] == code
    assert err["Message"]
    assert err["RequestId"] == r.headers["x-amz-request-id"]
    assert err["Resource"] == urllib.parse.unquote(path)


def test_error_through_boto3(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="missing")
    resp = e.value.response
    assert resp["Error"]["Code"] == "NoSuchKey"
    assert resp["Error"]["Message"]
    assert resp["Error"]["Resource"] == "/%s/missing" % bucket
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert resp["ResponseMetadata"]["RequestId"] == \
        resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]


def test_every_response_has_a_request_id(raw_s3, bucket):
    ids = set()
    for method, path in [("GET", "/"), ("GET", "/" + bucket), ("HEAD", "/" + bucket),
                         ("GET", "/%s/missing" % bucket), ("HEAD", "/%s/missing" % bucket),
                         ("DELETE", "/%s/missing" % bucket)]:
        r = raw_s3.request(method, path)
        assert r.headers.get("x-amz-request-id"), (method, path)
        ids.add(r.headers["x-amz-request-id"])
    assert len(ids) == 6


def test_head_error_has_no_body(raw_s3, bucket):
    r = raw_s3.request("HEAD", "/%s/missing" % bucket)
    assert r.status == 404
    assert r.body == b""


# --------------------------------------------------------- NotImplemented

NOT_IMPLEMENTED = [
    ("get_bucket_policy", {}, "GetBucketPolicy"),
    ("put_bucket_policy", {"Policy": "{}"}, "PutBucketPolicy"),
    ("delete_bucket_policy", {}, "DeleteBucketPolicy"),
    ("put_bucket_lifecycle_configuration", {"LifecycleConfiguration": {"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]}},
     "PutBucketLifecycleConfiguration"),
    ("get_bucket_lifecycle_configuration", {}, "GetBucketLifecycleConfiguration"),
    ("get_bucket_cors", {}, "GetBucketCors"),
    ("get_bucket_encryption", {}, "GetBucketEncryption"),
    ("get_bucket_website", {}, "GetBucketWebsite"),
    ("get_bucket_replication", {}, "GetBucketReplication"),
    ("get_bucket_notification_configuration", {}, "GetBucketNotificationConfiguration"),
    ("get_public_access_block", {}, "GetPublicAccessBlock"),
    ("put_bucket_versioning", {"VersioningConfiguration": {"Status": "Enabled"}},
     "PutBucketVersioning"),
]


@pytest.mark.parametrize("method,args,operation", NOT_IMPLEMENTED,
                         ids=[n[2] for n in NOT_IMPLEMENTED])
def test_bucket_subresource_not_implemented(s3, bucket, method, args, operation):
    with pytest.raises(ClientError) as e:
        getattr(s3, method)(Bucket=bucket, **args)
    assert client_error(e) == ("NotImplemented", 501)
    assert operation in e.value.response["Error"]["Message"]
    # Nothing changed: an unversioned bucket still says so.
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


OBJECT_NOT_IMPLEMENTED = [
    ("get_object_acl", {}, "GetObjectAcl"),
    ("get_object_retention", {}, "GetObjectRetention"),
    ("get_object_legal_hold", {}, "GetObjectLegalHold"),
    ("restore_object", {"RestoreRequest": {"Days": 1}}, "RestoreObject"),
]


@pytest.mark.parametrize("method,args,operation", OBJECT_NOT_IMPLEMENTED,
                         ids=[n[2] for n in OBJECT_NOT_IMPLEMENTED])
def test_object_subresource_not_implemented(s3, bucket, method, args, operation):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        getattr(s3, method)(Bucket=bucket, Key="k", **args)
    assert client_error(e) == ("NotImplemented", 501)
    assert operation in e.value.response["Error"]["Message"]


def test_not_implemented_raw_document(raw_s3, bucket):
    r = raw_s3.request("GET", "/" + bucket, "policy")
    assert r.status == 501
    err = r.error()
    assert err["Code"] == "NotImplemented"
    assert "GetBucketPolicy" in err["Message"]
    assert err["Resource"] == "/" + bucket
    assert err["RequestId"] == r.headers["x-amz-request-id"]


def test_method_not_allowed(raw_s3, bucket):
    r = raw_s3.request("POST", "/%s/key" % bucket, body=b"")
    assert r.status == 405
    assert r.error()["Code"] == "MethodNotAllowed"
    r = raw_s3.request("DELETE", "/")
    assert r.status == 405
    assert r.error()["Code"] == "MethodNotAllowed"


def test_invalid_uri_encoding(raw_s3, bucket):
    r = raw_s3.request("GET", "/%s/bad%%zzescape" % bucket)
    assert r.status == 400
    assert r.error()["Code"] == "InvalidURI"


def test_unsupported_checksum_algorithm(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="MD5")
    assert client_error(e) == ("InvalidRequest", 400)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# ------------------------------------------------------------ malformed XML

@pytest.fixture
def pending_upload(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"p")["ETag"]
    return up, etag


@pytest.mark.parametrize("body", [
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",        # truncated
    b"not xml at all",
    b"<CompleteMultipartUpload></CompleteMultipartUpload>",             # no parts
    b"<Wrong><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Wrong>",
    b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b"",
])
def test_complete_multipart_malformed_xml(raw_s3, s3, bucket, pending_upload, body):
    up, _ = pending_upload
    r = raw_s3.request("POST", "/%s/mp" % bucket, "uploadId=" + up, body=body)
    assert r.status == 400
    err = r.error()
    assert err["Code"] == "MalformedXML"
    assert err["Resource"] == "/%s/mp" % bucket
    # The upload is intact and can still complete.
    assert len(s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)["Parts"]) == 1
    assert_missing(s3, bucket, "mp")


def test_complete_multipart_well_formed_raw(raw_s3, s3, bucket, pending_upload):
    up, etag = pending_upload
    body = ("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
            "</CompleteMultipartUpload>" % etag).encode()
    r = raw_s3.request("POST", "/%s/mp" % bucket, "uploadId=" + up, body=body)
    assert r.status == 200, r.body
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p"


@pytest.mark.parametrize("body", [
    b"<Delete><Object><Key>a</Key></Object>",
    b"<Delete></Delete>",
    b"<Delete><Object><VersionId>null</VersionId></Object></Delete>",
    b"<NotDelete><Object><Key>a</Key></Object></NotDelete>",
    b"<Delete>" + b"".join(b"<Object><Key>k%d</Key></Object>" % i for i in range(1001)) + b"</Delete>",
])
def test_delete_objects_malformed_xml(raw_s3, s3, bucket, body):
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    r = raw_s3.request("POST", "/" + bucket, "delete", body=body,
                       headers={"Content-MD5": md5_b64(body)})
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"


def test_delete_objects_bad_content_md5(raw_s3, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    r = raw_s3.request("POST", "/" + bucket, "delete", body=body,
                       headers={"Content-MD5": md5_b64(b"other")})
    assert r.status == 400
    assert r.error()["Code"] == "BadDigest"
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"


@pytest.mark.parametrize("body", [
    b"<Tagging><TagSet><Tag><Key>a</Key>",
    b"<Tagging></Tagging>",
    b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
    b"<Tags><TagSet></TagSet></Tags>",
])
def test_put_object_tagging_malformed_xml(raw_s3, s3, bucket, body):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="keep=me")
    r = raw_s3.request("PUT", "/%s/t" % bucket, "tagging", body=body,
                       headers={"Content-MD5": md5_b64(body)})
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert tags == [{"Key": "keep", "Value": "me"}]


# ----------------------------------------------- Content-Length and bodies

def test_put_without_content_length(raw_s3, s3, bucket):
    r = raw_s3.request("PUT", "/%s/no-length" % bucket, content_length=False)
    assert r.status == 411
    err = r.error()
    assert err["Code"] == "MissingContentLength"
    assert err["Resource"] == "/%s/no-length" % bucket
    assert_missing(s3, bucket, "no-length")


def test_upload_part_without_content_length(raw_s3, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    r = raw_s3.request("PUT", "/%s/mp" % bucket, "partNumber=1&uploadId=" + up,
                       content_length=False)
    assert r.status == 411
    assert r.error()["Code"] == "MissingContentLength"
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=up).get("Parts", []) == []


def send_raw(raw_s3, method, path, headers, payload, read_reply=True):
    """Writes a signed head and payload on a fresh socket; returns the reply bytes."""
    hdrs, target = raw_s3.sign(method, path, headers=headers, unsigned_payload=True,
                               content_length=False)
    head = "%s %s HTTP/1.1\r\n" % (method, target)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs) + "\r\n"
    sock = socket.create_connection(("127.0.0.1", raw_s3.server.port), timeout=30)
    try:
        sock.sendall(head.encode() + payload)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        if read_reply:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply
    finally:
        sock.close()


def test_body_shorter_than_content_length(raw_s3, s3, bucket):
    reply = send_raw(raw_s3, "PUT", "/%s/short" % bucket, {"Content-Length": "1000"}, b"0123456789")
    # Whatever the reply (none, or an error), it is not a success.
    assert not reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert_missing(s3, bucket, "short")
    # The same for a body large enough to go to a blob.
    reply = send_raw(raw_s3, "PUT", "/%s/short-big" % bucket,
                     {"Content-Length": str(4 * 1024 * 1024)}, b"z" * (3 * 1024 * 1024))
    assert not reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert_missing(s3, bucket, "short-big")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_part_body_shorter_than_content_length(raw_s3, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    hdrs, target = raw_s3.sign("PUT", "/%s/mp" % bucket, "partNumber=1&uploadId=" + up,
                               headers={"Content-Length": "1000"}, unsigned_payload=True,
                               content_length=False)
    head = "PUT %s HTTP/1.1\r\n" % target + "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
    sock = socket.create_connection(("127.0.0.1", raw_s3.server.port), timeout=30)
    try:
        sock.sendall(head.encode() + b"short")
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    finally:
        sock.close()
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=up).get("Parts", []) == []


def test_body_longer_than_content_length(raw_s3, s3, bucket):
    # The bytes past Content-Length are not part of the object.
    send_raw(raw_s3, "PUT", "/%s/exact" % bucket, {"Content-Length": "5"}, b"helloGARBAGE")
    assert s3.get_object(Bucket=bucket, Key="exact")["Body"].read() == b"hello"


def test_entity_too_large_is_refused_before_the_body(raw_s3, s3, bucket):
    too_big = str(6 * 1024 ** 4)  # 6 TiB, over the 5 GiB single-PUT limit
    reply = send_raw(raw_s3, "PUT", "/%s/huge" % bucket, {"Content-Length": too_big}, b"")
    status_line = reply.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 400"), reply[:300]
    assert b"<Code>EntityTooLarge</Code>" in reply
    assert_missing(s3, bucket, "huge")


# ------------------------------------------------------------ still serving

def test_server_still_healthy(server, s3):
    assert server.proc.poll() is None
    with urllib.request.urlopen(server.endpoint + "/_tarn/health", timeout=30) as r:
        assert r.status == 200
        json.loads(r.read())
    name = "it-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="after-errors", Body=b"still here")
    assert s3.get_object(Bucket=name, Key="after-errors")["Body"].read() == b"still here"
    s3.delete_object(Bucket=name, Key="after-errors")
    s3.delete_bucket(Bucket=name)
