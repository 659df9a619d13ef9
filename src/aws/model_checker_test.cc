#include "aws/model_checker.h"

#include <gtest/gtest.h>

#include <string>

namespace tarn::aws {
namespace {

using Json = nlohmann::json;

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

const StrRule kName{true, 1, 8, {IsDigits, "[0-9]+"}};

TEST(ModelChecker, ValidInputPasses) {
  Json j = {{"Name", "123"}, {"Size", 5}, {"On", true}};
  ModelChecker c(j, "", "ValidationException");
  EXPECT_EQ(c.Str("Name", kName), "123");
  EXPECT_EQ(c.Int("Size", true, 1, 10), 5);
  EXPECT_EQ(c.Bool("On"), true);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.Finish().ok());
}

TEST(ModelChecker, EveryViolationIsNamedByItsPathInTheServicesCode) {
  Json j = {{"Name", "12345678x"}, {"Size", 0}, {"Kind", "C"}};
  ModelChecker c(j, "config.", "InvalidArgumentException");
  c.Str("Name", kName);
  c.Int("Size", true, 1);
  c.Str("Kind", StrRule{false, 0, 10, {}, {"A", "B"}});
  c.Str("Missing", StrRule{true});
  Status st = c.Finish();
  EXPECT_EQ(st.aws_code(), "InvalidArgumentException");
  EXPECT_EQ(st.message(),
            "5 validation errors detected: "
            "Value '12345678x' at 'config.name' failed to satisfy constraint: Member must have "
            "length less than or equal to 8; "
            "Value '12345678x' at 'config.name' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: [0-9]+; "
            "Value '0' at 'config.size' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1; "
            "Value 'C' at 'config.kind' failed to satisfy constraint: Member must satisfy enum "
            "value set: [A, B]; "
            "Value null at 'config.missing' failed to satisfy constraint: Member must not be null");
}

TEST(ModelChecker, AtMostTenViolationsAreListed) {
  Json j = Json::object();
  ModelChecker c(j, "", "ValidationException");
  for (int i = 0; i < 15; ++i) c.Str("M" + std::to_string(i), StrRule{true});
  EXPECT_EQ(c.Finish().message().rfind("10 validation errors detected: ", 0), 0u);
}

TEST(ModelChecker, AWrongJsonTypeIsASerializationException) {
  Json j = {{"Size", "five"}, {"Name", 7}};
  ModelChecker c(j, "", "ValidationException");
  EXPECT_EQ(c.Int("Size", true), std::nullopt);
  c.Str("Name", kName);
  Status st = c.Finish();
  EXPECT_EQ(st.aws_code(), "SerializationException");
  EXPECT_EQ(st.message(), "Member 'size' must be an integer.");
}

TEST(ModelChecker, NestedFindingsCarryTheirPathAndLengthsCountCharacters) {
  Json j = {{"Inner", {{"Items", Json::array()}, {"Label", "ééé"}}}};
  ModelChecker c(j, "", "ValidationException");
  const Json* inner = c.Struct("Inner", true);
  ASSERT_NE(inner, nullptr);
  ModelChecker sub(*inner, c.Path("Inner"), "ValidationException");
  sub.List("Items", true, 1);
  sub.Str("Label", StrRule{false, 0, 3});  // 3 characters in 6 bytes
  c.AbsorbFindings(sub);
  EXPECT_EQ(c.Finish().message(),
            "1 validation error detected: Value '[]' at 'inner.items' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
  EXPECT_EQ(c.ElementPath("Columns", 0), "columns.1.member.");
  EXPECT_EQ(CharCount("ééé"), 3u);
}

// What a service keeps of its request: the members its getters found valid.
class KeepingChecker : public ModelChecker {
 public:
  using ModelChecker::ModelChecker;
  Json kept = Json::object();

 private:
  void Accept(std::string_view member, Json value) override {
    kept[std::string(member)] = std::move(value);
  }
};

TEST(ModelChecker, ValidMembersAreHandedToAccept) {
  Json j = {{"Name", "42"}, {"Bad", "x"}, {"Size", 3}, {"Unknown", 1}};
  KeepingChecker c(j, "", "ValidationException");
  c.Str("Name", kName);
  c.Str("Bad", kName);
  c.Int("Size", false, 0, 10);
  EXPECT_EQ(c.kept, (Json{{"Name", "42"}, {"Size", 3}}));
}

}  // namespace
}  // namespace tarn::aws
