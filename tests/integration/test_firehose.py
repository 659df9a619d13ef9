"""Firehose delivery streams through boto3 against the shared server: the
operations and their errors, direct puts delivered into S3 under the
expected prefixes with the expected bytes, size- and interval-triggered
flushes, compression, dynamic partitioning and the error prefix."""

import base64
import datetime
import gzip
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from firehose_util import (ACCOUNT, REGION, ROLE, body, call, destination, error_code,
                           error_message, firehose_client, keys, name, processors, wait_keys)

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def fh(server):
    return firehose_client(server)


@pytest.fixture
def stream(fh):
    """A stream name, deleted (if created) after the test."""
    n = name()
    yield n
    try:
        fh.delete_delivery_stream(DeliveryStreamName=n)
    except ClientError:
        pass


def arn(n):
    return "arn:aws:firehose:%s:%s:deliverystream/%s" % (REGION, ACCOUNT, n)


# --- operations -------------------------------------------------------------------------

def test_create_describe_list_and_delete(fh, bucket, stream):
    out = fh.create_delivery_stream(
        DeliveryStreamName=stream, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration=destination(bucket, interval=60, Prefix="p/"),
        Tags=[{"Key": "team", "Value": "data"}])
    assert out["DeliveryStreamARN"] == arn(stream)
    d = fh.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert d["DeliveryStreamName"] == stream
    assert d["DeliveryStreamARN"] == arn(stream)
    assert d["DeliveryStreamStatus"] == "ACTIVE"
    assert d["DeliveryStreamType"] == "DirectPut"
    assert d["VersionId"] == "1"
    assert d["HasMoreDestinations"] is False
    assert d["DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED"
    assert isinstance(d["CreateTimestamp"], datetime.datetime)
    (dest,) = d["Destinations"]
    assert dest["DestinationId"] == "destinationId-000000000001"
    ext = dest["ExtendedS3DestinationDescription"]
    assert ext["BucketARN"] == "arn:aws:s3:::%s" % bucket
    assert ext["Prefix"] == "p/"
    assert ext["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 5}
    assert ext["CompressionFormat"] == "UNCOMPRESSED"
    assert ext["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}
    assert dest["S3DestinationDescription"]["BucketARN"] == ext["BucketARN"]

    listed = fh.list_delivery_streams(Limit=10000)
    assert stream in listed["DeliveryStreamNames"]
    kinesis_only = fh.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")
    assert stream not in kinesis_only["DeliveryStreamNames"]

    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=stream,
                                  ExtendedS3DestinationConfiguration=destination(bucket))
    assert error_code(e) == "ResourceInUseException"

    fh.delete_delivery_stream(DeliveryStreamName=stream)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            status = fh.describe_delivery_stream(DeliveryStreamName=stream)[
                "DeliveryStreamDescription"]["DeliveryStreamStatus"]
            assert status == "DELETING"
        except ClientError as err:
            assert err.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        time.sleep(0.05)
    else:
        pytest.fail("the stream was not removed")


def test_defaults_of_the_plain_s3_destination(fh, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream, S3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::%s" % bucket})
    ext = fh.describe_delivery_stream(DeliveryStreamName=stream)[
        "DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert ext["S3BackupMode"] == "Disabled"


def test_list_pages_by_name(fh, bucket):
    prefix = name("page")
    names = ["%s-%d" % (prefix, i) for i in range(3)]
    for n in names:
        fh.create_delivery_stream(DeliveryStreamName=n,
                                  ExtendedS3DestinationConfiguration=destination(bucket, 60))
    try:
        first = fh.list_delivery_streams(Limit=2, ExclusiveStartDeliveryStreamName=prefix)
        assert first["DeliveryStreamNames"] == names[:2]
        assert first["HasMoreDeliveryStreams"] is True
        rest = fh.list_delivery_streams(ExclusiveStartDeliveryStreamName=names[1], Limit=10000)
        assert rest["DeliveryStreamNames"][0] == names[2]
    finally:
        for n in names:
            fh.delete_delivery_stream(DeliveryStreamName=n)


def test_tags(fh, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 60))
    fh.tag_delivery_stream(DeliveryStreamName=stream,
                           Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    out = fh.list_tags_for_delivery_stream(DeliveryStreamName=stream, Limit=1)
    assert out["Tags"] == [{"Key": "a", "Value": "1"}]
    assert out["HasMoreTags"] is True
    out = fh.list_tags_for_delivery_stream(DeliveryStreamName=stream, ExclusiveStartTagKey="a")
    assert out == {"Tags": [{"Key": "b", "Value": "2"}], "HasMoreTags": False,
                   "ResponseMetadata": out["ResponseMetadata"]}
    fh.untag_delivery_stream(DeliveryStreamName=stream, TagKeys=["a"])
    assert fh.list_tags_for_delivery_stream(DeliveryStreamName=stream)["Tags"] == [
        {"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        fh.tag_delivery_stream(DeliveryStreamName=stream, Tags=[
            {"Key": "k%d" % i, "Value": "v"} for i in range(50)])
    assert error_code(e) == "LimitExceededException"


def test_encryption_setting_is_stored_and_reported(fh, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 60))
    fh.start_delivery_stream_encryption(
        DeliveryStreamName=stream,
        DeliveryStreamEncryptionConfigurationInput={
            "KeyType": "CUSTOMER_MANAGED_CMK",
            "KeyARN": "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"})
    enc = fh.describe_delivery_stream(DeliveryStreamName=stream)[
        "DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]
    assert enc["Status"] == "ENABLED"
    assert enc["KeyType"] == "CUSTOMER_MANAGED_CMK"
    assert fh.put_record(DeliveryStreamName=stream, Record={"Data": b"x"})["Encrypted"] is True
    fh.stop_delivery_stream_encryption(DeliveryStreamName=stream)
    enc = fh.describe_delivery_stream(DeliveryStreamName=stream)[
        "DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]
    assert enc["Status"] == "DISABLED"
    with pytest.raises(ClientError) as e:
        fh.start_delivery_stream_encryption(
            DeliveryStreamName=stream,
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"})
    assert error_code(e) == "InvalidArgumentException"
    assert "keyARN" in error_message(e)


def test_update_destination_checks_the_version(fh, s3, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 1, Prefix="v1/"))
    with pytest.raises(ClientError) as e:
        fh.update_destination(DeliveryStreamName=stream, CurrentDeliveryStreamVersionId="5",
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate={"Prefix": "v2/"})
    assert error_code(e) == "ConcurrentModificationException"
    fh.update_destination(DeliveryStreamName=stream, CurrentDeliveryStreamVersionId="1",
                          DestinationId="destinationId-000000000001",
                          ExtendedS3DestinationUpdate={"Prefix": "v2/", "CompressionFormat": "GZIP"})
    d = fh.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert d["VersionId"] == "2"
    assert "LastUpdateTimestamp" in d
    ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["Prefix"] == "v2/"
    assert ext["CompressionFormat"] == "GZIP"
    assert ext["BufferingHints"]["IntervalInSeconds"] == 1  # kept: updates merge
    fh.put_record(DeliveryStreamName=stream, Record={"Data": b"after update"})
    (key,) = wait_keys(s3, bucket, "v2/")
    assert re.search(r"/%s-2-[0-9-]{19}-%s\.gz$" % (stream, UUID), key), key
    assert body(s3, bucket, key) == b"after update"
    with pytest.raises(ClientError) as e:
        fh.update_destination(DeliveryStreamName=stream, CurrentDeliveryStreamVersionId="2",
                              DestinationId="destinationId-000000000001",
                              RedshiftDestinationUpdate={"Username": "u"})
    assert error_code(e) == "InvalidArgumentException"
    assert "RedshiftDestinationUpdate is not supported by tarn" in error_message(e)


# --- delivery -----------------------------------------------------------------------------

def test_direct_put_lands_under_the_default_time_prefix_with_delimiters(fh, s3, bucket, stream):
    fh.create_delivery_stream(
        DeliveryStreamName=stream,
        ExtendedS3DestinationConfiguration=destination(
            bucket, 1, ProcessingConfiguration=processors("AppendDelimiterToRecord")))
    before = datetime.datetime.now(datetime.timezone.utc)
    rid = fh.put_record(DeliveryStreamName=stream, Record={"Data": b'{"n":0}'})["RecordId"]
    assert rid
    out = fh.put_record_batch(DeliveryStreamName=stream,
                              Records=[{"Data": b'{"n":%d}' % i} for i in range(1, 6)])
    assert out["FailedPutCount"] == 0
    ids = [r["RecordId"] for r in out["RequestResponses"]]
    assert len(set(ids + [rid])) == 6
    found = wait_keys(s3, bucket, "")
    data = b"".join(body(s3, bucket, k) for k in wait_keys(s3, bucket, "", 1))
    # Either one object or two (a flush may fall between the two puts).
    deadline = time.monotonic() + 10
    while data.count(b"\n") < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
        data = b"".join(body(s3, bucket, k) for k in keys(s3, bucket))
    assert data == b"".join(b'{"n":%d}\n' % i for i in range(6))
    key = found[0]
    hour = before.strftime("%Y/%m/%d/%H/")
    later = (before + datetime.timedelta(seconds=5)).strftime("%Y/%m/%d/%H/")
    assert key.startswith(hour) or key.startswith(later), key
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\d{2}/%s-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-%s" %
                        (re.escape(stream), UUID), key), key


def test_custom_prefix_timestamps_and_gzip(fh, s3, bucket, stream):
    fh.create_delivery_stream(
        DeliveryStreamName=stream,
        ExtendedS3DestinationConfiguration=destination(
            bucket, 1, Prefix="events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/",
            ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
            CompressionFormat="GZIP"))
    now = datetime.datetime.now(datetime.timezone.utc)
    fh.put_record_batch(DeliveryStreamName=stream,
                        Records=[{"Data": b"line %d\n" % i} for i in range(100)])
    (key,) = wait_keys(s3, bucket, "events/")
    assert key.startswith("events/year=%d/month=%02d/" % (now.year, now.month)), key
    assert key.endswith(".gz")
    assert s3.head_object(Bucket=bucket, Key=key)["ContentEncoding"] == "gzip"
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert gzip.decompress(raw) == b"".join(b"line %d\n" % i for i in range(100))


@pytest.mark.parametrize("fmt,ext,encoding", [
    ("ZIP", ".zip", "zip"), ("Snappy", ".snappy", "snappy-java"), ("HADOOP_SNAPPY", ".snappy", "hadoop-snappy"),
])
def test_other_compression_formats(fh, s3, bucket, stream, fmt, ext, encoding):
    import io
    import zipfile
    fh.create_delivery_stream(DeliveryStreamName=stream, ExtendedS3DestinationConfiguration=destination(
        bucket, 0, CompressionFormat=fmt))
    data = b"".join(b"record %d;" % i for i in range(1000))
    fh.put_record(DeliveryStreamName=stream, Record={"Data": data})
    (key,) = wait_keys(s3, bucket, "")
    assert key.endswith(ext), key
    obj = s3.get_object(Bucket=bucket, Key=key)
    raw = obj["Body"].read()
    assert obj.get("ContentEncoding", "") == encoding
    assert len(raw) < len(data)
    if fmt == "ZIP":
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            (entry,) = z.namelist()
            assert z.read(entry) == data


def test_zero_interval_delivers_at_once(fh, s3, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 0))
    t0 = time.monotonic()
    fh.put_record(DeliveryStreamName=stream, Record={"Data": b"now"})
    wait_keys(s3, bucket, "", timeout=5)
    assert time.monotonic() - t0 < 2.0


def test_interval_triggered_flush(fh, s3, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 2, size=64))
    t0 = time.monotonic()
    fh.put_record(DeliveryStreamName=stream, Record={"Data": b"small"})
    time.sleep(1.0)
    assert keys(s3, bucket) == [], "delivered before the interval"
    wait_keys(s3, bucket, "", timeout=10)
    elapsed = time.monotonic() - t0
    assert 1.9 <= elapsed < 5.0, elapsed


def test_size_triggered_flush(fh, s3, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 900, size=1))
    chunk = b"x" * (300 * 1024)
    t0 = time.monotonic()
    for _ in range(4):  # 1.2 MiB: past the 1 MiB hint, far from the interval
        fh.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": chunk}])
    (key,) = wait_keys(s3, bucket, "", timeout=10)
    assert time.monotonic() - t0 < 5.0
    size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    assert 900 * 1024 <= size <= 1024 * 1024, size


def test_dynamic_partitioning_with_jq_and_the_error_prefix(fh, s3, bucket, stream):
    fh.create_delivery_stream(
        DeliveryStreamName=stream,
        ExtendedS3DestinationConfiguration=destination(
            bucket, 1,
            Prefix="customer=!{partitionKeyFromQuery:customer}/device=!{partitionKeyFromQuery:device}/",
            ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
            DynamicPartitioningConfiguration={"Enabled": True},
            ProcessingConfiguration=processors(
                ("MetadataExtraction", {"MetadataExtractionQuery": "{customer: .customer, device: .type.device}",
                                        "JsonParsingEngine": "JQ-1.6"}),
                "AppendDelimiterToRecord")))
    good = [{"customer": c, "type": {"device": d}, "i": i}
            for i, (c, d) in enumerate([("a", "phone"), ("b", "web"), ("a", "phone"), ("a", "web")])]
    bad = [b"not json", b'{"customer": "a"}']
    recs = [{"Data": json.dumps(g).encode()} for g in good] + [{"Data": b} for b in bad]
    assert fh.put_record_batch(DeliveryStreamName=stream, Records=recs)["FailedPutCount"] == 0
    wait_keys(s3, bucket, "customer=", 3)
    wait_keys(s3, bucket, "errors/", 1)
    for c, d in [("a", "phone"), ("b", "web"), ("a", "web")]:
        (key,) = keys(s3, bucket, "customer=%s/device=%s/" % (c, d))
        lines = body(s3, bucket, key).splitlines()
        want = [json.dumps(g).encode() for g in good if g["customer"] == c and g["type"]["device"] == d]
        assert lines == want
    (err,) = keys(s3, bucket, "errors/partitioning-failed/")
    docs = [json.loads(line) for line in body(s3, bucket, err).splitlines()]
    assert sorted(base64.b64decode(doc["rawData"]) for doc in docs) == sorted(bad)
    for doc in docs:
        assert doc["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
        assert doc["errorMessage"]
        assert doc["attemptsMade"] >= 1


def test_record_deaggregation_splits_json_records(fh, s3, bucket, stream):
    fh.create_delivery_stream(
        DeliveryStreamName=stream,
        ExtendedS3DestinationConfiguration=destination(
            bucket, 1, Prefix="k=!{partitionKeyFromQuery:k}/", ErrorOutputPrefix="err/",
            DynamicPartitioningConfiguration={"Enabled": True},
            ProcessingConfiguration=processors(
                ("RecordDeAggregation", {"SubRecordType": "JSON"}),
                ("MetadataExtraction", {"MetadataExtractionQuery": "{k: .k}", "JsonParsingEngine": "JQ-1.6"}),
                "AppendDelimiterToRecord")))
    fh.put_record(DeliveryStreamName=stream, Record={"Data": b'{"k":1}{"k":2}\n{"k":1,"x":true}'})
    wait_keys(s3, bucket, "k=", 2)
    assert body(s3, bucket, keys(s3, bucket, "k=1/")[0]) == b'{"k":1}\n{"k":1,"x":true}\n'
    assert body(s3, bucket, keys(s3, bucket, "k=2/")[0]) == b'{"k":2}\n'


def test_missing_bucket_is_reported_and_delivery_resumes(fh, s3, stream):
    late = "late-" + name("b")
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(late, 0))
    fh.put_record(DeliveryStreamName=stream, Record={"Data": b"waiting"})
    deadline = time.monotonic() + 10
    failure = None
    while time.monotonic() < deadline and failure is None:
        failure = fh.describe_delivery_stream(DeliveryStreamName=stream)[
            "DeliveryStreamDescription"].get("FailureDescription")
        time.sleep(0.05)
    assert failure and late in failure["Details"], failure
    s3.create_bucket(Bucket=late)
    try:
        (key,) = wait_keys(s3, late, "", timeout=20)
        assert body(s3, late, key) == b"waiting"
        d = fh.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
        assert "FailureDescription" not in d
    finally:
        for k in keys(s3, late):
            s3.delete_object(Bucket=late, Key=k)
        s3.delete_bucket(Bucket=late)


def test_data_format_conversion_needs_its_parts(fh, bucket, stream):
    conv = {"SchemaConfiguration": {"DatabaseName": "db", "TableName": "t", "RoleARN": ROLE},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"OrcSerDe": {}}}}
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=stream, ExtendedS3DestinationConfiguration=destination(
            bucket, 60, DataFormatConversionConfiguration=conv))
    assert error_code(e) == "InvalidArgumentException"
    assert "DataFormatConversionConfiguration" in error_message(e)


