#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/status.h"
#include "common/time.h"

namespace tarn {
namespace {

TEST(Hash, KnownVectors) {
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
}

TEST(Hash, Crc32cIsIncremental) {
  uint32_t c = Crc32c(0, "1234");
  c = Crc32c(c, "56789");
  EXPECT_EQ(c, 0xE3069283u);
  EXPECT_EQ(Crc32c(Crc32c(0, "12345678"), "9"), Crc32c(0, "123456789"));
}

TEST(Hash, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Encoding, Base64RoundTripAndRejects) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Zm=v").has_value());
  EXPECT_FALSE(Base64Decode("Z!9v").has_value());
  for (const char* bad : {"====", "A===", "AB=C", "Zm9v====", "Zm9v=m9v", "Zm\x80v", "Zm9\xff"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(*Base64Decode("Zm8="), "fo");
  EXPECT_EQ(*Base64Decode("Zg=="), "f");
}

TEST(Encoding, Base64DecodeAppendKeepsOutputOnFailure) {
  std::string out = "ab";
  EXPECT_TRUE(Base64DecodeAppend("Zm9vYmFy", &out));
  EXPECT_EQ(out, "abfoobar");
  EXPECT_FALSE(Base64DecodeAppend("Zm9vYm!y", &out));
  EXPECT_FALSE(Base64DecodeAppend("Zm!=", &out));
  EXPECT_EQ(out, "abfoobar");
  // Every byte value through a round trip.
  std::string all;
  for (int i = 0; i < 256; i++) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string got;
    ASSERT_TRUE(Base64DecodeAppend(Base64Encode(all.substr(0, n)), &got));
    EXPECT_EQ(got, all.substr(0, n));
  }
}

TEST(Encoding, UriEncodeAsSigV4) {
  EXPECT_EQ(UriEncode("a b/c~d*e", false), "a%20b%2Fc~d%2Ae");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xc3\xa9", false), "%C3%A9");
  EXPECT_EQ(*UriDecode("a%20b+c", true), "a b c");
  EXPECT_FALSE(UriDecode("%2").has_value());
  EXPECT_FALSE(UriDecode("%zz").has_value());
}

TEST(Encoding, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

TEST(Time, FormatsRoundTrip) {
  UnixMillis t = 1440938160000;  // 2015-08-30T12:36:00Z
  EXPECT_EQ(FormatAmzDate(t), "20150830T123600Z");
  EXPECT_EQ(*ParseAmzDate("20150830T123600Z"), t);
  EXPECT_EQ(FormatIso8601(t + 123), "2015-08-30T12:36:00.123Z");
  EXPECT_EQ(*ParseIso8601("2015-08-30T12:36:00.123Z"), t + 123);
  EXPECT_EQ(*ParseIso8601("2015-08-30T12:36:00Z"), t);
  EXPECT_EQ(FormatHttpDate(t), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_EQ(*ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), t);
  EXPECT_EQ(*ParseHttpDate("Sunday, 30-Aug-15 12:36:00 GMT"), t);
  EXPECT_EQ(*ParseHttpDate("Sun Aug 30 12:36:00 2015"), t);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z").has_value());
}

// Found by fuzz/s3_headers_fuzz (If-Unmodified-Since): a year beyond four
// digits overflowed the milliseconds (signed overflow, UB).
TEST(Time, HttpDatesOutOfRangeAreRejected) {
  EXPECT_FALSE(ParseHttpDate("Sun Feb 10 11:59:59 2171007200").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 10 Feb 2147483647 11:59:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 10 Feb -2147483648 11:59:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 10 Feb 10000 11:59:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 10 Feb 2024 -1:59:59 GMT").has_value());
  EXPECT_TRUE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT").has_value());
}

TEST(Status, CarriesCodeMessageAndContext) {
  Status s = NotFound("no such bucket", "NoSuchBucket");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.aws_code(), "NoSuchBucket");
  EXPECT_EQ(s.WithContext("get").message(), "get: no such bucket");
  Result<int> r = s;
  EXPECT_FALSE(r.ok());
  Result<int> v = 3;
  EXPECT_EQ(*v, 3);
}

}  // namespace
}  // namespace tarn
