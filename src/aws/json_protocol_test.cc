// The JSON protocol's codec: JSON and CBOR bodies, blobs and timestamps on
// both wires, malformed input, error codes. The handler is exercised end to
// end through the router in src/server/router_test.cc.
#include "aws/json_protocol.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tarn::aws {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out += static_cast<char>(b);
  return out;
}

void ExpectSerializationError(const Result<Json>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().aws_code(), "SerializationException") << r.status().ToString();
}

// ---- JSON -----------------------------------------------------------------------

TEST(JsonBody, EmptyBodyIsAnEmptyObject) {
  for (JsonWire wire : {JsonWire::kJson, JsonWire::kCbor}) {
    Result<Json> r = DecodeJsonBody("", wire);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, Json::object());
  }
}

TEST(JsonBody, DecodesAnObject) {
  Result<Json> r =
      DecodeJsonBody(R"({"StreamName":"s","Limit":10,"X":[1.5,null,true]})", JsonWire::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["StreamName"], "s");
  EXPECT_EQ((*r)["Limit"].get<int64_t>(), 10);
  EXPECT_EQ((*r)["X"][0].get<double>(), 1.5);
}

TEST(JsonBody, MalformedJsonIsSerializationException) {
  for (std::string_view bad :
       {"{", "{\"a\":}", "nope", "{\"a\":1}{", "{\"a\":\"\xff\"}", "1e999"}) {
    ExpectSerializationError(DecodeJsonBody(bad, JsonWire::kJson));
  }
}

TEST(JsonBody, NestingIsBounded) {
  std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(DecodeJsonBody(ok, JsonWire::kJson).ok());
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ExpectSerializationError(DecodeJsonBody(deep, JsonWire::kJson));
  // Brackets inside strings (and escaped quotes) do not count.
  std::string quoted = "{\"a\":\"" + std::string(1000, '[') + "\\\"" + "\"}";
  EXPECT_TRUE(DecodeJsonBody(quoted, JsonWire::kJson).ok());
}

TEST(JsonBody, EncodesBlobsAsBase64AndTimestampsAsSeconds) {
  Json doc = {{"Data", MakeBlob(std::string("\x00\x01hi", 4))},
              {"At", MakeTimestamp(1441215410867)},
              {"Whole", MakeTimestamp(1441215410000)},
              {"Tenths", MakeTimestamp(1441215410800)},
              {"Before1970", MakeTimestamp(-1500)},
              {"Records", Json::array({Json{{"Data", MakeBlob("abc")}}})}};
  EXPECT_EQ(EncodeJsonBody(doc, JsonWire::kJson),
            R"({"At":1441215410.867,"Before1970":-1.500,"Data":"AAFoaQ==",)"
            R"("Records":[{"Data":"YWJj"}],"Tenths":1441215410.800,"Whole":1441215410})");
}

TEST(JsonBody, EncodesStringsAndNumbers) {
  Json doc = {{"s", std::string("q\"b\\\n\t\x01 \xc3\xa9")},
              {"bad", std::string("a\xff"
                                  "b\xc3")},
              {"i", -7},
              {"u", uint64_t{18446744073709551615ULL}},
              {"f", 0.25},
              {"nan", std::nan("")},
              {"n", nullptr},
              {"t", true}};
  EXPECT_EQ(EncodeJsonBody(doc, JsonWire::kJson),
            "{\"bad\":\"a\\ufffdb\\ufffd\",\"f\":0.25,\"i\":-7,\"n\":null,\"nan\":null,"
            "\"s\":\"q\\\"b\\\\\\n\\t\\u0001 \xc3\xa9\",\"t\":true,\"u\":18446744073709551615}");
  // What it writes, nlohmann reads back.
  Json back = Json::parse(EncodeJsonBody(doc, JsonWire::kJson));
  EXPECT_EQ(back["s"], doc["s"]);
  EXPECT_EQ(back["u"], doc["u"]);
}

// ---- blobs and timestamps -----------------------------------------------------------

