// MemoryLake: a Lake held in memory, for tests of the engine over s3://.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "query/query_engine.h"

namespace tarn::query {

class MemoryObject : public LakeObject {
 public:
  MemoryObject(std::string bytes, bool fail) : bytes_(std::move(bytes)), fail_(fail) {}
  uint64_t size() const override { return bytes_.size(); }
  int64_t last_modified_ms() const override { return 1700000000000; }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    if (fail_) return IOError("disk read failed (injected)");
    if (offset >= bytes_.size()) return size_t{0};
    n = std::min<size_t>(n, bytes_.size() - offset);
    bytes_.copy(buf, n, offset);
    ++reads;
    return n;
  }
  int reads = 0;

 private:
  std::string bytes_;
  bool fail_;
};

class MemoryLake : public Lake {
 public:
  void Put(const std::string& bucket, const std::string& key, std::string bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    buckets_[bucket][key] = std::move(bytes);
  }
  void FailReads(const std::string& key) { failing_ = key; }

  Status List(std::string_view bucket, std::string_view prefix,
              const std::function<bool(const Entry&)>& visit) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto b = buckets_.find(std::string(bucket));
    if (b == buckets_.end()) return NotFound("no such bucket");
    ++lists;
    for (auto it = b->second.lower_bound(std::string(prefix)); it != b->second.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!visit(Entry{it->first, it->second.size(), 1700000000000})) break;
    }
    return Status::OK();
  }

  Result<std::unique_ptr<LakeObject>> Open(std::string_view bucket, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto b = buckets_.find(std::string(bucket));
    if (b == buckets_.end()) return NotFound("no such bucket");
    auto o = b->second.find(std::string(key));
    if (o == b->second.end()) return NotFound("no such key");
    opened.insert(std::string(key));
    return std::unique_ptr<LakeObject>(
        std::make_unique<MemoryObject>(o->second, std::string(key) == failing_));
  }

  class Writer : public LakeWriter {
   public:
    Writer(MemoryLake* lake, std::string bucket, std::string key)
        : lake_(lake), bucket_(std::move(bucket)), key_(std::move(key)) {}
    Status Append(std::string_view data) override {
      data_ += data;
      return Status::OK();
    }
    Status Commit() override {
      lake_->Put(bucket_, key_, data_);
      return Status::OK();
    }

   private:
    MemoryLake* lake_;
    std::string bucket_, key_, data_;
  };

  Result<std::unique_ptr<LakeWriter>> Create(std::string_view bucket, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!buckets_.count(std::string(bucket))) return NotFound("no such bucket");
    return std::unique_ptr<LakeWriter>(std::make_unique<Writer>(this, std::string(bucket), std::string(key)));
  }

  Status Delete(std::string_view bucket, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto b = buckets_.find(std::string(bucket));
    if (b != buckets_.end()) b->second.erase(std::string(key));
    return Status::OK();
  }

  int lists = 0;
  std::multiset<std::string> opened;

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> buckets_;
  std::string failing_;
};

}  // namespace tarn::query
