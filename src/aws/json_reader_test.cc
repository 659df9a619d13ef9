#include "aws/json_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aws/json_protocol.h"

namespace tarn::aws {
namespace {

// Reads a flat object of string members; nullopt-like empty vector plus
// ok=false when the reader refuses.
struct Flat {
  bool ok = false;
  std::vector<std::pair<std::string, std::string>> members;
};

Flat ReadFlat(std::string_view text) {
  Flat f;
  JsonReader r(text);
  std::string_view name, value;
  if (!r.EnterObject()) return f;
  while (r.NextMember(&name)) {
    std::string n(name);
    if (!r.ReadString(&value)) return f;
    f.members.emplace_back(n, std::string(value));
  }
  f.ok = !r.failed() && r.AtEnd();
  return f;
}

TEST(JsonReader, ReadsObjectsOfStrings) {
  Flat f = ReadFlat(" { \"a\" : \"x\" ,\"b\":\"\"}\n");
  ASSERT_TRUE(f.ok);
  ASSERT_EQ(f.members.size(), 2u);
  EXPECT_EQ(f.members[0], (std::pair<std::string, std::string>("a", "x")));
  EXPECT_EQ(f.members[1], (std::pair<std::string, std::string>("b", "")));
  EXPECT_TRUE(ReadFlat("{}").ok);
}

TEST(JsonReader, DecodesEscapesAsJsonDoes) {
  const char* texts[] = {
      R"({"k":"a\"b\\c\/d\b\f\n\r\t"})",
      R"({"k":"\u00e9\u4e2d\ud83d\ude00"})",
      R"({"\u006b":"\u0000x"})",
      "{\"k\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"}",
  };
  for (const char* text : texts) {
    Flat f = ReadFlat(text);
    ASSERT_TRUE(f.ok) << text;
    Json doc = Json::parse(text);
    ASSERT_EQ(f.members.size(), 1u);
    EXPECT_EQ(f.members[0].second, doc[f.members[0].first].get<std::string>()) << text;
  }
}

TEST(JsonReader, RefusesWhatIsNotJson) {
  const char* bad[] = {
      "",  "{",  "{\"a\":\"x\",}", "{\"a\":\"x\"} {}", "{\"a\" \"x\"}", "{\"a\":\"x\"\"b\":\"y\"}",
      "{'a':'x'}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
      "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
      "{\"a\":\"\xc0\xaf\"}",        // overlong
      "{\"a\":\"\xed\xa0\x80\"}",    // a surrogate in UTF-8
      "{\"a\":\"\xf4\x90\x80\x80\"}",  // above U+10FFFF
      "{\"a\":\"\xe4\xb8\"}",        // cut short
      "{\"a\":\"x}",
  };
  for (const char* text : bad) {
    EXPECT_FALSE(ReadFlat(text).ok) << text;
    // Everything the reader refuses here, the document decoder refuses too
    // (except the empty body, which the protocol reads as {}).
    if (*text) {
      EXPECT_FALSE(DecodeJsonBody(text, JsonWire::kJson).ok()) << text;
    }
  }
}

TEST(JsonReader, ArraysNullsAndKinds) {
  JsonReader r(R"([ {"a":null}, [], "s" ])");
  ASSERT_TRUE(r.EnterArray());
  ASSERT_TRUE(r.NextElement());
  EXPECT_EQ(r.Peek(), JsonReader::Kind::kObject);
  ASSERT_TRUE(r.EnterObject());
  std::string_view name;
  ASSERT_TRUE(r.NextMember(&name));
  EXPECT_EQ(name, "a");
  EXPECT_EQ(r.Peek(), JsonReader::Kind::kNull);
  ASSERT_TRUE(r.ReadNull());
  EXPECT_FALSE(r.NextMember(&name));
  ASSERT_TRUE(r.NextElement());
  ASSERT_TRUE(r.EnterArray());
  EXPECT_FALSE(r.NextElement());
  ASSERT_TRUE(r.NextElement());
  std::string_view s;
  ASSERT_TRUE(r.ReadString(&s));
  EXPECT_EQ(s, "s");
  EXPECT_FALSE(r.NextElement());
  EXPECT_FALSE(r.failed());
  EXPECT_TRUE(r.AtEnd());
}

TEST(JsonReader, FailureIsSticky) {
  JsonReader r(R"({"a":1})");
  std::string_view name, value;
  ASSERT_TRUE(r.EnterObject());
  ASSERT_TRUE(r.NextMember(&name));
  EXPECT_EQ(r.Peek(), JsonReader::Kind::kNumber);
  EXPECT_FALSE(r.ReadString(&value));
  EXPECT_TRUE(r.failed());
  EXPECT_FALSE(r.NextMember(&name));
  EXPECT_FALSE(r.AtEnd());
}

TEST(JsonReader, BoundsNesting) {
  std::string deep(JsonReader::kMaxDepth + 1, '[');
  JsonReader r(deep);
  bool ok = true;
  for (int i = 0; i <= JsonReader::kMaxDepth && ok; ++i) {
    ok = r.EnterArray() && (i == JsonReader::kMaxDepth || r.NextElement());
  }
  EXPECT_FALSE(ok);
  EXPECT_TRUE(r.failed());
}

}  // namespace
}  // namespace tarn::aws
