// In-memory stand-ins for Firehose's ports (ports.h), for unit tests: an
// object store that can be told to fail, a Kinesis stream with resharding,
// a catalog of table schemas, and a converter that writes one line per
// record (so tests can read "Parquet" back without an engine).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "services/firehose/ports.h"
#include "services/firehose/record_converter.h"

namespace tarn::firehose {

class FakeSink : public ObjectSink {
 public:
  struct Object {
    std::string body;
    std::string content_encoding;
  };
  Status Put(const std::string& bucket, const std::string& key, std::string_view body,
             std::string_view content_encoding) override {
    std::lock_guard<std::mutex> lock(mu);
    ++puts;
    if (fail) return IOError("injected failure");
    if (!buckets.count(bucket)) return NotFound("The specified bucket does not exist", "NoSuchBucket");
    objects[bucket + "/" + key] = Object{std::string(body), std::string(content_encoding)};
    return Status::OK();
  }
  // Keys (bucket/key) under a prefix, sorted.
  std::vector<std::string> Keys(const std::string& prefix = "") {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out;
    for (const auto& [k, o] : objects) {
      if (k.compare(0, prefix.size(), prefix) == 0) out.push_back(k);
    }
    return out;
  }

  std::mutex mu;
  std::set<std::string> buckets{"lake"};
  std::map<std::string, Object> objects;
  bool fail = false;
  int puts = 0;
};

class FakeStreamReader : public StreamReader {
 public:
  struct FakeShard {
    std::vector<std::string> parents;
    std::vector<Record> records;
    bool closed = false;
  };
  Status CheckStream(const std::string& arn) override {
    std::lock_guard<std::mutex> lock(mu);
    return arn == stream_arn ? Status::OK() : NotFound("Stream not found");
  }
  Result<std::vector<Shard>> ListShards(const std::string& arn) override {
    std::lock_guard<std::mutex> lock(mu);
    if (arn != stream_arn) return NotFound("Stream not found");
    std::vector<Shard> out;
    for (const auto& [id, s] : shards) out.push_back(Shard{id, s.parents});
    return out;
  }
  Result<Batch> Read(const std::string& arn, const std::string& shard_id,
                     const std::string& after_sequence, int64_t from_ms, size_t max_records) override {
    std::lock_guard<std::mutex> lock(mu);
    ++reads;
    if (arn != stream_arn) return NotFound("Stream not found");
    const FakeShard& s = shards.at(shard_id);
    Batch b;
    size_t i = 0;
    if (!after_sequence.empty()) {
      while (i < s.records.size() && s.records[i].sequence_number != after_sequence) ++i;
      ++i;
    } else {
      while (i < s.records.size() && s.records[i].arrival_ms < from_ms) ++i;
    }
    for (; i < s.records.size() && b.records.size() < max_records; ++i) b.records.push_back(s.records[i]);
    b.shard_ended = s.closed && i >= s.records.size();
    return b;
  }
  void Add(const std::string& shard, const std::string& data, int64_t arrival_ms) {
    std::lock_guard<std::mutex> lock(mu);
    auto& s = shards[shard];
    s.records.push_back(Record{shard + ":" + std::to_string(s.records.size()), arrival_ms, "pk", data});
  }

  std::mutex mu;
  std::string stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/src";
  std::map<std::string, FakeShard> shards;
  int reads = 0;
};

class FakeSchemas : public TableSchemas {
 public:
  Result<std::vector<ConversionColumn>> Columns(const TableRef& t) override {
    auto it = tables.find(t.database + "." + t.table);
    if (it == tables.end()) return NotFound("Table " + t.table + " not found", "EntityNotFoundException");
    return it->second;
  }
  std::map<std::string, std::vector<ConversionColumn>> tables;
};

// "Converts" JSON objects to lines "<col>=<value>;..." under a PARQUET
// header; anything that is not a JSON object fails, as a real converter's
// Add would.
class FakeConverterFactory : public RecordConverterFactory {
 public:
  class Converter : public RecordConverter {
   public:
    explicit Converter(ConversionSpec spec) : spec_(std::move(spec)) {}
    Status Add(std::string_view record) override {
      nlohmann::json j = nlohmann::json::parse(record, nullptr, false);
      if (!j.is_object()) return InvalidArgument("not a JSON object: " + std::string(record));
      std::string line;
      for (const ConversionColumn& c : spec_.columns) {
        line += c.name + "=" + (j.contains(c.name) ? j[c.name].dump() : "null") + ";";
      }
      out_ += line + "\n";
      ++records_;
      return Status::OK();
    }
    Result<std::string> Finish() override { return "PARQUET\n" + out_; }
    size_t records() const override { return records_; }

   private:
    ConversionSpec spec_;
    std::string out_;
    size_t records_ = 0;
  };
  Result<std::unique_ptr<RecordConverter>> Make(const ConversionSpec& spec) override {
    last_spec = spec;
    return std::unique_ptr<RecordConverter>(new Converter(spec));
  }
  ConversionSpec last_spec;
};

}  // namespace tarn::firehose
