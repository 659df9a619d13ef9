#include "services/kinesis/put_records.h"

#include "aws/json_protocol.h"
#include "aws/json_reader.h"
#include "common/encoding.h"
#include "services/kinesis/request_input.h"

namespace tarn::kinesis {

namespace {

constexpr size_t kMaxPartitionKeyChars = 256;

Status RecordTooLarge() {
  return Status(Code::kInvalidArgument,
                "Record size exceeds the 1 MiB limit (data and partition key together).",
                "InvalidArgumentException");
}

Status RequestTooLarge(size_t total) {
  return Status(Code::kInvalidArgument,
                "Records size exceeds 5 MB limit (" + std::to_string(total) +
                    " bytes of data and partition keys).",
                "InvalidArgumentException");
}

// --- The document path ---------------------------------------------------------

// Reads and validates one record of `obj` into *out: Records' element, or
// for PutRecord the request itself. Violations go to `in`; a rule of the
// service itself is the returned status.
Status ParseRecord(Input& in, const Json& obj, PutRecordsRequest* out, size_t* total_bytes) {
  std::string_view key;
  auto pk = obj.find("PartitionKey");
  if (pk == obj.end() || pk->is_null()) {
    in.Violation("null", "PartitionKey", "Member must not be null");
  } else if (!pk->is_string()) {
    in.Note(Status(Code::kInvalidArgument, "Member 'PartitionKey' must be a string.",
                   "SerializationException"));
  } else {
    key = pk->get_ref<const std::string&>();
    size_t chars = CharCount(key);
    if (chars < 1) {
      in.Violation("''", "PartitionKey", "Member must have length greater than or equal to 1");
    } else if (chars > kMaxPartitionKeyChars) {
      in.Violation("'" + std::string(key.substr(0, 256)) + "...'", "PartitionKey",
                   "Member must have length less than or equal to 256");
    }
  }
  std::optional<HashKey> explicit_key;
  auto ek = obj.find("ExplicitHashKey");
  if (ek != obj.end() && !ek->is_null()) {
    if (!ek->is_string()) {
      in.Note(Status(Code::kInvalidArgument, "Member 'ExplicitHashKey' must be a string.",
                     "SerializationException"));
    } else {
      const std::string& text = ek->get_ref<const std::string&>();
      if (!IsHashKey(text)) {
        in.Violation("'" + text + "'", "ExplicitHashKey",
                     "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})");
      } else {
        explicit_key = HashKey::Parse(text);
        if (!explicit_key) {
          return Status(Code::kInvalidArgument,
                        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, "
                        "2^128-1]. Specified value was " + text,
                        "InvalidArgumentException");
        }
      }
    }
  }
  auto blob = aws::GetBlob(obj, "Data");
  if (!blob.ok()) {
    in.Note(blob.status());
    return Status::OK();
  }
  if (!blob->has_value()) {
    in.Violation("null", "Data", "Member must not be null");
    return Status::OK();
  }
  const std::string& data = **blob;
  if (data.size() > kMaxRecordBytes) {
    in.Violation("'java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(data.size()) +
                     " cap=" + std::to_string(data.size()) + "]'",
                 "Data", "Member must have length less than or equal to 1048576");
    return Status::OK();
  }
  if (data.size() + key.size() > kMaxRecordBytes) return RecordTooLarge();
  *total_bytes += data.size() + key.size();
  PutRecordsRequest::Slot& slot = out->slots.emplace_back();
  slot.key_at = out->bytes.size();
  slot.key_size = key.size();
  out->bytes += key;
  slot.data_at = out->bytes.size();
  slot.data_size = data.size();
  out->bytes += data;
  slot.explicit_hash_key = explicit_key;
  return Status::OK();
}

// --- The fast path -------------------------------------------------------------

// Reads one element of Records into *out; false for anything but the
// common, valid form.
bool DecodeRecordFast(aws::JsonReader& r, PutRecordsRequest* out, size_t* total_bytes) {
  if (!r.EnterObject()) return false;
  std::string_view name, value;
  bool have_key = false, have_data = false, have_hash = false;
  PutRecordsRequest::Slot slot;
  size_t key_at = 0;
  while (r.NextMember(&name)) {
    if (r.Peek() != aws::JsonReader::Kind::kString || !r.ReadString(&value)) return false;
    if (name == "PartitionKey" && !have_key) {
      have_key = true;
      const size_t chars = CharCount(value);
      if (chars < 1 || chars > kMaxPartitionKeyChars) return false;
      // Kept at the end of `bytes` until the data is in too.
      key_at = out->bytes.size();
      slot.key_size = value.size();
      out->bytes += value;
    } else if (name == "Data" && !have_data) {
      have_data = true;
      slot.data_at = out->bytes.size();
      if (!Base64DecodeAppend(value, &out->bytes)) return false;
      slot.data_size = out->bytes.size() - slot.data_at;
    } else if (name == "ExplicitHashKey" && !have_hash) {
      have_hash = true;
      if (!IsHashKey(value)) return false;
      slot.explicit_hash_key = HashKey::Parse(value);
      if (!slot.explicit_hash_key) return false;
    } else {
      return false;  // another member, or one given twice
    }
  }
  if (r.failed() || !have_key || !have_data) return false;
  if (slot.data_size + slot.key_size > kMaxRecordBytes) return false;
  slot.key_at = key_at;
  *total_bytes += slot.data_size + slot.key_size;
  out->slots.push_back(std::move(slot));
  return true;
}

}  // namespace

std::vector<PutEntry> PutRecordsRequest::Entries() const {
  std::vector<PutEntry> entries;
  entries.reserve(slots.size());
  const std::string_view all(bytes);
  for (const Slot& s : slots) {
    entries.push_back(PutEntry{all.substr(s.key_at, s.key_size), all.substr(s.data_at, s.data_size),
                               s.explicit_hash_key});
  }
  return entries;
}

std::optional<PutRecordsRequest> DecodePutRecordsFast(std::string_view body) {
  aws::JsonReader r(body);
  PutRecordsRequest out;
  // Decoded data is shorter than its base64 text, so one allocation holds
  // every key and record.
  out.bytes.reserve(body.size());
  bool have_name = false, have_arn = false, have_records = false;
  size_t total = 0;
  std::string_view name, value;
  if (!r.EnterObject()) return std::nullopt;
  while (r.NextMember(&name)) {
    if ((name == "StreamName" && !have_name) || (name == "StreamARN" && !have_arn)) {
      const bool is_name = name == "StreamName";
      if (r.Peek() != aws::JsonReader::Kind::kString || !r.ReadString(&value)) return std::nullopt;
      const size_t chars = CharCount(value);
      if (is_name) {
        if (chars < 1 || chars > 128 || !IsName(value)) return std::nullopt;
        have_name = true;
        out.stream_name = value;
      } else {
        if (chars < 1 || chars > 2048 || !IsStreamArn(value)) return std::nullopt;
        have_arn = true;
        out.stream_arn = value;
      }
    } else if (name == "Records" && !have_records) {
      have_records = true;
      if (!r.EnterArray()) return std::nullopt;
      while (r.NextElement()) {
        if (out.slots.size() == kMaxPutRecords) return std::nullopt;
        if (!DecodeRecordFast(r, &out, &total)) return std::nullopt;
      }
      if (r.failed() || out.slots.empty()) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (!have_records || !r.AtEnd() || total > kMaxPutRecordsBytes) return std::nullopt;
  return out;
}

Result<PutRecordsRequest> ParsePutRecords(const Json& j) {
  Input in(j);
  PutRecordsRequest out;
  out.stream_name = in.Str("StreamName", kStreamName);
  out.stream_arn = in.Str("StreamARN", kStreamArn);
  const Json* records = in.List("Records", true, 1, kMaxPutRecords);
  size_t total = 0;
  if (records && records->size() <= kMaxPutRecords) {
    out.slots.reserve(records->size());
    for (size_t i = 0; i < records->size(); ++i) {
      const Json& r = (*records)[i];
      if (!r.is_object()) {
        in.Note(Status(Code::kInvalidArgument, "Member 'Records' must be a list of structures.",
                       "SerializationException"));
        break;
      }
      Input rec(r, "records", i);
      TARN_RETURN_IF_ERROR(ParseRecord(rec, r, &out, &total));
      in.Absorb(rec);
    }
  }
  TARN_RETURN_IF_ERROR(in.Finish());
  if (total > kMaxPutRecordsBytes) return RequestTooLarge(total);
  return out;
}

Result<PutRecordsRequest> ParsePutRecord(const Json& j) {
  Input in(j);
  PutRecordsRequest out;
  out.stream_name = in.Str("StreamName", kStreamName);
  out.stream_arn = in.Str("StreamARN", kStreamArn);
  in.Str("SequenceNumberForOrdering", kSequenceNumber);
  size_t total = 0;
  TARN_RETURN_IF_ERROR(ParseRecord(in, j, &out, &total));
  TARN_RETURN_IF_ERROR(in.Finish());
  return out;
}

std::string EncodePutRecordsResult(std::span<const PutOutcome> outcomes,
                                   std::string_view encryption_type) {
  int failed = 0;
  for (const PutOutcome& o : outcomes) failed += !o.error_code.empty();
  std::string out;
  out.reserve(64 + outcomes.size() * 72);
  out += "{\"EncryptionType\":";
  aws::AppendJsonString(out, encryption_type);
  out += ",\"FailedRecordCount\":";
  out += std::to_string(failed);
  out += ",\"Records\":[";
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const PutOutcome& o = outcomes[i];
    if (i) out += ',';
    if (o.error_code.empty()) {
      out += "{\"SequenceNumber\":";
      aws::AppendJsonString(out, o.sequence_number);
      out += ",\"ShardId\":";
      aws::AppendJsonString(out, o.shard_id);
    } else {
      out += "{\"ErrorCode\":";
      aws::AppendJsonString(out, o.error_code);
      out += ",\"ErrorMessage\":";
      aws::AppendJsonString(out, o.error_message);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

Json PutRecordsResultDocument(std::span<const PutOutcome> outcomes,
                              std::string_view encryption_type) {
  int failed = 0;
  Json list = Json::array();
  for (const PutOutcome& o : outcomes) {
    if (o.error_code.empty()) {
      list.push_back(Json{{"SequenceNumber", o.sequence_number}, {"ShardId", o.shard_id}});
    } else {
      ++failed;
      list.push_back(Json{{"ErrorCode", o.error_code}, {"ErrorMessage", o.error_message}});
    }
  }
  return Json{{"FailedRecordCount", failed},
              {"Records", std::move(list)},
              {"EncryptionType", std::string(encryption_type)}};
}

}  // namespace tarn::kinesis
