"""SigV4 authentication against a real server, request by request.

Most requests here are signed by hand (a small SigV4 signer below, written
from AWS's "Signature Version 4" and "Transferring Payload in Multiple
Chunks" pages) and sent over raw http.client, so each test controls exactly
the bytes on the wire: the date, the payload hash, every chunk signature.
boto3 is used where a real client's own behaviour is the point (presigned
URLs, wrong keys).
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, REGION, SECRET_KEY

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


# ---- a minimal SigV4 signer -------------------------------------------------

def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region=REGION, service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def _enc(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def canonical_query(query):
    if not query:
        return ""
    pairs = []
    for item in query.split("&"):
        k, _, v = item.partition("=")
        pairs.append((_enc(urllib.parse.unquote(k)), _enc(urllib.parse.unquote(v))))
    return "&".join("%s=%s" % kv for kv in sorted(pairs))


def amz_now(offset_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y%m%dT%H%M%SZ")


class Signed:
    """Headers for one signed request, plus what chunk signing needs."""

    def __init__(self, headers, signature, amz_date, scope, key):
        self.headers = headers
        self.signature = signature
        self.amz_date = amz_date
        self.scope = scope
        self.key = key


def sign(server, method, path, query="", headers=None, payload_hash=EMPTY_SHA256,
         amz_date=None, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """Signs a request the way an SDK does: every header given is signed."""
    amz_date = amz_date or amz_now()
    date = amz_date[:8]
    h = {k.lower(): str(v) for k, v in (headers or {}).items()}
    h["host"] = "127.0.0.1:%d" % server.port
    h["x-amz-date"] = amz_date
    h["x-amz-content-sha256"] = payload_hash
    names = sorted(h)
    canonical = "\n".join([
        method,
        _enc(path, safe="-_.~/"),
        canonical_query(query),
        "".join("%s:%s\n" % (n, " ".join(h[n].split())) for n in names),
        ";".join(names),
        payload_hash,
    ])
    scope = "%s/%s/s3/aws4_request" % (date, REGION)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = signing_key(secret_key, date)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access_key, scope, ";".join(names), signature)
    return Signed(h, signature, amz_date, scope, key)


def send(server, method, path, query="", headers=None, body=b""):
    """One request on a new connection; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        url = _enc(path, safe="-_.~/") + ("?" + query if query else "")
        conn.request(method, url, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def signed_send(server, method, path, query="", headers=None, body=b"", **kw):
    s = sign(server, method, path, query, headers,
             payload_hash=hashlib.sha256(body).hexdigest(), **kw)
    return send(server, method, path, query, s.headers, body)


def error_code(body):
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    return root.findtext("Code"), root.findtext("Message")


def assert_error(result, status, code):
    got_status, headers, body = result
    assert (got_status, error_code(body)[0]) == (status, code), body
    assert headers.get("x-amz-request-id"), headers
    return error_code(body)[1]


def assert_no_object(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ---- aws-chunked bodies --------------------------------------------------------

def chunk_signature(signed, prev_sig, data):
    to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", signed.amz_date, signed.scope, prev_sig,
                         EMPTY_SHA256, hashlib.sha256(data).hexdigest()])
    return hmac.new(signed.key, to_sign.encode(), hashlib.sha256).hexdigest()


def signed_chunks(signed, data, chunk_size, corrupt=None):
    """Encodes data as aws-chunked with chained chunk signatures.

    corrupt: None, ("sig", i) to flip a digit of chunk i's signature (the
    final empty chunk is i == number of data chunks), or ("data", i) to flip
    a byte of chunk i after signing it.
    """
    pieces = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    out = []
    prev = signed.signature
    for i, piece in enumerate(pieces):
        sig = chunk_signature(signed, prev, piece)
        prev = sig
        if corrupt == ("sig", i):
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        if corrupt == ("data", i):
            piece = bytes([piece[0] ^ 0x01]) + piece[1:]
        out.append(b"%x;chunk-signature=%s\r\n" % (len(piece), sig.encode()) + piece + b"\r\n")
    return b"".join(out)


