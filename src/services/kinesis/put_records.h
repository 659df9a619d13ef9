// PutRecords (and PutRecord) requests and PutRecords responses, decoded and
// encoded apart from KinesisApi because they are the data path's hot spot.
//
// A request is read one of two ways, with the same result:
//   - DecodePutRecordsFast reads the JSON body directly (aws::JsonReader),
//     base64-decoding each record's data into one buffer. It takes only the
//     common, valid form: the members botocore and the SDKs send, no nulls,
//     no duplicates, every value within the model's limits. Anything else
//     is nullopt, and the caller takes the document path.
//   - ParsePutRecords / ParsePutRecord validate a decoded document and
//     report what is wrong the way AWS's front end does.
// json_protocol_fuzz checks that whatever the fast path accepts, the
// document path accepts with the same stream and records.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_protocol.h"
#include "common/status.h"
#include "services/kinesis/hash_key.h"
#include "services/kinesis/kinesis_types.h"

namespace tarn::kinesis {

inline constexpr size_t kMaxPutRecords = 500;
inline constexpr size_t kMaxRecordBytes = 1u << 20;      // data + partition key
inline constexpr size_t kMaxPutRecordsBytes = 5u << 20;  // all data + keys of a request

struct PutRecordsRequest {
  std::string stream_name;  // as given, "" when absent
  std::string stream_arn;

  // The records' partition keys and data, back to back.
  std::string bytes;
  struct Slot {
    size_t key_at = 0, key_size = 0;
    size_t data_at = 0, data_size = 0;
    std::optional<HashKey> explicit_hash_key;
  };
  std::vector<Slot> slots;

  // The records as the service takes them: views into `bytes`, valid while
  // this request lives unchanged.
  std::vector<PutEntry> Entries() const;
};

// The fast path: nullopt unless body is the common, valid form (above).
std::optional<PutRecordsRequest> DecodePutRecordsFast(std::string_view body);

// The document path. ValidationException / SerializationException /
// InvalidArgumentException as AWS answers them.
Result<PutRecordsRequest> ParsePutRecords(const aws::Json& document);
// PutRecord: the request is its one record (SequenceNumberForOrdering is
// validated and otherwise ignored: order is per shard anyway).
Result<PutRecordsRequest> ParsePutRecord(const aws::Json& document);

// PutRecords' JSON response, written directly. Byte for byte what
// aws::EncodeJsonBody makes of the same document (members in sorted order).
std::string EncodePutRecordsResult(std::span<const PutOutcome> outcomes,
                                   std::string_view encryption_type);
// The same response as a document, for the CBOR wire.
aws::Json PutRecordsResultDocument(std::span<const PutOutcome> outcomes,
                                   std::string_view encryption_type);

}  // namespace tarn::kinesis
