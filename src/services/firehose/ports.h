// What Firehose needs from the rest of tarn, as narrow interfaces: somewhere
// to write objects (S3), Kinesis streams to read (Kinesis Data Streams), and
// table schemas for format conversion (the Glue Data Catalog). The adapters
// over tarn's services are s3_object_sink.h, kinesis_stream_reader.h and
// glue_table_schemas.h; unit tests use fakes.
//
// Every method may block (disk, SQLite): Firehose calls them from its own
// delivery threads or from the worker pool. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "services/firehose/record_converter.h"

namespace tarn::firehose {

class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // Writes one whole object, durably, replacing any of the same key.
  // NotFound when the bucket does not exist; other errors as they come.
  virtual Status Put(const std::string& bucket, const std::string& key, std::string_view body,
                     std::string_view content_encoding) = 0;
};

// A Kinesis stream's shards and records, by stream ARN.
class StreamReader {
 public:
  struct Shard {
    std::string id;
    std::vector<std::string> parents;  // parent and adjacent parent, if any
  };
  struct Record {
    std::string sequence_number;
    int64_t arrival_ms = 0;
    std::string partition_key;
    std::string data;
  };
  struct Batch {
    std::vector<Record> records;
    // The shard is closed and these are its last records.
    bool shard_ended = false;
  };

  virtual ~StreamReader() = default;
  // NotFound when the stream does not exist (or is being deleted).
  virtual Status CheckStream(const std::string& stream_arn) = 0;
  // Every shard the stream has, open and closed.
  virtual Result<std::vector<Shard>> ListShards(const std::string& stream_arn) = 0;
  // Up to max_records of the shard, after after_sequence (when not empty),
  // else from the first record that arrived at or after from_ms.
  virtual Result<Batch> Read(const std::string& stream_arn, const std::string& shard_id,
                             const std::string& after_sequence, int64_t from_ms,
                             size_t max_records) = 0;
};

// The columns of a catalog table, for DataFormatConversionConfiguration.
class TableSchemas {
 public:
  struct TableRef {
    std::string catalog_id;  // empty: the server's account
    std::string database;
    std::string table;
    std::string region;      // empty: the server's region
    std::string version_id;  // "LATEST" or empty: the current version
  };
  virtual ~TableSchemas() = default;
  // NotFound naming the database or table when missing; InvalidArgument
  // for a catalog or region this server does not hold.
  virtual Result<std::vector<ConversionColumn>> Columns(const TableRef& table) = 0;
};

}  // namespace tarn::firehose
