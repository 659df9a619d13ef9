#include "services/firehose/kpl_deaggregation.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::firehose {
namespace {

using namespace std::literals;

std::string FromBase64(std::string_view b64) {
  auto bytes = Base64Decode(b64);
  EXPECT_TRUE(bytes.has_value()) << b64;
  return bytes.value_or("");
}

// magic + message + MD5(message), for hand-made malformed messages.
std::string Aggregate(std::string_view message) {
  return std::string("\xF3\x89\x9A\xC2", 4) + std::string(message) + Md5(message);
}

// The message of a failed de-aggregation, "" if it succeeded.
std::string KplError(std::string_view data) {
  auto r = DeaggregateKpl(data, "outer");
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

// Aggregated records made by awslabs/kinesis-aggregation (the reference
// implementation), as its users' tests carry them.
TEST(DeaggregateKpl, ReferenceRecordsWithOneAndManyPartitionKeys) {
  auto one_key = DeaggregateKpl(
      FromBase64("84mawgoCcDEaGAgAGhQwMTIzNDU2Nzg5MDEyMzQ1NjdfQRoYCAAaFDAxMjM0NTY3ODkwMTIzNDU2N19C"
                 "GhgIABoUMDEyMzQ1Njc4OTAxMjM0NTY3X0NHjL02iyRk3D+kO2UC2X6u"),
      "outer");
  ASSERT_TRUE(one_key.ok()) << one_key.status().ToString();
  ASSERT_EQ(one_key->size(), 3u);
  const char* suffixes[] = {"A", "B", "C"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*one_key)[i].partition_key, "p1");
    EXPECT_EQ((*one_key)[i].data, std::string("012345678901234567_") + suffixes[i]);
    EXPECT_FALSE((*one_key)[i].explicit_hash_key.has_value());
  }

  auto three_keys = DeaggregateKpl(
      FromBase64("84mawgoEcGstMAoEcGstMQoEcGstMhoTCAAaD3sibXNnIjoibGluZTAifRoTCAEaD3sibXNnIjoi"
                 "bGluZTEifRoTCAIaD3sibXNnIjoibGluZTIifZ8hyadI+v2KZPZrUGim6cQ="),
      "outer");
  ASSERT_TRUE(three_keys.ok()) << three_keys.status().ToString();
  ASSERT_EQ(three_keys->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*three_keys)[i].partition_key, "pk-" + std::to_string(i));
    EXPECT_EQ((*three_keys)[i].data, "{\"msg\":\"line" + std::to_string(i) + "\"}");
  }
}

// kinesis-aggregation's README sample: 100 records with an explicit hash
// key, rebuilt here byte for byte (its MD5 is the sample's last 16 bytes).
TEST(DeaggregateKpl, ReferenceRecordWithExplicitHashKeys) {
  const std::string forward = "abcdefghijklmnopqrstuvwxyz";
  const std::string backward(forward.rbegin(), forward.rend());
  auto record = [](const std::string& data) {
    // Record{partition_key_index: 0, explicit_hash_key_index: 0, data}
    return std::string("\x1a\x20\x08\x00\x10\x00\x1a\x1a", 8) + data;
  };
  std::string message = std::string(
                            "\x0a\x03"
                            "abc\x12\x27",
                            7) +
                        "191415658344158766168031473277922803570";
  for (int i = 0; i < 50; ++i) message += record(forward) + record(backward);
  const std::string data =
      std::string("\xF3\x89\x9A\xC2", 4) + message + FromBase64("0I8WvwEDJiGD4YsiKIfUOw==");

  auto r = DeaggregateKpl(data, "partitionKey-03");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 100u);
  for (size_t i = 0; i < r->size(); ++i) {
    EXPECT_EQ((*r)[i].partition_key, "abc");
    EXPECT_EQ((*r)[i].explicit_hash_key, "191415658344158766168031473277922803570");
    EXPECT_EQ((*r)[i].data, i % 2 == 0 ? forward : backward);
  }
}

TEST(DeaggregateKpl, RecordWithoutTheMagicIsItself) {
  auto r = DeaggregateKpl("{\"plain\":true}", "pk");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].partition_key, "pk");
  EXPECT_EQ((*r)[0].data, "{\"plain\":true}");
  EXPECT_FALSE((*r)[0].explicit_hash_key.has_value());
  EXPECT_EQ(DeaggregateKpl("", "pk")->size(), 1u);
}

TEST(DeaggregateKpl, UnknownFieldsAndTagsAreSkipped) {
  // A record with a Tag{key: "k"} and an unknown fixed32 field 9, then an
  // unknown varint field 7 in the outer message; the key table comes last.
  const std::string_view message =
      "\x1a\x10\x08\x00\x1a\x02hi\x22\x03\x0a\x01k\x4d\x01\x02\x03\x04"
      "\x38\x96\x01"
      "\x0a\x02pk"sv;
  auto r = DeaggregateKpl(Aggregate(message), "outer");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].partition_key, "pk");
  EXPECT_EQ((*r)[0].data, "hi");
}

