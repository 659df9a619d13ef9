#include "services/firehose/record_processing.h"

#include "services/firehose/kpl_deaggregation.h"

namespace tarn::firehose {

namespace {

FailedRecord Failure(const storage::LogRecord& r, ErrorOutputType type, std::string code,
                     std::string message, int64_t sub_sequence = -1) {
  FailedRecord f;
  f.type = type;
  f.error_code = std::move(code);
  f.error_message = std::move(message);
  f.raw = r.data;
  f.arrival_ms = r.arrival_ms;
  f.sequence_number = r.explicit_hash_key;
  f.sub_sequence = sub_sequence;
  return f;
}

}  // namespace

ProcessedBatch ProcessRecords(const DestinationSettings& s, bool kinesis_source,
                              std::span<const storage::LogRecord> records) {
  ProcessedBatch out;
  out.records.reserve(records.size());
  // Format conversion reads one JSON document per record: no delimiter.
  const std::string* delimiter =
      s.record_delimiter && !s.conversion ? &*s.record_delimiter : nullptr;

  std::vector<std::string> pieces;
  std::vector<ProcessedRecord> produced;
  for (const storage::LogRecord& r : records) {
    // 1. KPL aggregation, for records read from a Kinesis stream. A record
    // without the KPL magic comes back whole; only a corrupt aggregate fails.
    pieces.clear();
    if (kinesis_source) {
      Result<std::vector<UserRecord>> users = DeaggregateKpl(r.data, r.partition_key);
      if (!users.ok()) {
        out.failed.push_back(Failure(r, ErrorOutputType::kProcessingFailed,
                                     "RecordDeAggregation.KplDeaggregationFailed",
                                     users.status().message()));
        continue;
      }
      for (UserRecord& u : *users) pieces.push_back(std::move(u.data));
    } else {
      pieces.push_back(r.data);
    }

    // 2. RecordDeAggregation: JSON or DELIMITED sub-records.
    if (s.deaggregation) {
      std::vector<std::string> split;
      Status failed;
      for (const std::string& p : pieces) {
        Result<std::vector<std::string>> subs =
            SplitSubRecords(p, s.deaggregation->type, s.deaggregation->delimiter);
        if (!subs.ok()) {
          failed = subs.status();
          break;
        }
        for (std::string& sub : *subs) split.push_back(std::move(sub));
      }
      if (!failed.ok()) {
        out.failed.push_back(Failure(r, ErrorOutputType::kProcessingFailed,
                                     "RecordDeAggregation.ParseFailed", failed.message()));
        continue;
      }
      pieces = std::move(split);
    }

    // 3. MetadataExtraction, 4. AppendDelimiterToRecord. A record is
    // delivered whole or failed whole: one bad sub-record sends the original
    // record to the error prefix, once.
    produced.clear();
    Status failed;
    int64_t failed_index = -1;
    for (size_t i = 0; i < pieces.size(); ++i) {
      ProcessedRecord p;
      p.arrival_ms = r.arrival_ms;
      if (s.query) {
        Result<PartitionKeys> keys = s.query->Evaluate(pieces[i]);
        if (!keys.ok()) {
          failed = keys.status();
          failed_index = static_cast<int64_t>(i);
          break;
        }
        p.keys = std::move(*keys);
      }
      p.data = std::move(pieces[i]);
      if (delimiter) p.data += *delimiter;
      produced.push_back(std::move(p));
    }
    if (!failed.ok()) {
      out.failed.push_back(Failure(r, ErrorOutputType::kPartitioningFailed,
                                   "DynamicPartitioning.MetadataExtractionFailed", failed.message(),
                                   kinesis_source && pieces.size() > 1 ? failed_index : -1));
      continue;
    }
    for (ProcessedRecord& p : produced) out.records.push_back(std::move(p));
  }
  return out;
}

}  // namespace tarn::firehose