TEST(JsonMembers, GetBlobAcceptsBase64AndByteStrings) {
  Json in = {{"A", "aGVsbG8="}, {"B", MakeBlob("bytes")}, {"N", nullptr}};
  EXPECT_EQ(GetBlob(in, "A").value(), std::optional<std::string>("hello"));
  EXPECT_EQ(GetBlob(in, "B").value(), std::optional<std::string>("bytes"));
  EXPECT_EQ(GetBlob(in, "N").value(), std::nullopt);
  EXPECT_EQ(GetBlob(in, "Missing").value(), std::nullopt);
}

TEST(JsonMembers, GetBlobNamesTheMemberWhenMalformed) {
  Json in = {{"Data", "not base64!"}, {"Num", 5}, {"Ts", MakeTimestamp(5)}};
  for (const char* member : {"Data", "Num", "Ts"}) {
    auto r = GetBlob(in, member);
    ASSERT_FALSE(r.ok()) << member;
    EXPECT_EQ(r.status().aws_code(), "SerializationException");
    EXPECT_NE(r.status().message().find(member), std::string::npos) << r.status().message();
  }
}

TEST(JsonMembers, GetTimestampReadsEpochSecondsAndMarkers) {
  Json in = {{"Int", 1441215410},
             {"Frac", 1441215410.867},
             {"Marker", MakeTimestamp(42)},
             {"Neg", -1.5},
             {"Null", nullptr}};
  EXPECT_EQ(GetTimestamp(in, "Int").value(), std::optional<UnixMillis>(1441215410000));
  EXPECT_EQ(GetTimestamp(in, "Frac").value(), std::optional<UnixMillis>(1441215410867));
  EXPECT_EQ(GetTimestamp(in, "Marker").value(), std::optional<UnixMillis>(42));
  EXPECT_EQ(GetTimestamp(in, "Neg").value(), std::optional<UnixMillis>(-1500));
  EXPECT_EQ(GetTimestamp(in, "Null").value(), std::nullopt);
  EXPECT_EQ(GetTimestamp(in, "Missing").value(), std::nullopt);
}

TEST(JsonMembers, GetTimestampRejectsStringsAndHugeNumbers) {
  Json in = {{"S", "2015-01-01T00:00:00Z"}, {"Huge", 1e300}, {"Blob", MakeBlob("12345678")}};
  for (const char* member : {"S", "Huge", "Blob"}) {
    auto r = GetTimestamp(in, member);
    ASSERT_FALSE(r.ok()) << member;
    EXPECT_EQ(r.status().aws_code(), "SerializationException");
    EXPECT_NE(r.status().message().find(member), std::string::npos);
  }
}

TEST(JsonMembers, TimestampsSurviveAJsonRoundTrip) {
  for (UnixMillis t : {UnixMillis{0}, UnixMillis{1}, UnixMillis{999}, UnixMillis{1441215410867},
                       UnixMillis{4102444800001}, UnixMillis{-1}, UnixMillis{-86400001}}) {
    Json doc = {{"T", MakeTimestamp(t)}};
    Result<Json> back = DecodeJsonBody(EncodeJsonBody(doc, JsonWire::kJson), JsonWire::kJson);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(GetTimestamp(*back, "T").value(), std::optional<UnixMillis>(t)) << t;
  }
}

// ---- CBOR ---------------------------------------------------------------------------