# --- bad input ------------------------------------------------------------------------------

def test_unknown_stream(fh):
    with pytest.raises(ClientError) as e:
        fh.put_record(DeliveryStreamName="no-such-stream", Record={"Data": b"x"})
    assert error_code(e) == "ResourceNotFoundException"
    assert "no-such-stream" in error_message(e)
    with pytest.raises(ClientError) as e:
        fh.describe_delivery_stream(DeliveryStreamName="no-such-stream")
    assert error_code(e) == "ResourceNotFoundException"


def test_batch_limits(fh, bucket, stream):
    fh.create_delivery_stream(DeliveryStreamName=stream,
                              ExtendedS3DestinationConfiguration=destination(bucket, 60))
    with pytest.raises(ClientError) as e:
        fh.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x"}] * 501)
    assert error_code(e) == "InvalidArgumentException"
    assert "records" in error_message(e) and "500" in error_message(e)
    with pytest.raises(ClientError) as e:
        fh.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x" * 1_024_001}])
    assert error_code(e) == "InvalidArgumentException"
    assert "records.1.member.data" in error_message(e)
    with pytest.raises(ClientError) as e:
        fh.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x" * 1_000_000}] * 5)
    assert error_code(e) == "InvalidArgumentException"
    assert "4 MB" in error_message(e)
    with pytest.raises(ClientError) as e:
        fh.put_record_batch(DeliveryStreamName=stream, Records=[])
    assert error_code(e) == "InvalidArgumentException"
    # The largest allowed batch goes through.
    out = fh.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"y" * 8000}] * 500)
    assert out["FailedPutCount"] == 0 and len(out["RequestResponses"]) == 500


