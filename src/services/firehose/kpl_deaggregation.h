// Splitting one incoming record into the records it carries.
//
// KPL aggregation: what the Kinesis Producer Library puts in one Kinesis
// record, and what Firehose unpacks when its source is a Kinesis stream:
//
//   record := F3 89 9A C2  protobuf(AggregatedRecord)  md5(protobuf)[16]
//   message AggregatedRecord {
//     repeated string partition_key_table     = 1;
//     repeated string explicit_hash_key_table = 2;
//     repeated Record records                 = 3;
//   }
//   message Record {
//     required uint64 partition_key_index     = 1;
//     optional uint64 explicit_hash_key_index = 2;
//     required bytes  data                    = 3;
//     repeated Tag    tags                    = 4;  // skipped
//   }
//
// Multi-record de-aggregation (the RecordDeAggregation processor), which
// splits a record into at most 500 sub-records:
//   JSON       concatenated JSON objects: {"a":1}{"a":2} or {"a":1}\n{"a":2};
//              whitespace between them is dropped, anything else is an error
//   DELIMITED  pieces between occurrences of the Delimiter (the API's base64,
//              decoded); empty pieces are dropped
// Failures are InvalidArgument: the record goes to processing-failed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::firehose {

// One record of a producer, as put before aggregation.
struct UserRecord {
  std::string partition_key;
  std::optional<std::string> explicit_hash_key;
  std::string data;
};

// The user records in one Kinesis record, in order. A record that does not
// start with the KPL magic is not aggregated and comes back as the one user
// record it is, with the given partition key. InvalidArgument when an
// aggregated record is truncated, fails its MD5, or its protobuf is
// malformed or refers past its key tables.
Result<std::vector<UserRecord>> DeaggregateKpl(std::string_view data,
                                               std::string_view partition_key);

enum class SubRecordType { kJson, kDelimited };
// The SubRecordType processor parameter: "JSON" or "DELIMITED".
Result<SubRecordType> ParseSubRecordType(std::string_view api_value);

// The sub-records of one record. delimiter is used by kDelimited only and
// must not be empty there.
Result<std::vector<std::string>> SplitSubRecords(std::string_view data, SubRecordType type,
                                                 std::string_view delimiter);

}  // namespace tarn::firehose
