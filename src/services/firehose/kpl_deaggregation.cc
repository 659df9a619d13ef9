#include "services/firehose/kpl_deaggregation.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/hash.h"

namespace tarn::firehose {
namespace {

constexpr std::string_view kKplMagic("\xF3\x89\x9A\xC2", 4);
constexpr size_t kMd5Size = 16;
constexpr size_t kMaxSubRecords = 500;

// Protobuf wire types, as protobuf's encoding guide numbers them.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads the protobuf wire format field by field. Each method returns false
// on malformed input, leaving the reader unusable.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view in) : in_(in) {}

  bool done() const { return pos_ == in_.size(); }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      // The tenth byte may only carry the 64th bit.
      if (shift == 63 && b > 1) return false;
      *v |= uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  bool Tag(uint64_t* field, uint32_t* wire_type) {
    uint64_t tag = 0;
    if (!Varint(&tag)) return false;
    *field = tag >> 3;
    *wire_type = static_cast<uint32_t>(tag & 7);
    return *field != 0;
  }

  bool Bytes(std::string_view* out) {
    uint64_t size = 0;
    if (!Varint(&size) || size > in_.size() - pos_) return false;
    *out = in_.substr(pos_, size);
    pos_ += size;
    return true;
  }

  // Skips a field this decoder has no use for (tags, unknown fields).
  bool Skip(uint32_t wire_type) {
    uint64_t ignored_varint = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case kVarint: return Varint(&ignored_varint);
      case kLengthDelimited: return Bytes(&ignored_bytes);
      case kFixed64: return Advance(8);
      case kFixed32: return Advance(4);
      default: return false;  // groups (3, 4) are not in these messages
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > in_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

Status Malformed(std::string_view what) {
  return InvalidArgument("malformed KPL aggregated record: " + std::string(what));
}

// A Record message, its indexes not yet resolved against the tables.
struct RawRecord {
  std::optional<uint64_t> partition_key_index;
  std::optional<uint64_t> explicit_hash_key_index;
  std::optional<std::string_view> data;
};

Result<RawRecord> ParseRecord(std::string_view message) {
  RawRecord r;
  ProtoReader in(message);
  while (!in.done()) {
    uint64_t field = 0;
    uint32_t wire_type = 0;
    if (!in.Tag(&field, &wire_type)) return Malformed("bad field tag in a record");
    bool ok = false;
    if (field == 1 && wire_type == kVarint) {
      ok = in.Varint(&r.partition_key_index.emplace());
    } else if (field == 2 && wire_type == kVarint) {
      ok = in.Varint(&r.explicit_hash_key_index.emplace());
    } else if (field == 3 && wire_type == kLengthDelimited) {
      ok = in.Bytes(&r.data.emplace());
    } else {
      ok = in.Skip(wire_type);
    }
    if (!ok) return Malformed("truncated field in a record");
  }
  if (!r.partition_key_index) return Malformed("a record has no partition_key_index");
  if (!r.data) return Malformed("a record has no data");
  return r;
}

// JSON objects back to back, split where each one closes. Braces inside
// strings do not count; nlohmann then checks each piece is valid JSON.
Result<std::vector<std::string>> SplitJson(std::string_view data) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    while (pos < data.size() && is_space(data[pos])) ++pos;
    if (pos == data.size()) return out;
    if (data[pos] != '{') {
      return InvalidArgument("JSON de-aggregation: expected a JSON object at offset " +
                             std::to_string(pos));
    }
    size_t depth = 0;
    bool in_string = false;
    size_t end = pos;
    for (; end < data.size(); ++end) {
      const char c = data[end];
      if (in_string) {
        if (c == '\\') {
          ++end;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        break;
      }
    }
    if (end >= data.size()) {
      return InvalidArgument("JSON de-aggregation: the object at offset " + std::to_string(pos) +
                             " is not closed");
    }
    std::string_view object = data.substr(pos, end + 1 - pos);
    if (!nlohmann::json::accept(object)) {
      return InvalidArgument("JSON de-aggregation: the object at offset " + std::to_string(pos) +
                             " is not valid JSON");
    }
    if (out.size() == kMaxSubRecords) {
      return InvalidArgument("JSON de-aggregation: more than 500 sub-records in one record");
    }
    out.emplace_back(object);
    pos = end + 1;
  }
}

Result<std::vector<std::string>> SplitDelimited(std::string_view data, std::string_view delimiter) {
  if (delimiter.empty()) return InvalidArgument("DELIMITED de-aggregation needs a Delimiter");
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= data.size()) {
    size_t next = data.find(delimiter, pos);
    if (next == std::string_view::npos) next = data.size();
    if (next > pos) {
      if (out.size() == kMaxSubRecords) {
        return InvalidArgument("DELIMITED de-aggregation: more than 500 sub-records in one record");
      }
      out.emplace_back(data.substr(pos, next - pos));
    }
    pos = next + delimiter.size();
  }
  return out;
}

}  // namespace