@pytest.mark.parametrize("field,value,needle", [
    ("Prefix", "x/!{bogus:y}/", "Prefix"),
    ("Prefix", "x/!{timestamp:yyyy}/", "ErrorOutputPrefix"),
    ("ErrorOutputPrefix", "e/!{partitionKeyFromQuery:a}/", "ErrorOutputPrefix"),
    ("CompressionFormat", "SNAPPY", "compressionFormat"),
    ("BufferingHints", {"SizeInMBs": 0, "IntervalInSeconds": 1}, "bufferingHints.sizeInMBs"),
    ("BufferingHints", {"IntervalInSeconds": 901}, "bufferingHints.intervalInSeconds"),
    ("BucketARN", "arn:aws:s3:::", "BucketARN"),
    ("ProcessingConfiguration", {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:1:function:f"}]}]},
     "Lambda"),
])
def test_bad_configuration_names_the_field(fh, bucket, stream, field, value, needle):
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=stream,
                                  ExtendedS3DestinationConfiguration=destination(bucket, 60, **{field: value}))
    assert error_code(e) == "InvalidArgumentException", error_message(e)
    assert needle in error_message(e), error_message(e)


def test_bad_jq_expression_is_refused_at_creation(fh, bucket, stream):
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(
            DeliveryStreamName=stream,
            ExtendedS3DestinationConfiguration=destination(
                bucket, 60, Prefix="!{partitionKeyFromQuery:a}/", ErrorOutputPrefix="err/",
                DynamicPartitioningConfiguration={"Enabled": True},
                ProcessingConfiguration=processors(
                    ("MetadataExtraction", {"MetadataExtractionQuery": "{a: .a | @base64d}",
                                            "JsonParsingEngine": "JQ-1.6"}))))
    assert error_code(e) == "InvalidArgumentException"
    assert "MetadataExtractionQuery" in error_message(e)
    with pytest.raises(ClientError) as e:
        fh.describe_delivery_stream(DeliveryStreamName=stream)
    assert error_code(e) == "ResourceNotFoundException"


