#include "services/kinesis/put_records.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/encoding.h"

namespace tarn::kinesis {
namespace {

using aws::Json;

struct Rec {
  std::string key, data, hash;
};

std::string Body(const std::vector<Rec>& recs, std::string_view extra = "") {
  std::string s = R"({"StreamName":"s1",)" + std::string(extra) + R"("Records":[)";
  for (size_t i = 0; i < recs.size(); ++i) {
    if (i) s += ',';
    s += R"({"Data":")" + Base64Encode(recs[i].data) + R"(","PartitionKey":)" +
         Json(recs[i].key).dump();
    if (!recs[i].hash.empty()) s += R"(,"ExplicitHashKey":")" + recs[i].hash + '"';
    s += '}';
  }
  return s + "]}";
}

// The document path's reading of the same body.
Result<PutRecordsRequest> Slow(std::string_view body) {
  Result<Json> doc = aws::DecodeJsonObject(body, aws::JsonWire::kJson);
  if (!doc.ok()) return doc.status();
  return ParsePutRecords(*doc);
}

void ExpectSame(const PutRecordsRequest& a, const PutRecordsRequest& b) {
  EXPECT_EQ(a.stream_name, b.stream_name);
  EXPECT_EQ(a.stream_arn, b.stream_arn);
  std::vector<PutEntry> ea = a.Entries(), eb = b.Entries();
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].partition_key, eb[i].partition_key) << i;
    EXPECT_EQ(ea[i].data, eb[i].data) << i;
    EXPECT_EQ(ea[i].explicit_hash_key.has_value(), eb[i].explicit_hash_key.has_value()) << i;
    if (ea[i].explicit_hash_key && eb[i].explicit_hash_key) {
      EXPECT_EQ(ea[i].explicit_hash_key->ToString(), eb[i].explicit_hash_key->ToString());
    }
  }
}

TEST(PutRecords, FastPathReadsWhatTheDocumentPathReads) {
  std::string utf8_key;
  for (int i = 0; i < 256; ++i) utf8_key += "\xf0\x9f\x98\x80";  // 256 characters, 1,024 bytes
  std::vector<Rec> recs = {{"k1", "hello", ""},
                           {"k2", std::string("\0\x01\xff", 3), "0"},
                           {"a/b \"c\"", "", "340282366920938463463374607431768211455"},
                           {utf8_key, std::string(1000, 'x'), ""}};
  std::string body = Body(recs);
  std::optional<PutRecordsRequest> fast = DecodePutRecordsFast(body);
  ASSERT_TRUE(fast.has_value());
  Result<PutRecordsRequest> slow = Slow(body);
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  ExpectSame(*fast, *slow);
  std::vector<PutEntry> e = fast->Entries();
  EXPECT_EQ(e[1].data, std::string("\0\x01\xff", 3));
  EXPECT_EQ(e[3].partition_key.size(), 1024u);
  EXPECT_EQ(fast->stream_name, "s1");

  // Escapes, whitespace and member order change nothing.
  std::string spaced = " {\n \"Records\" : [ { \"PartitionKey\" : \"\\u006b\\/1\" , \"Data\" : \"aGk=\" } ] ,"
                       " \"StreamARN\" : \"arn:aws:kinesis:us-east-1:000000000000:stream/s1\" } ";
  fast = DecodePutRecordsFast(spaced);
  ASSERT_TRUE(fast.has_value());
  slow = Slow(spaced);
  ASSERT_TRUE(slow.ok());
  ExpectSame(*fast, *slow);
  EXPECT_EQ(fast->Entries()[0].partition_key, "k/1");
}

