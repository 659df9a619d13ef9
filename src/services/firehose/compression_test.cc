#include "services/firehose/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>

#include <cstdint>
#include <random>

#include "common/hash.h"

namespace tarn::firehose {
namespace {

// Text that compresses, longer than several 32 KiB snappy blocks.
std::string Records(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) {
    s +=
        "{\"seq\":" + std::to_string(i) + ",\"customer_id\":\"c-" + std::to_string(i % 7) + "\"}\n";
  }
  s.resize(n);
  return s;
}

// Bytes that do not compress: snappy blocks come out larger than their input.
std::string Noise(size_t n) {
  std::mt19937 gen(7);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

uint32_t Be32(std::string_view s, size_t pos) {
  return (uint32_t{static_cast<uint8_t>(s[pos])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[pos + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[pos + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(s[pos + 3])};
}
uint32_t Le16(std::string_view s, size_t pos) {
  return uint32_t{static_cast<uint8_t>(s[pos])} | (uint32_t{static_cast<uint8_t>(s[pos + 1])} << 8);
}
uint32_t Le32(std::string_view s, size_t pos) { return Le16(s, pos) | (Le16(s, pos + 2) << 16); }

// zlib inflate: window_bits 16 + 15 for gzip, -15 for raw deflate.
std::string Inflate(std::string_view in, int window_bits, size_t expected_size) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, window_bits), Z_OK);
  std::string out(expected_size + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the stream's end";
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

// Reads blocks of [be32 input length] be32 compressed length + snappy block.
std::string DecodeSnappyBlocks(std::string_view s, bool hadoop) {
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    uint32_t input_length = 0;
    if (hadoop) {
      input_length = Be32(s, pos);
      pos += 4;
      EXPECT_LE(input_length, 32u * 1024);
    }
    uint32_t length = Be32(s, pos);
    pos += 4;
    EXPECT_LE(pos + length, s.size());
    std::string block;
    EXPECT_TRUE(snappy::Uncompress(s.data() + pos, length, &block));
    if (hadoop) {
      EXPECT_EQ(block.size(), input_length);
    }
    out += block;
    pos += length;
  }
  return out;
}

TEST(Compression, ParsesTheApiSpellingsOnly) {
  EXPECT_EQ(*ParseCompression("UNCOMPRESSED"), Compression::kUncompressed);
  EXPECT_EQ(*ParseCompression("GZIP"), Compression::kGzip);
  EXPECT_EQ(*ParseCompression("ZIP"), Compression::kZip);
  EXPECT_EQ(*ParseCompression("Snappy"), Compression::kSnappy);
  EXPECT_EQ(*ParseCompression("HADOOP_SNAPPY"), Compression::kHadoopSnappy);
  for (auto bad : {"SNAPPY", "gzip", "Zip", "", "BZIP2"}) {
    auto r = ParseCompression(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("'") + bad + "'"), std::string::npos);
  }
  for (auto c : {Compression::kUncompressed, Compression::kGzip, Compression::kZip,
                 Compression::kSnappy, Compression::kHadoopSnappy}) {
    EXPECT_EQ(*ParseCompression(CompressionName(c)), c);
  }
}

TEST(Compression, ExtensionsAndEncodingsAreWhatFirehoseDelivers) {
  EXPECT_EQ(FileExtension(Compression::kUncompressed), "");
  EXPECT_EQ(FileExtension(Compression::kGzip), ".gz");
  EXPECT_EQ(FileExtension(Compression::kZip), ".zip");
  EXPECT_EQ(FileExtension(Compression::kSnappy), ".snappy");
  EXPECT_EQ(FileExtension(Compression::kHadoopSnappy), ".snappy");
  EXPECT_EQ(ContentEncoding(Compression::kUncompressed), "");
  EXPECT_EQ(ContentEncoding(Compression::kGzip), "gzip");
  EXPECT_EQ(ContentEncoding(Compression::kZip), "zip");
  EXPECT_EQ(ContentEncoding(Compression::kSnappy), "snappy-java");
  EXPECT_EQ(ContentEncoding(Compression::kHadoopSnappy), "hadoop-snappy");
}

TEST(Compression, UncompressedIsTheBytes) {
  const std::string_view data("a\0b", 3);
  EXPECT_EQ(*Compress(Compression::kUncompressed, data, "x"), data);
}

TEST(Compression, GzipRoundTripsThroughZlib) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100000}}) {
    std::string data = Records(n);
    auto gz = Compress(Compression::kGzip, data, "");
    ASSERT_TRUE(gz.ok());
    ASSERT_GE(gz->size(), 18u);
    EXPECT_EQ(static_cast<uint8_t>((*gz)[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<uint8_t>((*gz)[1]), 0x8b);
    EXPECT_EQ(Inflate(*gz, 16 + 15, n), data);
    if (n == 100000) {
      EXPECT_LT(gz->size(), n / 4);
    }
  }
}

TEST(Compression, ZipHoldsOneDeflatedEntryWithItsCrcAndSizes) {
  const std::string name = "9f1e4f3c-1b2a-4c5d-8e9f-0a1b2c3d4e5f";
  const std::string data = Records(70000);
  auto zip = Compress(Compression::kZip, data, name);
  ASSERT_TRUE(zip.ok());
  const std::string_view z = *zip;

  // Local file header.
  ASSERT_EQ(Le32(z, 0), 0x04034b50u);
  EXPECT_EQ(Le16(z, 8), 8u);  // deflate
  const uint32_t crc = Le32(z, 14);
  const uint32_t compressed_size = Le32(z, 18);
  EXPECT_EQ(crc, Crc32(0, data));
  EXPECT_EQ(Le32(z, 22), data.size());
  ASSERT_EQ(Le16(z, 26), name.size());
  ASSERT_EQ(Le16(z, 28), 0u);
  EXPECT_EQ(z.substr(30, name.size()), name);
  const size_t data_at = 30 + name.size();
  EXPECT_EQ(Inflate(z.substr(data_at, compressed_size), -15, data.size()), data);

  // End of central directory: one entry, pointing at a central header that
  // agrees with the local one.
  const size_t end_at = z.size() - 22;
  ASSERT_EQ(Le32(z, end_at), 0x06054b50u);
  EXPECT_EQ(Le16(z, end_at + 10), 1u);
  const uint32_t central_size = Le32(z, end_at + 12);
  const uint32_t central_at = Le32(z, end_at + 16);
  EXPECT_EQ(central_at, data_at + compressed_size);
  EXPECT_EQ(central_at + central_size, end_at);
  ASSERT_EQ(Le32(z, central_at), 0x02014b50u);
  EXPECT_EQ(Le32(z, central_at + 16), crc);
  EXPECT_EQ(Le32(z, central_at + 20), compressed_size);
  EXPECT_EQ(Le32(z, central_at + 24), data.size());
  EXPECT_EQ(Le32(z, central_at + 42), 0u);  // local header offset
  EXPECT_EQ(z.substr(central_at + 46, name.size()), name);
}

TEST(Compression, SnappyIsSnappyJavasStreamFormat) {
  for (std::string data : {Records(100000), Noise(40000), std::string()}) {
    auto s = Compress(Compression::kSnappy, data, "");
    ASSERT_TRUE(s.ok());
    const std::string_view header("\x82SNAPPY\0\0\0\0\x01\0\0\0\x01", 16);
    ASSERT_EQ(s->substr(0, 16), header);
    EXPECT_EQ(DecodeSnappyBlocks(std::string_view(*s).substr(16), /*hadoop=*/false), data);
  }
  // 100,000 bytes are four blocks: 3 x 32 KiB + 1,696.
  auto s = Compress(Compression::kSnappy, Records(100000), "");
  size_t blocks = 0;
  for (size_t pos = 16; pos < s->size(); pos += 4 + Be32(*s, pos)) ++blocks;
  EXPECT_EQ(blocks, 4u);
}

TEST(Compression, HadoopSnappyCarriesEachBlocksInputLength) {
  for (std::string data : {Records(100000), Noise(40000), std::string("x")}) {
    auto s = Compress(Compression::kHadoopSnappy, data, "");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(DecodeSnappyBlocks(*s, /*hadoop=*/true), data);
  }
  auto s = Compress(Compression::kHadoopSnappy, Records(100000), "");
  EXPECT_EQ(Be32(*s, 0), 32u * 1024);  // the first block's input length
  EXPECT_EQ(*Compress(Compression::kHadoopSnappy, "", ""), "");
}

TEST(Compression, ZipRefusesANameTooLongForItsHeader) {
  auto r = Compress(Compression::kZip, "data", std::string(70000, 'n'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tarn::firehose