def test_unsupported_destinations_and_sources_are_named(fh, bucket, stream):
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=stream, HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": "https://example.com"},
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::%s" % bucket}})
    assert error_code(e) == "InvalidArgumentException"
    assert "HttpEndpointDestinationConfiguration is not supported by tarn" in error_message(e)
    with pytest.raises(ClientError) as e:
        fh.create_delivery_stream(DeliveryStreamName=stream, DeliveryStreamType="KinesisStreamAsSource",
                                  ExtendedS3DestinationConfiguration=destination(bucket))
    assert error_code(e) == "InvalidArgumentException"
    assert "KinesisStreamSourceConfiguration" in error_message(e)


def test_members_newer_than_this_botocore(server, bucket):
    """FileExtension and CustomTimeZone postdate Debian's botocore: raw calls."""
    n = name()
    r = call(server, "CreateDeliveryStream", {
        "DeliveryStreamName": n,
        "ExtendedS3DestinationConfiguration": destination(bucket, 60, CustomTimeZone="Asia/Tokyo")})
    assert r.status == 400 and r.error_type == "InvalidArgumentException"
    assert "CustomTimeZone" in r.json["message"]
    r = call(server, "CreateDeliveryStream", {
        "DeliveryStreamName": n,
        "ExtendedS3DestinationConfiguration": destination(bucket, 60, FileExtension="NOPE")})
    assert r.status == 400 and "fileExtension" in r.json["message"]
    r = call(server, "CreateDeliveryStream", {
        "DeliveryStreamName": n, "DirectPutSourceConfiguration": {"ThroughputHintInMBs": 5},
        "ExtendedS3DestinationConfiguration": destination(bucket, 60, FileExtension=".jsonl",
                                                           CustomTimeZone="UTC")})
    assert r.status == 200, r.body
    d = call(server, "DescribeDeliveryStream", {"DeliveryStreamName": n}).json
    ext = d["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["FileExtension"] == ".jsonl"
    assert d["DeliveryStreamDescription"]["Source"] == {
        "DirectPutSourceDescription": {"ThroughputHintInMBs": 5}}
    assert call(server, "DeleteDeliveryStream", {"DeliveryStreamName": n}).status == 200


def test_validation_and_unknown_operations(server):
    r = call(server, "CreateDeliveryStream", {"DeliveryStreamName": "bad name!"})
    assert r.status == 400 and r.error_type == "InvalidArgumentException"
    assert "deliveryStreamName" in r.json["message"]
    r = call(server, "PutRecord", {"DeliveryStreamName": "x", "Record": {"Data": 5}})
    assert r.status == 400 and r.error_type == "SerializationException"
    r = call(server, "GetKinesisStream", {})
    assert r.status == 400 and r.error_type == "UnknownOperationException"
    assert "GetKinesisStream" in r.json["message"]
    r = call(server, "PutRecord", raw_body=b'{"DeliveryStreamName": ')
    assert r.status == 400 and r.error_type == "SerializationException"
    # The server goes on serving.
    assert call(server, "ListDeliveryStreams", {}).status == 200
