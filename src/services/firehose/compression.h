// The CompressionFormat of an S3 destination: how one delivered object's
// bytes are wrapped, its key's extension and its Content-Encoding.
//
// Formats, as real Firehose writes them (objects from AWS decode with the
// matching reader; snappy-java reproduces AWS's Snappy objects byte for byte):
//
//   UNCOMPRESSED   the bytes as they are
//   GZIP           one gzip member (RFC 1952), deflate
//   ZIP            a zip archive holding one deflated entry (no zip64)
//   Snappy         snappy-java's stream format, NOT Google's framing format:
//                    stream := header block*
//                    header := 82 'S' 'N' 'A' 'P' 'P' 'Y' 00  be32(1)  be32(1)
//                    block  := be32(compressed length) snappy(<= 32 KiB of input)
//   HADOOP_SNAPPY  Hadoop's BlockCompressorStream format (SnappyCodec):
//                    stream := block*
//                    block  := be32(input length) be32(compressed length)
//                              snappy(<= 32 KiB of input)
//
// Extensions follow what the service delivers, which differs from the S3
// object name documentation in one place: HADOOP_SNAPPY objects end in
// ".snappy", not ".hsnappy".
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tarn::firehose {

enum class Compression { kUncompressed, kGzip, kZip, kSnappy, kHadoopSnappy };

// The API's CompressionFormat value, case-sensitive as the model's enum:
// "UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY". InvalidArgument
// naming the value otherwise ("SNAPPY" included).
Result<Compression> ParseCompression(std::string_view api_value);
// The API spelling, for Describe: inverse of ParseCompression.
std::string_view CompressionName(Compression c);

// The object key suffix: "", ".gz", ".zip", ".snappy", ".snappy".
std::string_view FileExtension(Compression c);
// The Content-Encoding Firehose sets on the object; "" for UNCOMPRESSED.
// The two Snappy formats share an extension and only this tells them apart.
std::string_view ContentEncoding(Compression c);

// data wrapped in format c. zip_entry_name names the archive's one entry
// (Firehose uses a random UUID) and is ignored by the other formats.
// InvalidArgument for GZIP or ZIP data of 4 GiB or more (zlib's and zip32's
// limit; Firehose buffers at most 128 MiB) or a zip entry name over 65535
// bytes; Internal if zlib fails.
Result<std::string> Compress(Compression c, std::string_view data, std::string_view zip_entry_name);

}  // namespace tarn::firehose
