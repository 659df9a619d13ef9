#include "services/firehose/object_builder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "common/encoding.h"

namespace tarn::firehose {

namespace {

using Json = nlohmann::json;

// Records of one object: indices into the batch's records.
struct Group {
  const PartitionKeys* keys = nullptr;
  std::vector<size_t> records;
  int64_t oldest_ms = INT64_MAX;
};

Result<std::string> Wrap(std::string body, const BuildContext& c,
                         Compression compression) {
  if (compression == Compression::kUncompressed) return body;
  // A zip archive's one entry is named like the object's uuid, as Firehose does.
  return Compress(compression, body, c.new_uuid());
}

std::string NameObject(const BuildContext& c, const std::string& prefix, std::string_view extension) {
  return prefix + ObjectName(c.stream_name, static_cast<int>(c.version), c.now_ms, c.new_uuid(),
                             extension);
}

}  // namespace

std::string ErrorDocument(const FailedRecord& f, int64_t now_ms, const DestinationSettings& s) {
  Json j = Json::object();
  j["attemptsMade"] = 1;
  j["arrivalTimestamp"] = f.arrival_ms;
  // Format-conversion errors spell these two capitalized; the others do not
  // (both as Firehose's documentation shows them).
  const bool conversion = f.type == ErrorOutputType::kFormatConversionFailed;
  j[conversion ? "ErrorCode" : "errorCode"] = f.error_code;
  j[conversion ? "ErrorMessage" : "errorMessage"] = f.error_message;
  j["attemptEndingTimestamp"] = now_ms;
  j["rawData"] = Base64Encode(f.raw);
  if (!f.sequence_number.empty()) {
    j["sequenceNumber"] = f.sequence_number;
    if (f.sub_sequence >= 0) j["subSequenceNumber"] = f.sub_sequence;
  }
  if (conversion && s.conversion) {
    const TableSchemas::TableRef& t = s.conversion->table;
    j["dataCatalogTable"] = Json{{"catalogId", t.catalog_id},
                                 {"databaseName", t.database},
                                 {"tableName", t.table},
                                 {"region", t.region},
                                 {"versionId", t.version_id.empty() ? "LATEST" : t.version_id}};
  }
  return j.dump();
}

Result<std::vector<OutputObject>> BuildObjects(ProcessedBatch batch, const BuildContext& c) {
  const DestinationSettings& s = *c.settings;
  std::vector<OutputObject> out;

  // Group by partition keys, groups in order of first appearance.
  std::vector<Group> groups;
  std::map<PartitionKeys, size_t> by_keys;
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const ProcessedRecord& r = batch.records[i];
    auto [it, fresh] = by_keys.emplace(r.keys, groups.size());
    if (fresh) {
      groups.emplace_back();
      groups.back().keys = &it->first;
    }
    Group& g = groups[it->second];
    g.records.push_back(i);
    g.oldest_ms = std::min(g.oldest_ms, r.arrival_ms);
  }

  for (const Group& g : groups) {
    PrefixTemplate::Values values;
    values.arrival_ms = g.oldest_ms;
    if (s.dynamic_partitioning) values.query_keys = g.keys;
    Result<std::string> prefix = s.prefix->Render(values);
    if (!prefix.ok()) {
      for (size_t i : g.records) {
        ProcessedRecord& r = batch.records[i];
        FailedRecord f;
        f.type = ErrorOutputType::kPartitioningFailed;
        f.error_code = "DynamicPartitioning.PartitionKeyEvaluationFailed";
        f.error_message = prefix.status().message();
        f.raw = std::move(r.data);
        f.arrival_ms = r.arrival_ms;
        batch.failed.push_back(std::move(f));
      }
      continue;
    }

    OutputObject obj;
    if (s.conversion) {
      if (c.converters == nullptr || c.spec == nullptr) {
        return Internal("format conversion configured but no converter or schema given");
      }
      TARN_ASSIGN_OR_RETURN(std::unique_ptr<RecordConverter> conv, c.converters->Make(*c.spec));
      for (size_t i : g.records) {
        ProcessedRecord& r = batch.records[i];
        Status st = conv->Add(r.data);
        if (st.ok()) continue;
        FailedRecord f;
        f.type = ErrorOutputType::kFormatConversionFailed;
        f.error_code = "DataFormatConversion.MalformedData";
        f.error_message = st.message();
        f.raw = std::move(r.data);
        f.arrival_ms = r.arrival_ms;
        batch.failed.push_back(std::move(f));
      }
      obj.records = conv->records();
      if (obj.records == 0) continue;
      TARN_ASSIGN_OR_RETURN(obj.body, conv->Finish());
      // Parquet compresses its own pages; CompressionFormat is UNCOMPRESSED.
    } else {
      size_t total = 0;
      for (size_t i : g.records) total += batch.records[i].data.size();
      std::string body;
      body.reserve(total);
      for (size_t i : g.records) body += batch.records[i].data;
      obj.records = g.records.size();
      TARN_ASSIGN_OR_RETURN(obj.body, Wrap(std::move(body), c, s.compression));
      obj.content_encoding = std::string(ContentEncoding(s.compression));
    }
    obj.key = NameObject(c, *prefix, s.extension);
    out.push_back(std::move(obj));
  }

  // Failed records: one object per error type, JSON lines.
  std::map<ErrorOutputType, std::vector<const FailedRecord*>> by_type;
  for (const FailedRecord& f : batch.failed) by_type[f.type].push_back(&f);
  // Converted streams deliver errors uncompressed (their CompressionFormat
  // is UNCOMPRESSED anyway); the others in their CompressionFormat.
  Compression ec = s.compression;
  for (const auto& [type, list] : by_type) {
    PrefixTemplate::Values values;
    values.arrival_ms = INT64_MAX;
    for (const FailedRecord* f : list) values.arrival_ms = std::min(values.arrival_ms, f->arrival_ms);
    values.error_output_type = type;
    Result<std::string> prefix = s.error_prefix->Render(values);
    // An error prefix holds no partition keys, so it always evaluates; should
    // it not, the records still land, under the bare error type.
    std::string where = prefix.ok() ? *prefix : std::string(ErrorOutputTypeName(type)) + "/";
    std::string body;
    for (const FailedRecord* f : list) {
      body += ErrorDocument(*f, c.now_ms, s);
      body += '\n';
    }
    OutputObject obj;
    obj.error = true;
    obj.records = list.size();
    TARN_ASSIGN_OR_RETURN(obj.body, Wrap(std::move(body), c, ec));
    obj.content_encoding = std::string(ContentEncoding(ec));
    obj.key = NameObject(c, where, FileExtension(ec));
    out.push_back(std::move(obj));
  }
  return out;
}

}  // namespace tarn::firehose