TEST(PutRecords, FastPathLeavesAnythingUnusualToTheDocumentPath) {
  const std::string ok = Body({{"k", "d", ""}});
  ASSERT_TRUE(DecodePutRecordsFast(ok).has_value());
  struct Case {
    std::string body;
    const char* error;  // the document path's answer
  } cases[] = {
      {Body({{"", "d", ""}}), "ValidationException"},
      {Body({{std::string(257, 'k'), "d", ""}}), "ValidationException"},
      {Body({{"k", "d", "x1"}}), "ValidationException"},
      {Body({{"k", "d", "340282366920938463463374607431768211456"}}), "InvalidArgumentException"},
      {Body({}), "ValidationException"},
      {R"({"StreamName":"s1","Records":[{"Data":"ZA==","PartitionKey":null}]})", "ValidationException"},
      {R"({"StreamName":"s1","Records":[{"Data":"ZA=","PartitionKey":"k"}]})", "SerializationException"},
      {R"({"StreamName":"s1","Records":[{"Data":1,"PartitionKey":"k"}]})", "SerializationException"},
      {R"({"StreamName":"s 1","Records":[{"Data":"ZA==","PartitionKey":"k"}]})", "ValidationException"},
      {R"({"StreamName":"s1","Records":{}})", "SerializationException"},
      {R"({"StreamName":"s1","Records":["x"]})", "SerializationException"},
      {R"({"StreamName":"s1"})", "ValidationException"},
      {R"({"StreamName":"s1","Records":[{"Data":"ZA==","PartitionKey":"k"}])", "SerializationException"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(DecodePutRecordsFast(c.body).has_value()) << c.body;
    Result<PutRecordsRequest> slow = Slow(c.body);
    ASSERT_FALSE(slow.ok()) << c.body;
    EXPECT_EQ(slow.status().aws_code(), c.error) << c.body << ": " << slow.status().ToString();
  }
  // Valid but unusual: an unknown member, a duplicate, a null; the
  // document path takes them.
  for (std::string body : {Body({{"k", "d", ""}}, R"("Extra":"x",)"),
                           Body({{"k", "d", ""}}, R"("StreamName":"s2",)"),
                           Body({{"k", "d", ""}}, R"("StreamARN":null,)")}) {
    EXPECT_FALSE(DecodePutRecordsFast(body).has_value()) << body;
    EXPECT_TRUE(Slow(body).ok()) << body;
  }
}

TEST(PutRecords, RecordAndRequestSizeLimits) {
  std::string big(kMaxRecordBytes, 'x');
  // 1 MiB of data plus a key is over the record limit.
  std::string body = Body({{"k", big, ""}});
  EXPECT_FALSE(DecodePutRecordsFast(body).has_value());
  Result<PutRecordsRequest> slow = Slow(body);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().aws_code(), "InvalidArgumentException");
  // Six records of 1 MiB minus the key: over 5 MiB together.
  std::vector<Rec> six(6, Rec{"k", std::string(kMaxRecordBytes - 1, 'y'), ""});
  body = Body(six);
  EXPECT_FALSE(DecodePutRecordsFast(body).has_value());
  slow = Slow(body);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().aws_code(), "InvalidArgumentException");
  // 501 records.
  std::vector<Rec> many(kMaxPutRecords + 1, Rec{"k", "d", ""});
  body = Body(many);
  EXPECT_FALSE(DecodePutRecordsFast(body).has_value());
  slow = Slow(body);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().aws_code(), "ValidationException");
  many.pop_back();
  EXPECT_TRUE(DecodePutRecordsFast(Body(many)).has_value());
}

TEST(PutRecords, ResponseIsWhatTheDocumentEncoderWrites) {
  std::vector<PutOutcome> outcomes(3);
  outcomes[0] = {"shardId-000000000000", "49590338271490256608559692538361571095921575989136588802", "", ""};
  outcomes[1] = {"", "", "InternalFailure", "Internal service failure."};
  outcomes[2] = {"shardId-000000000007", "1", "", ""};
  for (std::string_view enc : {"NONE", "KMS"}) {
    EXPECT_EQ(EncodePutRecordsResult(outcomes, enc),
              aws::EncodeJsonBody(PutRecordsResultDocument(outcomes, enc), aws::JsonWire::kJson));
  }
  EXPECT_EQ(EncodePutRecordsResult({}, "NONE"),
            aws::EncodeJsonBody(PutRecordsResultDocument({}, "NONE"), aws::JsonWire::kJson));
}

}  // namespace
}  // namespace tarn::kinesis