TEST(CborBody, EncodesDefiniteLengthItems) {
  EXPECT_EQ(EncodeJsonBody(Json{{"a", 1}}, JsonWire::kCbor), Bytes({0xa1, 0x61, 'a', 0x01}));
  EXPECT_EQ(
      EncodeJsonBody(Json::array({-1, -25, 24, 256, 65536}), JsonWire::kCbor),
      Bytes({0x85, 0x20, 0x38, 0x18, 0x18, 0x18, 0x19, 0x01, 0x00, 0x1a, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(EncodeJsonBody(Json::array({nullptr, true, false, 1.5}), JsonWire::kCbor),
            Bytes({0x84, 0xf6, 0xf5, 0xf4, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
}

TEST(CborBody, BlobsAreByteStringsAndTimestampsAreTag1EpochMillis) {
  // 1441215410867 ms = 0x14F8F21F2B3.
  EXPECT_EQ(EncodeJsonBody(Json{{"T", MakeTimestamp(1441215410867)}}, JsonWire::kCbor),
            Bytes({0xa1, 0x61, 'T', 0xc1, 0x1b, 0, 0, 0x01, 0x4f, 0x8f, 0x21, 0xf2, 0xb3}));
  EXPECT_EQ(EncodeJsonBody(Json{{"D", MakeBlob("hi")}}, JsonWire::kCbor),
            Bytes({0xa1, 0x61, 'D', 0x42, 'h', 'i'}));
}

TEST(CborBody, DecodesWhatTheJavaSdkSends) {
  // Jackson's CBORGenerator: indefinite-length maps, text keys, byte strings
  // for blobs, tag 1 + epoch millis for timestamps.
  std::string body = Bytes({0xbf, 0x6a}) + "StreamName" + Bytes({0x61}) + "s" + Bytes({0x64}) +
                     "Data" + Bytes({0x43, 0x00, 0xff, 0x01}) + Bytes({0x69}) + "Timestamp" +
                     Bytes({0xc1, 0x1b, 0, 0, 0x01, 0x4f, 0x8f, 0x21, 0xf2, 0xb3}) + Bytes({0x65}) +
                     "Limit" + Bytes({0x19, 0x27, 0x10}) + Bytes({0xff});
  Result<Json> r = DecodeJsonBody(body, JsonWire::kCbor);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["StreamName"], "s");
  EXPECT_EQ((*r)["Limit"].get<int64_t>(), 10000);
  EXPECT_EQ(GetBlob(*r, "Data").value(),
            std::optional<std::string>(std::string("\x00\xff\x01", 3)));
  EXPECT_EQ(GetTimestamp(*r, "Timestamp").value(), std::optional<UnixMillis>(1441215410867));
}

TEST(CborBody, DecodesIndefiniteStringsArraysAndFloats) {
  std::string body =
      Bytes({0xa4,                                                            // map(4)
             0x61, 'a', 0x7f, 0x62, 'h',  'e',  0x63, 'l',  'l',  'o', 0xff,  // "hello"
             0x61, 'b', 0x5f, 0x41, 0x01, 0x42, 0x02, 0x03, 0xff,             // h'010203'
             0x61, 'c', 0x9f, 0xf9, 0x3e, 0x00, 0xfa, 0x3f, 0xc0, 0,   0,    0xff,
             0x61, 'd', 0xc1, 0xfb, 0x40, 0x8f, 0x40, 0,    0,    0,   0,    0});  // 1(1000.0)
  Result<Json> r = DecodeJsonBody(body, JsonWire::kCbor);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["a"], "hello");
  EXPECT_EQ(GetBlob(*r, "b").value(), std::optional<std::string>("\x01\x02\x03"));
  EXPECT_EQ((*r)["c"], Json::array({1.5, 1.5}));
  EXPECT_EQ(GetTimestamp(*r, "d").value(), std::optional<UnixMillis>(1000));
}

TEST(CborBody, RoundTripsEveryKindOfValue) {
  Json doc = {{"s", "text \xc3\xa9"},
              {"blob", MakeBlob(std::string(300, '\x7f'))},
              {"ts", MakeTimestamp(1700000000123)},
              {"neg", INT64_MIN},
              {"big", UINT64_MAX},
              {"f", -0.1},
              {"arr", Json::array({Json::object(), Json::array(), nullptr, false})},
              {"nested", {{"Records", Json::array({{{"Data", MakeBlob("")}}})}}}};
  Result<Json> back = DecodeJsonBody(EncodeJsonBody(doc, JsonWire::kCbor), JsonWire::kCbor);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, doc);
}

TEST(CborBody, MalformedInputIsSerializationException) {
  const std::string cases[] = {
      Bytes({0xa1, 0x61}),                    // truncated key
      Bytes({0x5a, 0xff, 0xff, 0xff, 0xff}),  // byte string longer than the body
      Bytes({0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),  // huge array
      Bytes({0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),  // huge map
      Bytes({0xa1, 0x01, 0x02}),                                      // integer map key
      Bytes({0xff}),                                                  // break outside a container
      Bytes({0x1c}),                                                  // reserved additional info
      Bytes({0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),  // < INT64_MIN
      Bytes({0x62, 0xc3, 0x28}),                                      // invalid UTF-8 text
      Bytes({0x7f, 0x41, 0x00, 0xff}),                                // byte chunk in a text string
      Bytes({0x9f, 0x01}),                                // unterminated indefinite array
      Bytes({0xa0, 0x00}),                                // trailing bytes
      Bytes({0xf0}),                                      // unassigned simple value
      Bytes({0xc1, 0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}),  // tag 1 over infinity
      Bytes({0xf9, 0x7e, 0x00}),                          // half-float NaN (JSON has none)
      Bytes({0xfa, 0xff, 0x80, 0, 0}),                    // single -infinity
      Bytes({0xa1, 0x61, 'n', 0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}),  // double NaN in a map
      std::string(1000, '\x81') + Bytes({0x00}),          // nested too deeply
  };
  for (const std::string& c : cases) {
    ExpectSerializationError(DecodeJsonBody(c, JsonWire::kCbor));
  }
}

TEST(CborBody, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  std::string valid = EncodeJsonBody(
      Json{{"Records", Json::array({{{"Data", MakeBlob("x")}, {"PartitionKey", "k"}}})},
           {"At", MakeTimestamp(5)}},
      JsonWire::kCbor);
  for (int i = 0; i < 20000; ++i) {
    std::string input = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) input[rng() % input.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) input.resize(rng() % input.size());
    (void)DecodeJsonBody(input, JsonWire::kCbor);
    (void)DecodeJsonBody(input, JsonWire::kJson);
  }
}

// ---- content types and error codes -------------------------------------------------

TEST(JsonWireTest, FromContentType) {
  EXPECT_EQ(WireFromContentType("").value(), JsonWire::kJson);
  EXPECT_EQ(WireFromContentType("application/x-amz-json-1.1").value(), JsonWire::kJson);
  EXPECT_EQ(WireFromContentType("application/x-amz-json-1.0; charset=utf-8").value(),
            JsonWire::kJson);
  EXPECT_EQ(WireFromContentType("application/json").value(), JsonWire::kJson);
  EXPECT_EQ(WireFromContentType("Application/X-Amz-Cbor-1.1").value(), JsonWire::kCbor);
  auto bad = WireFromContentType("text/plain");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().aws_code(), "UnknownOperationException");
}

TEST(JsonErrors, CodeComesFromAwsCodeElseFromKind) {
  EXPECT_EQ(JsonErrorCode(NotFound("x", "ResourceNotFoundException")), "ResourceNotFoundException");
  EXPECT_EQ(JsonErrorCode(InvalidArgument("x")), "ValidationException");
  EXPECT_EQ(JsonErrorCode(NotFound("x")), "ResourceNotFoundException");
  EXPECT_EQ(JsonErrorCode(AlreadyExists("x")), "ResourceInUseException");
  EXPECT_EQ(JsonErrorCode(Unimplemented("x")), "UnknownOperationException");
  EXPECT_EQ(JsonErrorCode(Unavailable("x")), "ServiceUnavailable");
  EXPECT_EQ(JsonErrorCode(ResourceExhausted("disk full")), "ServiceUnavailable");
  EXPECT_EQ(JsonErrorCode(IOError("x")), "InternalFailure");
  EXPECT_EQ(JsonErrorCode(UnknownOperation("Frobnicate")), "UnknownOperationException");
  EXPECT_NE(UnknownOperation("Frobnicate").message().find("Frobnicate"), std::string::npos);
}

}  // namespace
}  // namespace tarn::aws
