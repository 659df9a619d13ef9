// PutRecordBatch on the JSON wire, decoded and encoded apart from
// FirehoseApi because it is the data path's hot spot: a 4 MiB batch as an
// nlohmann document costs a node and a string per record before any work.
//
// DecodePutRecordBatchFast reads the body directly (aws::JsonReader),
// base64-decoding every record into one buffer. It takes only the common,
// valid form (the members the SDKs send, no nulls or duplicates, every value
// within the model's limits, at most 4 MiB of data); anything else is
// nullopt and the caller takes the document path, which says what is wrong
// the way AWS does. The two paths accept the same requests with the same
// records (put_record_batch_test checks it).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tarn::firehose {

struct PutBatchRequest {
  std::string stream_name;
  // The records' data, back to back, and where each one is.
  std::string bytes;
  struct Slot {
    size_t at = 0, size = 0;
  };
  std::vector<Slot> slots;

  // Views into `bytes`, valid while this request lives unchanged.
  std::vector<std::string_view> Records() const;
};

std::optional<PutBatchRequest> DecodePutRecordBatchFast(std::string_view body);

// The response, written directly: byte for byte what aws::EncodeJsonBody
// makes of the same document (members in sorted order).
std::string EncodePutRecordBatchResult(std::span<const std::string> record_ids, bool encrypted);

}  // namespace tarn::firehose
