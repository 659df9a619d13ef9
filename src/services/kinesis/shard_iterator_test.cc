#include "services/kinesis/shard_iterator.h"

#include <gtest/gtest.h>

#include "common/encoding.h"

namespace tarn::kinesis {
namespace {

const UnixMillis kNow = 1'700'000'000'000;

TEST(ShardIterator, RoundTrips) {
  IteratorCodec codec("secret-key");
  IteratorPosition p{17, 3, 123456, kNow};
  std::string text = codec.Encode(p);
  EXPECT_LE(text.size(), 512u);  // the model's limit
  auto back = codec.Decode(text, kNow + 1000);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
}

TEST(ShardIterator, ExpiresAfterFiveMinutes) {
  IteratorCodec codec("k");
  std::string text = codec.Encode({1, 0, 0, kNow});
  EXPECT_TRUE(codec.Decode(text, kNow + 300'000).ok());
  auto late = codec.Decode(text, kNow + 300'001);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().aws_code(), "ExpiredIteratorException");
  EXPECT_NE(late.status().message().find("300000 milliseconds"), std::string::npos);
}

TEST(ShardIterator, TamperingIsDetected) {
  IteratorCodec codec("k");
  std::string text = codec.Encode({1, 2, 3, kNow});
  std::string raw = *Base64Decode(text);
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string bad = raw;
    bad[i] ^= 0x01;
    auto r = codec.Decode(Base64Encode(bad), kNow);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().aws_code(), "InvalidArgumentException");
    EXPECT_EQ(r.status().message(), "Invalid ShardIterator.");
  }
}

TEST(ShardIterator, AnotherServersKeyIsRejected) {
  std::string text = IteratorCodec("one").Encode({1, 2, 3, kNow});
  EXPECT_FALSE(IteratorCodec("two").Decode(text, kNow).ok());
}

TEST(ShardIterator, GarbageIsInvalidNotACrash) {
  IteratorCodec codec("k");
  for (const char* s : {"", "x", "not base64!!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    auto r = codec.Decode(s, kNow);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.status().aws_code(), "InvalidArgumentException");
  }
}

}  // namespace
}  // namespace tarn::kinesis