TEST(DeaggregateKpl, DamagedRecordsAreErrors) {
  std::string good = FromBase64(
      "84mawgoFa2V5LTAaJQgAGiFUZXN0aW5nIEtQTCBBZ2dyZWdhdGVkIFJlY29yZCAxLTBlW2Hfd6iL1WkMb"
      "znr8jc2");
  ASSERT_EQ(KplError(good), "");
  std::string flipped = good;
  flipped[10] ^= 1;
  EXPECT_EQ(KplError(flipped), "malformed KPL aggregated record: the MD5 checksum does not match");
  EXPECT_EQ(KplError(good.substr(0, 12)),
            "malformed KPL aggregated record: shorter than its checksum");

  EXPECT_EQ(KplError(Aggregate("\x0a\x05key")),  // a string longer than the message
            "malformed KPL aggregated record: truncated field");
  EXPECT_EQ(KplError(Aggregate("\x00\x01"sv)),  // field number 0
            "malformed KPL aggregated record: bad field tag");
  EXPECT_EQ(KplError(Aggregate("\x0a\x01k\x1a\x02\x08\x00"sv)),
            "malformed KPL aggregated record: a record has no data");
  EXPECT_EQ(KplError(Aggregate("\x0a\x01k\x1a\x02\x1a\x00"sv)),
            "malformed KPL aggregated record: a record has no partition_key_index");
  EXPECT_EQ(KplError(Aggregate("\x0a\x01k\x1a\x04\x08\x01\x1a\x00"sv)),
            "malformed KPL aggregated record: partition_key_index 1 is past the table of 1");
  EXPECT_EQ(KplError(Aggregate("\x0a\x01k\x1a\x06\x08\x00\x10\x00\x1a\x00"sv)),
            "malformed KPL aggregated record: explicit_hash_key_index 0 is past the table of 0");
  EXPECT_EQ(KplError(Aggregate("\x0a\x01k\x1a\x03\x08\xff\xff")),  // varint runs off the end
            "malformed KPL aggregated record: truncated field in a record");
  EXPECT_EQ(KplError(Aggregate("\x0b")),  // wire type 3: a group
            "malformed KPL aggregated record: truncated field");
}

TEST(SubRecords, ParsesTheApiSpellings) {
  EXPECT_EQ(*ParseSubRecordType("JSON"), SubRecordType::kJson);
  EXPECT_EQ(*ParseSubRecordType("DELIMITED"), SubRecordType::kDelimited);
  EXPECT_EQ(ParseSubRecordType("json").status().code(), Code::kInvalidArgument);
}

// The developer guide's valid and invalid inputs.
TEST(SubRecords, JsonSplitsConcatenatedAndNewlineSeparatedObjects) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*SplitSubRecords(R"({"a":1}{"a":2})", SubRecordType::kJson, ""),
            (V{R"({"a":1})", R"({"a":2})"}));
  EXPECT_EQ(*SplitSubRecords("{\"a\":1}\n{\"a\":2}\n", SubRecordType::kJson, ""),
            (V{R"({"a":1})", R"({"a":2})"}));
  // Braces and quotes inside strings, nested objects and arrays.
  EXPECT_EQ(
      *SplitSubRecords(R"({"s":"}{\"","n":{"x":[1,{"y":2}]}} {"b":"]"})", SubRecordType::kJson, ""),
      (V{R"({"s":"}{\"","n":{"x":[1,{"y":2}]}})", R"({"b":"]"})"}));
  EXPECT_TRUE(SplitSubRecords(" \n", SubRecordType::kJson, "")->empty());

  auto array = SplitSubRecords(R"([{"a":1}, {"a":2}])", SubRecordType::kJson, "");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().message(), "JSON de-aggregation: expected a JSON object at offset 0");
  EXPECT_EQ(SplitSubRecords(R"({"a":1}, {"a":2})", SubRecordType::kJson, "").status().message(),
            "JSON de-aggregation: expected a JSON object at offset 7");
  EXPECT_EQ(SplitSubRecords(R"({"a":1}{"a":)", SubRecordType::kJson, "").status().message(),
            "JSON de-aggregation: the object at offset 7 is not closed");
  EXPECT_EQ(SplitSubRecords(R"({"a" 1})", SubRecordType::kJson, "").status().message(),
            "JSON de-aggregation: the object at offset 0 is not valid JSON");
}

TEST(SubRecords, DelimitedSplitsOnTheDecodedDelimiter) {
  using V = std::vector<std::string>;
  // The guide's Delimiter "IyMjIw==" is "####".
  const std::string delimiter = FromBase64("IyMjIw==");
  ASSERT_EQ(delimiter, "####");
  EXPECT_EQ(*SplitSubRecords("a####b####c", SubRecordType::kDelimited, delimiter),
            (V{"a", "b", "c"}));
  EXPECT_EQ(*SplitSubRecords("####a########b####", SubRecordType::kDelimited, delimiter),
            (V{"a", "b"}));
  EXPECT_EQ(*SplitSubRecords("a###b", SubRecordType::kDelimited, delimiter), (V{"a###b"}));
  EXPECT_TRUE(SplitSubRecords("", SubRecordType::kDelimited, delimiter)->empty());
  EXPECT_EQ(SplitSubRecords("a", SubRecordType::kDelimited, "").status().code(),
            Code::kInvalidArgument);
}

TEST(SubRecords, AtMost500PerRecord) {
  std::string json;
  std::string delimited;
  for (int i = 0; i < 500; ++i) {
    json += "{}";
    delimited += "x\n";
  }
  EXPECT_EQ(SplitSubRecords(json, SubRecordType::kJson, "")->size(), 500u);
  EXPECT_EQ(SplitSubRecords(delimited, SubRecordType::kDelimited, "\n")->size(), 500u);
  EXPECT_EQ(SplitSubRecords(json + "{}", SubRecordType::kJson, "").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(SplitSubRecords(delimited + "x", SubRecordType::kDelimited, "\n").status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace tarn::firehose