Result<std::vector<UserRecord>> DeaggregateKpl(std::string_view data,
                                               std::string_view partition_key) {
  if (!data.starts_with(kKplMagic)) {
    return std::vector<UserRecord>{{std::string(partition_key), std::nullopt, std::string(data)}};
  }
  if (data.size() < kKplMagic.size() + kMd5Size) return Malformed("shorter than its checksum");
  const std::string_view message =
      data.substr(kKplMagic.size(), data.size() - kKplMagic.size() - kMd5Size);
  if (Md5(message) != data.substr(data.size() - kMd5Size)) {
    return Malformed("the MD5 checksum does not match");
  }

  std::vector<std::string_view> partition_keys;
  std::vector<std::string_view> explicit_hash_keys;
  std::vector<RawRecord> raw;
  ProtoReader in(message);
  while (!in.done()) {
    uint64_t field = 0;
    uint32_t wire_type = 0;
    if (!in.Tag(&field, &wire_type)) return Malformed("bad field tag");
    std::string_view bytes;
    if (wire_type != kLengthDelimited) {
      if (!in.Skip(wire_type)) return Malformed("truncated field");
      continue;
    }
    if (!in.Bytes(&bytes)) return Malformed("truncated field");
    if (field == 1) {
      partition_keys.push_back(bytes);
    } else if (field == 2) {
      explicit_hash_keys.push_back(bytes);
    } else if (field == 3) {
      TARN_ASSIGN_OR_RETURN(RawRecord r, ParseRecord(bytes));
      raw.push_back(r);
    }
  }

  // The tables may follow the records on the wire, so indexes resolve last.
  std::vector<UserRecord> out;
  out.reserve(raw.size());
  for (const RawRecord& r : raw) {
    if (*r.partition_key_index >= partition_keys.size()) {
      return Malformed("partition_key_index " + std::to_string(*r.partition_key_index) +
                       " is past the table of " + std::to_string(partition_keys.size()));
    }
    UserRecord u{std::string(partition_keys[*r.partition_key_index]), std::nullopt,
                 std::string(*r.data)};
    if (r.explicit_hash_key_index) {
      if (*r.explicit_hash_key_index >= explicit_hash_keys.size()) {
        return Malformed("explicit_hash_key_index " + std::to_string(*r.explicit_hash_key_index) +
                         " is past the table of " + std::to_string(explicit_hash_keys.size()));
      }
      u.explicit_hash_key = std::string(explicit_hash_keys[*r.explicit_hash_key_index]);
    }
    out.push_back(std::move(u));
  }
  return out;
}

Result<SubRecordType> ParseSubRecordType(std::string_view v) {
  if (v == "JSON") return SubRecordType::kJson;
  if (v == "DELIMITED") return SubRecordType::kDelimited;
  return InvalidArgument("SubRecordType '" + std::string(v) + "' is not one of JSON, DELIMITED");
}

Result<std::vector<std::string>> SplitSubRecords(std::string_view data, SubRecordType type,
                                                 std::string_view delimiter) {
  return type == SubRecordType::kJson ? SplitJson(data) : SplitDelimited(data, delimiter);
}

}  // namespace tarn::firehose
