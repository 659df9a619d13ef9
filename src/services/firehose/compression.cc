#include "services/firehose/compression.h"

#include <snappy.h>
#include <zlib.h>

#include <cstdint>
#include <limits>

#include "common/hash.h"

namespace tarn::firehose {
namespace {

// snappy-java's SnappyOutputStream and SnappyHadoopCompatibleOutputStream
// both cut their input into blocks of this size; Hadoop's reader accepts any
// block up to its 256 KiB buffer.
constexpr size_t kSnappyBlockSize = 32 * 1024;

// Window bits for deflateInit2: negative is a raw deflate stream (what a zip
// entry holds), 16 + 15 asks zlib for the gzip wrapper.
constexpr int kRawDeflate = -15;
constexpr int kGzipDeflate = 16 + 15;

void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
void PutLe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v));
  out->push_back(static_cast<char>(v >> 8));
}
void PutLe32(std::string* out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<char>(v >> shift));
}

// One deflate call into a deflateBound-sized buffer: zlib guarantees that
// Z_FINISH completes in a single call then.
Result<std::string> Deflate(std::string_view data, int window_bits) {
  if (data.size() >= std::numeric_limits<uInt>::max()) {
    return InvalidArgument("cannot compress an object of 4 GiB or more");
  }
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Internal("deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Internal("deflate failed: " + std::to_string(rc));
  return out;
}

// A zip archive of one entry (APPNOTE.TXT 4.3): local file header, the
// deflated bytes, the central directory's one header, the end record. Sizes
// are known before writing, so no data descriptor follows the entry.
Result<std::string> Zip(std::string_view data, std::string_view name) {
  if (name.size() > 0xFFFF) return InvalidArgument("a ZIP entry name is at most 65535 bytes");
  // Deflate refuses inputs of 4 GiB; the archive around them must stay
  // under it too, or its offsets would need zip64.
  TARN_ASSIGN_OR_RETURN(std::string deflated, Deflate(data, kRawDeflate));
  constexpr uint64_t kZip32Limit = 0xFFFFFFFFu;
  if (deflated.size() + 2 * name.size() + 128 >= kZip32Limit) {
    return InvalidArgument("a ZIP object of 4 GiB or more would need zip64");
  }
  const uint32_t crc = Crc32(0, data);
  constexpr uint16_t kVersion = 20;           // 2.0: deflate
  constexpr uint16_t kFlagUtf8Name = 0x0800;  // bit 11: the name is UTF-8
  constexpr uint16_t kMethodDeflate = 8;
  constexpr uint16_t kDosTime = 0;             // 00:00:00
  constexpr uint16_t kDosDate = (1 << 5) | 1;  // 1980-01-01, the DOS epoch
  // Fields shared by the local and the central header, from "version needed".
  auto put_entry_fields = [&](std::string* out) {
    PutLe16(out, kVersion);
    PutLe16(out, kFlagUtf8Name);
    PutLe16(out, kMethodDeflate);
    PutLe16(out, kDosTime);
    PutLe16(out, kDosDate);
    PutLe32(out, crc);
    PutLe32(out, static_cast<uint32_t>(deflated.size()));
    PutLe32(out, static_cast<uint32_t>(data.size()));
    PutLe16(out, static_cast<uint16_t>(name.size()));
    PutLe16(out, 0);  // extra field length
  };

  std::string out;
  PutLe32(&out, 0x04034b50);  // local file header
  put_entry_fields(&out);
  out.append(name);
  out.append(deflated);

  const size_t central_offset = out.size();
  PutLe32(&out, 0x02014b50);  // central directory file header
  PutLe16(&out, kVersion);    // version made by
  put_entry_fields(&out);
  PutLe16(&out, 0);  // comment length
  PutLe16(&out, 0);  // disk number start
  PutLe16(&out, 0);  // internal attributes
  PutLe32(&out, 0);  // external attributes
  PutLe32(&out, 0);  // offset of the local header
  out.append(name);
  const size_t central_size = out.size() - central_offset;

  PutLe32(&out, 0x06054b50);  // end of central directory
  PutLe16(&out, 0);           // this disk
  PutLe16(&out, 0);           // disk with the central directory
  PutLe16(&out, 1);           // entries on this disk
  PutLe16(&out, 1);           // entries in all
  PutLe32(&out, static_cast<uint32_t>(central_size));
  PutLe32(&out, static_cast<uint32_t>(central_offset));
  PutLe16(&out, 0);  // comment length
  return out;
}

// Both Snappy formats: blocks of kSnappyBlockSize input, each a raw snappy
// block after a big-endian length, with Hadoop's also carrying the input
// length first.
std::string SnappyBlocks(std::string_view data, bool hadoop) {
  std::string out;
  std::string block;
  for (size_t pos = 0; pos < data.size(); pos += kSnappyBlockSize) {
    std::string_view input = data.substr(pos, kSnappyBlockSize);
    snappy::Compress(input.data(), input.size(), &block);
    if (hadoop) PutBe32(&out, static_cast<uint32_t>(input.size()));
    PutBe32(&out, static_cast<uint32_t>(block.size()));
    out.append(block);
  }
  return out;
}

std::string SnappyJava(std::string_view data) {
  static constexpr char kMagic[] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
  constexpr uint32_t kVersion = 1;
  constexpr uint32_t kCompatibleVersion = 1;
  std::string out(kMagic, sizeof(kMagic));
  PutBe32(&out, kVersion);
  PutBe32(&out, kCompatibleVersion);
  out.append(SnappyBlocks(data, /*hadoop=*/false));
  return out;
}

}  // namespace

Result<Compression> ParseCompression(std::string_view v) {
  if (v == "UNCOMPRESSED") return Compression::kUncompressed;
  if (v == "GZIP") return Compression::kGzip;
  if (v == "ZIP") return Compression::kZip;
  if (v == "Snappy") return Compression::kSnappy;
  if (v == "HADOOP_SNAPPY") return Compression::kHadoopSnappy;
  return InvalidArgument("CompressionFormat '" + std::string(v) +
                         "' is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY");
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kUncompressed: return "UNCOMPRESSED";
    case Compression::kGzip: return "GZIP";
    case Compression::kZip: return "ZIP";
    case Compression::kSnappy: return "Snappy";
    case Compression::kHadoopSnappy: return "HADOOP_SNAPPY";
  }
  return "";
}

std::string_view FileExtension(Compression c) {
  switch (c) {
    case Compression::kUncompressed: return "";
    case Compression::kGzip: return ".gz";
    case Compression::kZip: return ".zip";
    case Compression::kSnappy: return ".snappy";
    case Compression::kHadoopSnappy: return ".snappy";
  }
  return "";
}

std::string_view ContentEncoding(Compression c) {
  switch (c) {
    case Compression::kUncompressed: return "";
    case Compression::kGzip: return "gzip";
    case Compression::kZip: return "zip";
    case Compression::kSnappy: return "snappy-java";
    case Compression::kHadoopSnappy: return "hadoop-snappy";
  }
  return "";
}

Result<std::string> Compress(Compression c, std::string_view data,
                             std::string_view zip_entry_name) {
  switch (c) {
    case Compression::kUncompressed: return std::string(data);
    case Compression::kGzip: return Deflate(data, kGzipDeflate);
    case Compression::kZip: return Zip(data, zip_entry_name);
    case Compression::kSnappy: return SnappyJava(data);
    case Compression::kHadoopSnappy: return SnappyBlocks(data, /*hadoop=*/true);
  }
  return Internal("unknown compression");
}

}  // namespace tarn::firehose