def put_streaming_signed(server, bucket, key, data, chunk_size=64 * 1024, corrupt=None):
    path = "/%s/%s" % (bucket, key)
    headers = {"content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data))}
    s = sign(server, "PUT", path, headers=headers, payload_hash=STREAMING_SIGNED)
    body = signed_chunks(s, data, chunk_size, corrupt)
    s.headers["content-length"] = str(len(body))
    return send(server, "PUT", path, headers=s.headers, body=body)


def unsigned_trailer_body(data, chunk_size, trailer_name, trailer_value):
    out = []
    for i in range(0, len(data), chunk_size):
        piece = data[i:i + chunk_size]
        out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
    out.append(b"0\r\n%s:%s\r\n\r\n" % (trailer_name.encode(), trailer_value.encode()))
    return b"".join(out)


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def put_unsigned_trailer(server, bucket, key, data, checksum_b64, chunk_size=8192):
    path = "/%s/%s" % (bucket, key)
    body = unsigned_trailer_body(data, chunk_size, "x-amz-checksum-crc32", checksum_b64)
    headers = {"content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": "x-amz-checksum-crc32",
               "x-amz-sdk-checksum-algorithm": "CRC32"}
    s = sign(server, "PUT", path, headers=headers, payload_hash=STREAMING_UNSIGNED_TRAILER)
    s.headers["content-length"] = str(len(body))
    return send(server, "PUT", path, headers=s.headers, body=body)


def body_of(n, seed):
    """n deterministic, incompressible-looking bytes."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s:%d" % (seed.encode(), counter)).digest()
        counter += 1
    return bytes(out[:n])


# ---- the signer itself is right --------------------------------------------------

def test_hand_signed_requests_are_accepted(server, s3, bucket):
    data = body_of(1000, "hand")
    status, headers, body = signed_send(server, "PUT", "/%s/hand signed/ü.txt" % bucket, body=data,
                                        headers={"content-type": "text/plain"})
    assert status == 200, body
    assert headers["etag"] == '"%s"' % hashlib.md5(data).hexdigest()
    status, _, body = signed_send(server, "GET", "/%s" % bucket,
                                  query="list-type=2&prefix=hand%20signed%2F")
    assert status == 200, body
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    keys = [k.text for k in ET.fromstring(body).findall("s3:Contents/s3:Key", ns)]
    assert keys == ["hand signed/ü.txt"]
    assert s3.get_object(Bucket=bucket, Key="hand signed/ü.txt")["Body"].read() == data


def test_unsigned_payload_is_accepted(server, s3, bucket):
    data = body_of(5000, "unsigned")
    s = sign(server, "PUT", "/%s/u" % bucket, payload_hash="UNSIGNED-PAYLOAD")
    status, _, body = send(server, "PUT", "/%s/u" % bucket, headers=s.headers, body=data)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="u")["Body"].read() == data


# ---- wrong credentials ---------------------------------------------------------------

def _client(server, access_key, secret_key):
    return boto3.client(
        "s3", endpoint_url=server.endpoint, region_name=REGION,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def _client_error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]


def test_wrong_secret_is_signature_does_not_match(server, s3, bucket):
    bad = _client(server, ACCESS_KEY, SECRET_KEY[:-1] + "X")
    assert _client_error(bad.list_buckets) == (403, "SignatureDoesNotMatch")
    assert _client_error(bad.put_object, Bucket=bucket, Key="k", Body=b"x") == (
        403, "SignatureDoesNotMatch")
    assert_no_object(s3, bucket, "k")


def test_unknown_access_key_is_invalid_access_key_id(server, s3, bucket):
    bad = _client(server, "AKIDNOSUCHKEY0000000", SECRET_KEY)
    assert _client_error(bad.list_buckets) == (403, "InvalidAccessKeyId")
    assert _client_error(bad.put_object, Bucket=bucket, Key="k", Body=b"x") == (
        403, "InvalidAccessKeyId")
    assert_no_object(s3, bucket, "k")


def _urlopen(req):
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


@pytest.mark.parametrize("method,suffix", [
    ("GET", ""), ("GET", "/{bucket}"), ("GET", "/{bucket}?list-type=2"),
    ("GET", "/{bucket}/obj"), ("HEAD", "/{bucket}/obj"), ("PUT", "/{bucket}/anon"),
    ("DELETE", "/{bucket}/obj"), ("PUT", "/anon-bucket-" + uuid.uuid4().hex[:8]),
])
def test_anonymous_requests_are_denied(server, s3, bucket, method, suffix):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"secret bytes")
    url = server.endpoint + (suffix.format(bucket=bucket) or "/")
    data = b"anonymous" if method == "PUT" else None
    status, headers, body = _urlopen(urllib.request.Request(url, data=data, method=method))
    assert status == 403
    if method != "HEAD":
        assert error_code(body)[0] == "AccessDenied"
        assert b"secret bytes" not in body
    # Nothing changed.
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == b"secret bytes"
    assert_no_object(s3, bucket, "anon")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert not [n for n in names if n.startswith("anon-bucket-")]


# ---- presigned URLs ------------------------------------------------------------------------

@pytest.fixture
def s3v4(server):
    """boto3 as users configure it for presigning: Debian's botocore still
    presigns with SigV2 unless told otherwise."""
    return server.client("s3", signature_version="s3v4")


def test_sigv2_presigned_url_is_rejected(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="v2", Body=b"v2 bytes")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2"})
    assert "AWSAccessKeyId=" in url  # botocore 1.29's default for S3
    status, _, body = _urlopen(urllib.request.Request(url))
    assert (status, error_code(body)[0]) == (400, "InvalidRequest")
    assert b"v2 bytes" not in body


def test_presigned_get_and_put(server, s3, s3v4, bucket):
    data = body_of(70000, "presigned")
    put_url = s3v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "pre/put.bin"}, ExpiresIn=300)
    status, _, body = _urlopen(urllib.request.Request(put_url, data=data, method="PUT"))
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="pre/put.bin")["Body"].read() == data

    get_url = s3v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "pre/put.bin"}, ExpiresIn=300)
    status, headers, body = _urlopen(urllib.request.Request(get_url))
    assert status == 200
    assert body == data
    assert headers["etag"] == '"%s"' % hashlib.md5(data).hexdigest()

    # Response overrides are part of the signed query.
    url = s3v4.generate_presigned_url(
        "get_object", ExpiresIn=300,
        Params={"Bucket": bucket, "Key": "pre/put.bin",
                "ResponseContentDisposition": 'attachment; filename="x.bin"'})
    status, headers, body = _urlopen(urllib.request.Request(url))
    assert status == 200
    assert headers["content-disposition"] == 'attachment; filename="x.bin"'


def test_presigned_urls_expire(server, s3, s3v4, bucket):
    s3.put_object(Bucket=bucket, Key="exp", Body=b"soon gone")
    get_url = s3v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "exp"}, ExpiresIn=1)
    put_url = s3v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "late"}, ExpiresIn=1)
    time.sleep(2.2)
    status, _, body = _urlopen(urllib.request.Request(get_url))
    assert status == 403
    code, message = error_code(body)
    assert code == "AccessDenied"
    assert "Request has expired" in message
    assert b"soon gone" not in body
    status, _, body = _urlopen(urllib.request.Request(put_url, data=b"late", method="PUT"))
    assert (status, error_code(body)[0]) == (403, "AccessDenied")
    assert_no_object(s3, bucket, "late")


def _tamper(url, param, fn):
    parts = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    q = [(k, fn(v) if k == param else v) for k, v in q]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def test_presigned_url_tampered(server, s3, s3v4, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"AAAA")
    s3.put_object(Bucket=bucket, Key="b", Body=b"BBBB")
    url = s3v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a"}, ExpiresIn=300)
    flip = lambda s: s[:-1] + ("0" if s[-1] != "0" else "1")  # noqa: E731
    for bad in [
        _tamper(url, "X-Amz-Signature", flip),
        _tamper(url, "X-Amz-Expires", lambda v: "600"),  # a longer life than signed
        url.replace("/%s/a?" % bucket, "/%s/b?" % bucket),  # another object, same signature
    ]:
        status, _, body = _urlopen(urllib.request.Request(bad))
        assert (status, error_code(body)[0]) == (403, "SignatureDoesNotMatch"), bad
        assert b"BBBB" not in body and b"AAAA" not in body
    # A presigned GET does not authorize a PUT to the same URL.
    status, _, body = _urlopen(urllib.request.Request(url, data=b"overwrite", method="PUT"))
    assert (status, error_code(body)[0]) == (403, "SignatureDoesNotMatch")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"AAAA"


# ---- dates and header shape ------------------------------------------------------------

@pytest.mark.parametrize("offset_s", [-20 * 60, 20 * 60])
def test_request_time_too_skewed(server, s3, bucket, offset_s):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    result = signed_send(server, "GET", "/%s/k" % bucket, amz_date=amz_now(offset_s))
    assert_error(result, 403, "RequestTimeTooSkewed")
    result = signed_send(server, "PUT", "/%s/skewed" % bucket, body=b"x",
                         amz_date=amz_now(offset_s))
    assert_error(result, 403, "RequestTimeTooSkewed")
    assert_no_object(s3, bucket, "skewed")


def test_small_skew_is_accepted(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    for offset in (-10 * 60, 10 * 60):
        status, _, body = signed_send(server, "GET", "/%s/k" % bucket, amz_date=amz_now(offset))
        assert (status, body) == (200, b"v")


def _auth_header(signed, **replace):
    """Rebuilds the Authorization header with some components replaced or dropped."""
    value = signed.headers["authorization"]
    _, _, rest = value.partition(" ")
    comps = dict(p.strip().split("=", 1) for p in rest.split(","))
    for k, v in replace.items():
        if v is None:
            comps.pop(k, None)
        else:
            comps[k] = v
    return "AWS4-HMAC-SHA256 " + ", ".join("%s=%s" % kv for kv in comps.items())


@pytest.mark.parametrize("mangle", [
    "no-signature", "no-signed-headers", "no-credential", "short-credential",
    "credential-not-aws4_request", "garbage-components", "credential-date-mismatch",
])
def test_malformed_authorization_header(server, s3, mangle):
    s = sign(server, "GET", "/")
    scope = s.scope.split("/")
    header = {
        "no-signature": lambda: _auth_header(s, Signature=None),
        "no-signed-headers": lambda: _auth_header(s, SignedHeaders=None),
        "no-credential": lambda: _auth_header(s, Credential=None),
        "short-credential": lambda: _auth_header(s, Credential="%s/%s" % (ACCESS_KEY, scope[0])),
        "credential-not-aws4_request": lambda: _auth_header(
            s, Credential="%s/%s/%s/s3/aws5_request" % (ACCESS_KEY, scope[0], REGION)),
        "garbage-components": lambda: "AWS4-HMAC-SHA256 this is not, a header",
        "credential-date-mismatch": lambda: _auth_header(
            s, Credential="%s/20200101/%s/s3/aws4_request" % (ACCESS_KEY, REGION)),
    }[mangle]()
    s.headers["authorization"] = header
    assert_error(send(server, "GET", "/", headers=s.headers), 400, "AuthorizationHeaderMalformed")


def test_sigv2_authorization_is_rejected(server):
    headers = {"Authorization": "AWS %s:c2lnbmF0dXJl" % ACCESS_KEY,
               "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())}
    assert_error(send(server, "GET", "/", headers=headers), 400, "InvalidRequest")


def test_unsigned_header_change_is_detected(server, s3, bucket):
    """Changing a signed header after signing breaks the signature."""
    s = sign(server, "PUT", "/%s/meta" % bucket, headers={"x-amz-meta-color": "blue"},
             payload_hash=hashlib.sha256(b"m").hexdigest())
    s.headers["x-amz-meta-color"] = "red"
    assert_error(send(server, "PUT", "/%s/meta" % bucket, headers=s.headers, body=b"m"),
                 403, "SignatureDoesNotMatch")
    assert_no_object(s3, bucket, "meta")


# ---- payload hashes ------------------------------------------------------------------------

def test_payload_hash_mismatch_stores_nothing(server, s3, bucket):
    signed_body = body_of(100000, "signed")
    sent_body = body_of(100000, "sent")
    path = "/%s/mismatch" % bucket
    s = sign(server, "PUT", path, payload_hash=hashlib.sha256(signed_body).hexdigest())
    assert_error(send(server, "PUT", path, headers=s.headers, body=sent_body),
                 400, "XAmzContentSHA256Mismatch")
    assert_no_object(s3, bucket, "mismatch")


def test_payload_hash_mismatch_keeps_previous_version(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"original")
    path = "/%s/keep" % bucket
    s = sign(server, "PUT", path, payload_hash=hashlib.sha256(b"replaced").hexdigest())
    assert_error(send(server, "PUT", path, headers=s.headers, body=b"REPLACED"),
                 400, "XAmzContentSHA256Mismatch")
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"original"


def test_payload_hash_mismatch_on_upload_part(server, s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    path = "/%s/mp" % bucket
    query = "partNumber=1&uploadId=%s" % urllib.parse.quote(up, safe="")
    s = sign(server, "PUT", path, query=query,
             payload_hash=hashlib.sha256(b"part one").hexdigest())
    assert_error(send(server, "PUT", path, query, headers=s.headers, body=b"part 0ne"),
                 400, "XAmzContentSHA256Mismatch")
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=up).get("Parts", []) == []
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up)


# ---- aws-chunked: STREAMING-AWS4-HMAC-SHA256-PAYLOAD -----------------------------------

@pytest.mark.parametrize("size,chunk", [(0, 8192), (1, 8192), (65536, 65536),
                                        (200001, 65536), (3 * 1024 * 1024 + 7, 1024 * 1024)])
def test_streaming_signed_upload(server, s3, bucket, size, chunk):
    data = body_of(size, "stream%d" % size)
    status, headers, body = put_streaming_signed(server, bucket, "chunked", data, chunk)
    assert status == 200, body
    assert headers["etag"] == '"%s"' % hashlib.md5(data).hexdigest()
    head = s3.head_object(Bucket=bucket, Key="chunked")
    assert head["ContentLength"] == size
    # aws-chunked is the transfer framing, never the object's Content-Encoding.
    assert "aws-chunked" not in head.get("ContentEncoding", "")
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data


@pytest.mark.parametrize("corrupt", [("sig", 0), ("sig", 2), ("sig", 4), ("data", 0), ("data", 3)],
                         ids=["first-sig", "middle-sig", "final-sig", "first-data", "last-data"])
def test_streaming_signed_bad_chunk_stores_nothing(server, s3, bucket, corrupt):
    data = body_of(4 * 65536 - 100, "corrupt")  # four data chunks, then the final empty one
    status, _, body = put_streaming_signed(server, bucket, "bad", data, 65536, corrupt)
    assert (status, error_code(body)[0]) == (403, "SignatureDoesNotMatch"), body
    assert_no_object(s3, bucket, "bad")
    # An existing object is left as it was.
    s3.put_object(Bucket=bucket, Key="bad", Body=b"before")
    status, _, body = put_streaming_signed(server, bucket, "bad", data, 65536, corrupt)
    assert (status, error_code(body)[0]) == (403, "SignatureDoesNotMatch"), body
    assert s3.get_object(Bucket=bucket, Key="bad")["Body"].read() == b"before"


def test_streaming_signed_wrong_decoded_length(server, s3, bucket):
    data = body_of(1000, "len")
    path = "/%s/len" % bucket
    headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": "999"}
    s = sign(server, "PUT", path, headers=headers, payload_hash=STREAMING_SIGNED)
    body = signed_chunks(s, data, 512)
    s.headers["content-length"] = str(len(body))
    status, _, resp = send(server, "PUT", path, headers=s.headers, body=body)
    assert status == 400, resp
    assert_no_object(s3, bucket, "len")


# ---- aws-chunked: STREAMING-UNSIGNED-PAYLOAD-TRAILER -------------------------------------

def test_unsigned_trailer_crc32(server, s3, bucket):
    data = body_of(100000, "trailer")
    status, headers, body = put_unsigned_trailer(server, bucket, "tr", data, crc32_b64(data))
    assert status == 200, body
    assert headers.get("x-amz-checksum-crc32") == crc32_b64(data)
    assert s3.get_object(Bucket=bucket, Key="tr")["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key="tr", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(data)
    assert head["ContentLength"] == len(data)
    assert "aws-chunked" not in head.get("ContentEncoding", "")


def test_unsigned_trailer_wrong_crc32_is_bad_digest(server, s3, bucket):
    data = body_of(100000, "trailer-bad")
    wrong = crc32_b64(data + b"x")
    status, _, body = put_unsigned_trailer(server, bucket, "trbad", data, wrong)
    assert (status, error_code(body)[0]) == (400, "BadDigest"), body
    assert_no_object(s3, bucket, "trbad")


def test_boto3_flexible_checksum_upload(server, s3, bucket):
    """boto3's own checksum path (header, not trailer, over plain HTTP)."""
    data = body_of(300000, "flex")
    r = s3.put_object(Bucket=bucket, Key="flex", Body=data, ChecksumAlgorithm="CRC32")
    assert r["ChecksumCRC32"] == crc32_b64(data)
    head = s3.head_object(Bucket=bucket, Key="flex", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(data)


# ---- aws-chunked: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER --------------------------------

def put_signed_trailer(server, bucket, key, data, checksum_b64, chunk_size=65536,
                       corrupt_trailer_sig=False):
    path = "/%s/%s" % (bucket, key)
    headers = {"content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": "x-amz-checksum-crc32"}
    s = sign(server, "PUT", path, headers=headers,
             payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    chunks = signed_chunks(s, data, chunk_size)
    final_sig = chunks.rsplit(b"chunk-signature=", 1)[1][:64].decode()
    trailer = "x-amz-checksum-crc32:%s\n" % checksum_b64
    to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", s.amz_date, s.scope, final_sig,
                         hashlib.sha256(trailer.encode()).hexdigest()])
    trailer_sig = hmac.new(s.key, to_sign.encode(), hashlib.sha256).hexdigest()
    if corrupt_trailer_sig:
        trailer_sig = trailer_sig[::-1]
    # The final chunk's CRLF is followed by the trailer fields, then a blank line.
    body = chunks[:-2] + ("x-amz-checksum-crc32:%s\r\nx-amz-trailer-signature:%s\r\n\r\n" % (
        checksum_b64, trailer_sig)).encode()
    s.headers["content-length"] = str(len(body))
    return send(server, "PUT", path, headers=s.headers, body=body)


def test_signed_trailer_crc32(server, s3, bucket):
    data = body_of(150000, "signed-trailer")
    status, headers, body = put_signed_trailer(server, bucket, "st", data, crc32_b64(data))
    assert status == 200, body
    assert headers["etag"] == '"%s"' % hashlib.md5(data).hexdigest()
    assert s3.get_object(Bucket=bucket, Key="st")["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key="st", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc32_b64(data)


def test_signed_trailer_bad_signature_stores_nothing(server, s3, bucket):
    data = body_of(150000, "signed-trailer-bad")
    status, _, body = put_signed_trailer(server, bucket, "stbad", data, crc32_b64(data),
                                         corrupt_trailer_sig=True)
    assert (status, error_code(body)[0]) == (403, "SignatureDoesNotMatch"), body
    assert_no_object(s3, bucket, "stbad")


def test_signed_trailer_wrong_checksum_is_bad_digest(server, s3, bucket):
    data = body_of(150000, "signed-trailer-digest")
    status, _, body = put_signed_trailer(server, bucket, "stdig", data, crc32_b64(b"other"))
    assert (status, error_code(body)[0]) == (400, "BadDigest"), body
    assert_no_object(s3, bucket, "stdig")


# ---- canonicalization edge cases -------------------------------------------------------------

WEIRD_KEYS = [
    "plain",
    "with space and+plus",
    "percent%20literal%2F",
    "equals=and&amp;?query#hash",
    "tilde~star*bang!quote'paren()",
    "colon:semi;comma,at@dollar$",
    "brackets[]{}<>^`|\\backslash",
    "dir//double/slash",
    "dir/./dot/../dotdot",
    "trailing-slash/",
    "ünïcødé/日本語/🙂",
    "tab\there",
]


@pytest.mark.parametrize("key", WEIRD_KEYS)
def test_keys_that_stress_the_canonical_uri(server, s3, s3v4, bucket, key):
    data = ("body of %s" % key).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [key]
    # The hand signer and the presigner agree with the server as well.
    status, _, body = signed_send(server, "GET", "/%s/%s" % (bucket, key))
    assert (status, body) == (200, data)
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    status, _, body = _urlopen(urllib.request.Request(url))
    assert (status, body) == (200, data)


def test_query_parameters_are_canonicalized(server, s3, bucket):
    for k in ("a+b/1", "a b/2", "a=b/3"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    # Unsorted parameters, an empty value, a reserved character encoded.
    status, _, body = signed_send(server, "GET", "/" + bucket,
                                  query="prefix=a%2Bb&list-type=2&delimiter=&max-keys=5")
    assert status == 200, body
    keys = [k.text for k in ET.fromstring(body).findall("s3:Contents/s3:Key", ns)]
    assert keys == ["a+b/1"]
    status, _, body = signed_send(server, "GET", "/" + bucket, query="list-type=2&prefix=a%20b")
    assert status == 200, body
    assert [k.text for k in ET.fromstring(body).findall("s3:Contents/s3:Key", ns)] == ["a b/2"]


def test_header_whitespace_is_canonicalized(server, s3, bucket):
    path = "/%s/ws" % bucket
    s = sign(server, "PUT", path, headers={"x-amz-meta-note": "  several   spaces  here "},
             payload_hash=hashlib.sha256(b"ws").hexdigest())
    status, _, body = send(server, "PUT", path, headers=s.headers, body=b"ws")
    assert status == 200, body


def test_date_header_instead_of_x_amz_date(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"dated")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz = now.strftime("%Y%m%dT%H%M%SZ")
    path = "/%s/d" % bucket
    h = {"host": "127.0.0.1:%d" % server.port,
         "date": now.strftime("%a, %d %b %Y %H:%M:%S GMT"),
         "x-amz-content-sha256": EMPTY_SHA256}
    names = sorted(h)
    canonical = "\n".join(["GET", path, "", "".join("%s:%s\n" % (n, h[n]) for n in names),
                           ";".join(names), EMPTY_SHA256])
    scope = "%s/%s/s3/aws4_request" % (amz[:8], REGION)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    sig = hmac.new(signing_key(SECRET_KEY, amz[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ACCESS_KEY, scope, ";".join(names), sig)
    status, _, body = send(server, "GET", path, headers=h)
    assert (status, body) == (200, b"dated")


def test_invalid_content_sha256_value(server, s3, bucket):
    path = "/%s/badhash" % bucket
    s = sign(server, "PUT", path, payload_hash="not-a-sha256")
    assert_error(send(server, "PUT", path, headers=s.headers, body=b"x"), 400, "InvalidArgument")
    assert_no_object(s3, bucket, "badhash")


def test_missing_content_sha256_header(server, s3, bucket):
    path = "/%s/nohash" % bucket
    s = sign(server, "PUT", path, payload_hash=hashlib.sha256(b"x").hexdigest())
    # Re-sign without the header: SigV4 for S3 requires it.
    del s.headers["x-amz-content-sha256"]
    assert_error(send(server, "PUT", path, headers=s.headers, body=b"x"), 400, "InvalidRequest")
    assert_no_object(s3, bucket, "nohash")


def test_presigned_url_over_a_week_is_refused(server, s3v4, bucket):
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"},
                                      ExpiresIn=604800)
    status, _, body = _urlopen(urllib.request.Request(url))
    assert (status, error_code(body)[0]) == (404, "NoSuchKey")  # a week is allowed
    url = _tamper(url, "X-Amz-Expires", lambda v: "604801")
    status, _, body = _urlopen(urllib.request.Request(url))
    assert (status, error_code(body)[0]) == (400, "AuthorizationQueryParametersError")


def test_presigned_url_with_an_added_parameter(server, s3, s3v4, bucket):
    s3.put_object(Bucket=bucket, Key="p", Body=b"<b>hi</b>", ContentType="text/plain")
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"})
    status, _, body = _urlopen(urllib.request.Request(url + "&response-content-type=text%2Fhtml"))
    assert (status, error_code(body)[0]) == (403, "SignatureDoesNotMatch")


def test_streaming_signed_without_decoded_length(server, s3, bucket):
    data = body_of(1000, "nodecoded")
    path = "/%s/nodecoded" % bucket
    s = sign(server, "PUT", path, headers={"content-encoding": "aws-chunked"},
             payload_hash=STREAMING_SIGNED)
    body = signed_chunks(s, data, 8192)
    s.headers["content-length"] = str(len(body))
    status, headers, resp = send(server, "PUT", path, headers=s.headers, body=body)
    assert status == 411, (status, headers, resp)
    assert error_code(resp)[0] == "MissingContentLength", resp
    assert_no_object(s3, bucket, "nodecoded")


def _drop(url, param):
    parts = urllib.parse.urlsplit(url)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
         if k != param]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def test_presigned_url_shape_errors(server, s3, s3v4, bucket):
    s3.put_object(Bucket=bucket, Key="q", Body=b"query auth")
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "q"})
    cases = [
        (_drop(url, "X-Amz-Signature"), {}, 400, "AuthorizationQueryParametersError"),
        (_drop(url, "X-Amz-Credential"), {}, 400, "AuthorizationQueryParametersError"),
        (_tamper(url, "X-Amz-Credential", lambda v: v.replace(ACCESS_KEY, "AKIDNOSUCHKEY0000000")),
         {}, 403, "InvalidAccessKeyId"),
        (_tamper(url, "X-Amz-Date", lambda v: "yesterday"), {}, 400,
         "AuthorizationQueryParametersError"),
        # Two mechanisms at once.
        (url, {"Authorization": sign(server, "GET", "/%s/q" % bucket).headers["authorization"]},
         400, "InvalidArgument"),
    ]
    for u, headers, status, code in cases:
        got_status, _, body = _urlopen(urllib.request.Request(u, headers=headers))
        assert (got_status, error_code(body)[0]) == (status, code), u
        assert b"query auth" not in body
