#include <gtest/gtest.h>

#include "services/s3/s3_headers.h"

namespace tarn::s3 {
namespace {

std::optional<ByteRange> Range(std::string_view h, uint64_t size) {
  Result<std::optional<ByteRange>> r = ParseRange(h, size);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::nullopt;
}

TEST(ParseRange, ClosedOpenAndSuffixForms) {
  auto r = Range("bytes=0-9", 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 9u);
  r = Range("bytes=90-", 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 90u);
  EXPECT_EQ(r->last, 99u);
  r = Range("bytes=-10", 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 90u);
  EXPECT_EQ(r->length(), 10u);
}

TEST(ParseRange, LastBeyondSizeIsClamped) {
  auto r = Range("bytes=50-1000", 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last, 99u);
  r = Range("bytes=-1000", 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
}

TEST(ParseRange, MalformedAndMultiRangeAreIgnored) {
  EXPECT_FALSE(Range("bytes=a-b", 100));
  EXPECT_FALSE(Range("bytes=5-2", 100));
  EXPECT_FALSE(Range("bytes=0-1,5-6", 100));
  EXPECT_FALSE(Range("items=0-1", 100));
  EXPECT_FALSE(Range("bytes=99999999999999999999999-", 100));
}

TEST(ParseRange, UnsatisfiableIsInvalidRange) {
  for (auto [h, size] : std::vector<std::pair<std::string, uint64_t>>{
           {"bytes=100-", 100}, {"bytes=200-300", 100}, {"bytes=-0", 100}, {"bytes=0-", 0}}) {
    Result<std::optional<ByteRange>> r = ParseRange(h, size);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.status().aws_code(), "InvalidRange");
  }
}

TEST(Preconditions, FollowS3Precedence) {
  const UnixMillis modified = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  http::Headers h;
  EXPECT_EQ(EvaluatePreconditions(h, "", "abc", modified), Precondition::kProceed);

  h.Add("If-Match", "\"abc\"");
  EXPECT_EQ(EvaluatePreconditions(h, "", "abc", modified), Precondition::kProceed);
  // If-Match true wins over a failing If-Unmodified-Since.
  h.Add("If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT");
  EXPECT_EQ(EvaluatePreconditions(h, "", "abc", modified), Precondition::kProceed);

  http::Headers h2;
  h2.Add("If-Match", "\"other\", \"xyz\"");
  EXPECT_EQ(EvaluatePreconditions(h2, "", "abc", modified), Precondition::kFailed);

  http::Headers h3;
  h3.Add("If-None-Match", "\"abc\"");
  EXPECT_EQ(EvaluatePreconditions(h3, "", "abc", modified), Precondition::kNotModified);
  h3.Set("If-None-Match", "*");
  EXPECT_EQ(EvaluatePreconditions(h3, "", "abc", modified), Precondition::kNotModified);

  http::Headers h4;
  h4.Add("If-Modified-Since", "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(EvaluatePreconditions(h4, "", "abc", modified), Precondition::kNotModified);
  h4.Set("If-Modified-Since", "Tue, 14 Nov 2023 22:13:19 GMT");
  EXPECT_EQ(EvaluatePreconditions(h4, "", "abc", modified), Precondition::kProceed);

  http::Headers h5;
  h5.Add("If-Unmodified-Since", "Tue, 14 Nov 2023 22:13:19 GMT");
  EXPECT_EQ(EvaluatePreconditions(h5, "", "abc", modified), Precondition::kFailed);
}

TEST(Preconditions, CopySourceConditionsFailInsteadOfNotModified) {
  http::Headers h;
  h.Add("x-amz-copy-source-if-none-match", "\"abc\"");
  EXPECT_EQ(EvaluatePreconditions(h, "x-amz-copy-source-", "abc", 0), Precondition::kFailed);
  http::Headers h2;
  h2.Add("x-amz-copy-source-if-match", "\"abc\"");
  EXPECT_EQ(EvaluatePreconditions(h2, "x-amz-copy-source-", "abc", 0), Precondition::kProceed);
}

TEST(CopySource, ParsesEncodedFormsAndVersion) {
  Result<CopySource> s = ParseCopySource("/bucket/a%20dir/k%2B1?versionId=null");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->bucket, "bucket");
  EXPECT_EQ(s->key, "a dir/k+1");
  EXPECT_EQ(s->version_id, "null");
  s = ParseCopySource("bucket/key");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->key, "key");
  EXPECT_FALSE(ParseCopySource("bucket").ok());
  EXPECT_FALSE(ParseCopySource("/bucket/").ok());
  EXPECT_FALSE(ParseCopySource("%zz/a").ok());
}

TEST(CopySourceRange, RequiresBothEnds) {
  Result<ByteRange> r = ParseCopySourceRange("bytes=0-5242879");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->length(), 5242880u);
  EXPECT_FALSE(ParseCopySourceRange("bytes=5-").ok());
  EXPECT_FALSE(ParseCopySourceRange("bytes=5-1").ok());
}

TEST(TagQuery, DecodesPairs) {
  Result<KeyValues> t = ParseTagQuery("a=1&b%20c=d+e&empty=");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ((*t)[1].first, "b c");
  EXPECT_EQ((*t)[1].second, "d e");
  EXPECT_EQ((*t)[2].second, "");
  EXPECT_FALSE(ParseTagQuery("a=%zz").ok());
  EXPECT_EQ(ParseTagQuery("a=&a=").status().aws_code(), "InvalidArgument");
}

}  // namespace
}  // namespace tarn::s3
