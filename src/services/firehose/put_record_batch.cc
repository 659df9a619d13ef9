#include "services/firehose/put_record_batch.h"

#include "aws/json_reader.h"
#include "common/encoding.h"
#include "services/firehose/firehose_api.h"
#include "services/firehose/firehose_validate.h"

namespace tarn::firehose {

namespace {

// One element of Records: {"Data": "<base64>"} and nothing else.
bool DecodeRecordFast(aws::JsonReader& r, PutBatchRequest* out, size_t* total) {
  if (!r.EnterObject()) return false;
  std::string_view name, value;
  bool have_data = false;
  PutBatchRequest::Slot slot;
  while (r.NextMember(&name)) {
    if (name != "Data" || have_data) return false;
    if (r.Peek() != aws::JsonReader::Kind::kString || !r.ReadString(&value)) return false;
    have_data = true;
    slot.at = out->bytes.size();
    if (!Base64DecodeAppend(value, &out->bytes)) return false;
    slot.size = out->bytes.size() - slot.at;
  }
  if (r.failed() || !have_data || slot.size > kMaxRecordBytes) return false;
  *total += slot.size;
  out->slots.push_back(slot);
  return true;
}

}  // namespace

std::vector<std::string_view> PutBatchRequest::Records() const {
  std::vector<std::string_view> out;
  out.reserve(slots.size());
  const std::string_view all(bytes);
  for (const Slot& s : slots) out.push_back(all.substr(s.at, s.size));
  return out;
}

std::optional<PutBatchRequest> DecodePutRecordBatchFast(std::string_view body) {
  aws::JsonReader r(body);
  PutBatchRequest out;
  // Decoded data is shorter than its base64 text: one allocation holds all.
  out.bytes.reserve(body.size());
  bool have_name = false, have_records = false;
  size_t total = 0;
  std::string_view name, value;
  if (!r.EnterObject()) return std::nullopt;
  while (r.NextMember(&name)) {
    if (name == "DeliveryStreamName" && !have_name) {
      if (r.Peek() != aws::JsonReader::Kind::kString || !r.ReadString(&value)) return std::nullopt;
      if (value.empty() || value.size() > 64 || !IsStreamName(value)) return std::nullopt;
      have_name = true;
      out.stream_name = value;
    } else if (name == "Records" && !have_records) {
      have_records = true;
      if (!r.EnterArray()) return std::nullopt;
      while (r.NextElement()) {
        if (out.slots.size() == kMaxBatchRecords) return std::nullopt;
        if (!DecodeRecordFast(r, &out, &total)) return std::nullopt;
      }
      if (r.failed() || out.slots.empty()) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (!have_name || !have_records || !r.AtEnd() || total > kMaxBatchBytes) return std::nullopt;
  return out;
}

std::string EncodePutRecordBatchResult(std::span<const std::string> record_ids, bool encrypted) {
  std::string out;
  out.reserve(64 + record_ids.size() * 48);
  out += encrypted ? "{\"Encrypted\":true" : "{\"Encrypted\":false";
  out += ",\"FailedPutCount\":0,\"RequestResponses\":[";
  for (size_t i = 0; i < record_ids.size(); ++i) {
    if (i) out += ',';
    // Record ids are hex: nothing to escape.
    out += "{\"RecordId\":\"";
    out += record_ids[i];
    out += "\"}";
  }
  out += "]}";
  return out;
}

}  // namespace tarn::firehose
