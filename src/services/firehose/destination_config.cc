#include "services/firehose/destination_config.h"

#include <set>

#include "common/encoding.h"

namespace tarn::firehose {

namespace {

const StrRule kLogGroupRule{false, 0, 512};
const StrRule kLogStreamRule{false, 0, 512};
const StrRule kNonEmptyNoSpace{false, 1, 1024, {IsNoWhitespace, "^\\S+$"}};
const StrRule kKmsKeyArnRule{true, 1, 512, kKmsKeyArnPattern};

// --- Model checks -------------------------------------------------------------

void CheckBufferingHints(Checker& c) {
  const Json* v = c.Struct("BufferingHints", false);
  if (!v) return;
  Checker sub(*v, c.Path("BufferingHints"));
  sub.Int("SizeInMBs", false, 1, 128);
  // The current model allows 0 ("zero buffering"); older ones said 60.
  sub.Int("IntervalInSeconds", false, 0, 900);
  c.Absorb("BufferingHints", sub);
}

void CheckEncryption(Checker& c) {
  const Json* v = c.Struct("EncryptionConfiguration", false);
  if (!v) return;
  Checker sub(*v, c.Path("EncryptionConfiguration"));
  sub.Str("NoEncryptionConfig", StrRule{false, 0, SIZE_MAX, {}, {"NoEncryption"}});
  if (const Json* kms = sub.Struct("KMSEncryptionConfig", false)) {
    Checker k(*kms, sub.Path("KMSEncryptionConfig"));
    k.Str("AWSKMSKeyARN", kKmsKeyArnRule);
    sub.Absorb("KMSEncryptionConfig", k);
  }
  c.Absorb("EncryptionConfiguration", sub);
}

void CheckLogging(Checker& c) {
  const Json* v = c.Struct("CloudWatchLoggingOptions", false);
  if (!v) return;
  Checker sub(*v, c.Path("CloudWatchLoggingOptions"));
  sub.Bool("Enabled");
  sub.Str("LogGroupName", kLogGroupRule);
  sub.Str("LogStreamName", kLogStreamRule);
  c.Absorb("CloudWatchLoggingOptions", sub);
}

void CheckProcessing(Checker& c) {
  const Json* v = c.Struct("ProcessingConfiguration", false);
  if (!v) return;
  Checker sub(*v, c.Path("ProcessingConfiguration"));
  sub.Bool("Enabled");
  sub.out()["Processors"] = Json::array();
  if (const Json* list = sub.List("Processors", false, 0)) {
    for (size_t i = 0; i < list->size(); ++i) {
      Checker p((*list)[i], sub.ElementPath("Processors", i));
      p.Str("Type", StrRule{true, 0, SIZE_MAX, {},
                            {"RecordDeAggregation", "Decompression", "CloudWatchLogProcessing",
                             "Lambda", "MetadataExtraction", "AppendDelimiterToRecord"}});
      p.out()["Parameters"] = Json::array();
      if (const Json* params = p.List("Parameters", false, 0)) {
        for (size_t k = 0; k < params->size(); ++k) {
          Checker q((*params)[k], p.ElementPath("Parameters", k));
          q.Str("ParameterName",
                StrRule{true, 0, SIZE_MAX, {},
                        {"LambdaArn", "NumberOfRetries", "MetadataExtractionQuery",
                         "JsonParsingEngine", "RoleArn", "BufferSizeInMBs",
                         "BufferIntervalInSeconds", "SubRecordType", "Delimiter",
                         "CompressionFormat", "DataMessageExtraction"}});
          q.Str("ParameterValue", StrRule{true, 1, 5120, {IsNonBlank, "^(?!\\s*$).+"}});
          p.AbsorbElement("Parameters", q);
        }
      }
      sub.AbsorbElement("Processors", p);
    }
  }
  c.Absorb("ProcessingConfiguration", sub);
}

void CheckConversion(Checker& c) {
  const Json* v = c.Struct("DataFormatConversionConfiguration", false);
  if (!v) return;
  Checker sub(*v, c.Path("DataFormatConversionConfiguration"));
  sub.Bool("Enabled");
  if (const Json* schema = sub.Struct("SchemaConfiguration", false)) {
    Checker s(*schema, sub.Path("SchemaConfiguration"));
    for (const char* m : {"RoleARN", "CatalogId", "DatabaseName", "TableName", "Region", "VersionId"}) {
      s.Str(m, kNonEmptyNoSpace);
    }
    sub.Absorb("SchemaConfiguration", s);
  }
  if (const Json* input = sub.Struct("InputFormatConfiguration", false)) {
    Checker in(*input, sub.Path("InputFormatConfiguration"));
    if (const Json* d = in.Struct("Deserializer", false)) {
      Checker des(*d, in.Path("Deserializer"));
      if (const Json* openx = des.Struct("OpenXJsonSerDe", false)) {
        Checker o(*openx, des.Path("OpenXJsonSerDe"));
        o.Bool("ConvertDotsInJsonKeysToUnderscores");
        o.Bool("CaseInsensitive");
        o.StrMap("ColumnToJsonKeyMappings", StrRule{false, 1, 1024, {IsNoWhitespace, "^\\S+$"}},
                 StrRule{false, 1, 1024});
        des.Absorb("OpenXJsonSerDe", o);
      }
      if (const Json* hive = des.Struct("HiveJsonSerDe", false)) {
        Checker h(*hive, des.Path("HiveJsonSerDe"));
        h.StrList("TimestampFormats", false, 0, SIZE_MAX, StrRule{false, 1, 1024});
        des.Absorb("HiveJsonSerDe", h);
      }
      in.Absorb("Deserializer", des);
    }
    sub.Absorb("InputFormatConfiguration", in);
  }
  if (const Json* output = sub.Struct("OutputFormatConfiguration", false)) {
    Checker out(*output, sub.Path("OutputFormatConfiguration"));
    if (const Json* s = out.Struct("Serializer", false)) {
      Checker ser(*s, out.Path("Serializer"));
      if (const Json* parquet = ser.Struct("ParquetSerDe", false)) {
        Checker p(*parquet, ser.Path("ParquetSerDe"));
        p.Int("BlockSizeBytes", false, 67108864);
        p.Int("PageSizeBytes", false, 65536);
        p.Str("Compression",
              StrRule{false, 0, SIZE_MAX, {}, {"UNCOMPRESSED", "GZIP", "SNAPPY"}});
        p.Bool("EnableDictionaryCompression");
        p.Int("MaxPaddingBytes", false, 0);
        p.Str("WriterVersion", StrRule{false, 0, SIZE_MAX, {}, {"V1", "V2"}});
        ser.Absorb("ParquetSerDe", p);
      }
      if (const Json* orc = ser.Struct("OrcSerDe", false)) {
        // Kept as sent: CompileDestination refuses ORC by name.
        ser.out()["OrcSerDe"] = *orc;
      }
      out.Absorb("Serializer", ser);
    }
    sub.Absorb("OutputFormatConfiguration", out);
  }
  c.Absorb("DataFormatConversionConfiguration", sub);
}

void CheckDynamicPartitioning(Checker& c) {
  const Json* v = c.Struct("DynamicPartitioningConfiguration", false);
  if (!v) return;
  Checker sub(*v, c.Path("DynamicPartitioningConfiguration"));
  sub.Bool("Enabled");
  if (const Json* retry = sub.Struct("RetryOptions", false)) {
    Checker r(*retry, sub.Path("RetryOptions"));
    r.Int("DurationInSeconds", false, 0, 7200);
    sub.Absorb("RetryOptions", r);
  }
  c.Absorb("DynamicPartitioningConfiguration", sub);
}

// --- Compilation ----------------------------------------------------------------

const Json* Member(const Json& j, std::string_view name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string StrOf(const Json& j, std::string_view name) {
  const Json* v = Member(j, name);
  return v && v->is_string() ? v->get<std::string>() : "";
}

std::optional<bool> BoolOf(const Json& j, std::string_view name) {
  const Json* v = Member(j, name);
  if (!v || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

Status Refuse(std::string field, std::string why) {
  return InvalidArg(field + ": " + why);
}

// The processor parameters by name; InvalidArgument for a name used twice.
Result<std::map<std::string, std::string>> ParamsOf(const Json& processor, const std::string& path) {
  std::map<std::string, std::string> out;
  if (const Json* params = Member(processor, "Parameters")) {
    for (const Json& p : *params) {
      std::string name = StrOf(p, "ParameterName");
      if (!out.emplace(name, StrOf(p, "ParameterValue")).second) {
        return Refuse(path + ".Parameters", "parameter " + name + " is given twice");
      }
    }
  }
  return out;
}

Status CheckOnly(const std::map<std::string, std::string>& params,
                 std::initializer_list<std::string_view> allowed, const std::string& path,
                 const std::string& type) {
  for (const auto& [name, value] : params) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || name == a;
    if (!ok) return Refuse(path + ".Parameters", "parameter " + name + " does not apply to a " + type + " processor");
  }
  return Status::OK();
}

Result<std::string> DecodeDelimiter(const std::string& value, const std::string& path) {
  std::optional<std::string> bytes = Base64Decode(value);
  if (!bytes || bytes->empty()) {
    return Refuse(path, "Delimiter must be a non-empty base64-encoded string (\"####\" is \"IyMjIw==\")");
  }
  return *bytes;
}

Status CompileProcessors(const Json& stored, DestinationSettings& s, const std::string& base) {
  const Json* pc = Member(stored, "ProcessingConfiguration");
  if (!pc) return Status::OK();
  const Json* list = Member(*pc, "Processors");
  bool any = list && !list->empty();
  // Processors without an explicit Enabled are taken as meant.
  if (!BoolOf(*pc, "Enabled").value_or(any) || !any) return Status::OK();
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& p = (*list)[i];
    std::string path = base + ".ProcessingConfiguration.Processors." + std::to_string(i + 1);
    std::string type = StrOf(p, "Type");
    if (!seen.insert(type).second) return Refuse(path, "only one " + type + " processor is allowed");
    TARN_ASSIGN_OR_RETURN(auto params, ParamsOf(p, path));
    if (type == "Lambda") {
      return Refuse(path, "Lambda processors are not supported by tarn (no Lambda service to invoke)");
    }
    if (type == "Decompression" || type == "CloudWatchLogProcessing") {
      return Refuse(path, type + " processors are not supported by tarn");
    }
    if (type == "MetadataExtraction") {
      TARN_RETURN_IF_ERROR(CheckOnly(params, {"MetadataExtractionQuery", "JsonParsingEngine"}, path, type));
      auto engine = params.find("JsonParsingEngine");
      if (engine != params.end() && engine->second != "JQ-1.6") {
        return Refuse(path + ".Parameters", "JsonParsingEngine must be JQ-1.6, not " + engine->second);
      }
      auto q = params.find("MetadataExtractionQuery");
      if (q == params.end()) return Refuse(path + ".Parameters", "MetadataExtractionQuery is required");
      Result<MetadataExtractionQuery> query = MetadataExtractionQuery::Parse(q->second);
      if (!query.ok()) return Refuse(path + ".Parameters.MetadataExtractionQuery", query.status().message());
      s.query = std::move(*query);
    } else if (type == "RecordDeAggregation") {
      TARN_RETURN_IF_ERROR(CheckOnly(params, {"SubRecordType", "Delimiter"}, path, type));
      Deaggregation d;
      auto t = params.find("SubRecordType");
      std::string sub_type = t == params.end() ? "" : t->second;
      Result<SubRecordType> parsed = ParseSubRecordType(sub_type);
      if (!parsed.ok()) {
        return Refuse(path + ".Parameters.SubRecordType", "must be JSON or DELIMITED, not '" + sub_type + "'");
      }
      d.type = *parsed;
      auto delim = params.find("Delimiter");
      if (d.type == SubRecordType::kJson && delim != params.end()) {
        return Refuse(path + ".Parameters", "Delimiter applies to SubRecordType DELIMITED only");
      }
      if (d.type == SubRecordType::kDelimited) {
        if (delim == params.end()) return Refuse(path + ".Parameters", "SubRecordType DELIMITED needs a Delimiter");
        TARN_ASSIGN_OR_RETURN(d.delimiter, DecodeDelimiter(delim->second, path + ".Parameters.Delimiter"));
      }
      s.deaggregation = std::move(d);
    } else if (type == "AppendDelimiterToRecord") {
      TARN_RETURN_IF_ERROR(CheckOnly(params, {"Delimiter"}, path, type));
      auto delim = params.find("Delimiter");
      if (delim == params.end()) {
        s.record_delimiter = "\n";
      } else {
        TARN_ASSIGN_OR_RETURN(s.record_delimiter, DecodeDelimiter(delim->second, path + ".Parameters.Delimiter"));
      }
    }
  }
  return Status::OK();
}

Status CompileConversion(const Json& stored, DestinationSettings& s, const std::string& base,
                         const CompileOptions& options) {
  const Json* dfc = Member(stored, "DataFormatConversionConfiguration");
  if (!dfc || !BoolOf(*dfc, "Enabled").value_or(true)) return Status::OK();
  std::string path = base + ".DataFormatConversionConfiguration";
  if (!options.conversion_available) {
    return Refuse(path, "record format conversion is not available on this server yet");
  }
  ConversionSettings conv;
  const Json* schema = Member(*dfc, "SchemaConfiguration");
  if (!schema) return Refuse(path + ".SchemaConfiguration", "is required to convert records");
  conv.table.database = StrOf(*schema, "DatabaseName");
  conv.table.table = StrOf(*schema, "TableName");
  conv.table.catalog_id = StrOf(*schema, "CatalogId");
  conv.table.region = StrOf(*schema, "Region");
  conv.table.version_id = StrOf(*schema, "VersionId");
  if (conv.table.database.empty()) return Refuse(path + ".SchemaConfiguration.DatabaseName", "is required");
  if (conv.table.table.empty()) return Refuse(path + ".SchemaConfiguration.TableName", "is required");
  if (!conv.table.version_id.empty() && conv.table.version_id != "LATEST" &&
      !IsVersionId(conv.table.version_id)) {
    return Refuse(path + ".SchemaConfiguration.VersionId", "must be LATEST or a table version number");
  }

  const Json* des = Member(*dfc, "InputFormatConfiguration");
  des = des ? Member(*des, "Deserializer") : nullptr;
  const Json* openx = des ? Member(*des, "OpenXJsonSerDe") : nullptr;
  const Json* hive = des ? Member(*des, "HiveJsonSerDe") : nullptr;
  if ((openx != nullptr) == (hive != nullptr)) {
    return Refuse(path + ".InputFormatConfiguration.Deserializer",
                  "exactly one of OpenXJsonSerDe and HiveJsonSerDe is required");
  }
  if (openx) {
    if (BoolOf(*openx, "ConvertDotsInJsonKeysToUnderscores").value_or(false)) {
      return Refuse(path + ".InputFormatConfiguration.Deserializer.OpenXJsonSerDe.ConvertDotsInJsonKeysToUnderscores",
                    "is not supported by tarn");
    }
    conv.spec.case_insensitive = BoolOf(*openx, "CaseInsensitive").value_or(true);
    if (const Json* m = Member(*openx, "ColumnToJsonKeyMappings")) {
      for (auto it = m->begin(); it != m->end(); ++it) {
        conv.spec.column_to_json_key.emplace_back(it.key(), it.value().get<std::string>());
      }
    }
  } else {
    if (const Json* formats = Member(*hive, "TimestampFormats")) {
      for (const Json& f : *formats) conv.spec.timestamp_formats.push_back(f.get<std::string>());
    }
  }

  const Json* ser = Member(*dfc, "OutputFormatConfiguration");
  ser = ser ? Member(*ser, "Serializer") : nullptr;
  const Json* parquet = ser ? Member(*ser, "ParquetSerDe") : nullptr;
  const Json* orc = ser ? Member(*ser, "OrcSerDe") : nullptr;
  if (orc) {
    return Refuse(path + ".OutputFormatConfiguration.Serializer.OrcSerDe",
                  "ORC output is not supported by tarn; use ParquetSerDe");
  }
  if (!parquet) {
    return Refuse(path + ".OutputFormatConfiguration.Serializer", "ParquetSerDe is required");
  }
  conv.spec.output_format = "PARQUET";
  std::string pc = StrOf(*parquet, "Compression");
  conv.spec.compression = pc.empty() ? "SNAPPY" : pc;

  if (s.compression != Compression::kUncompressed) {
    return Refuse(base + ".CompressionFormat",
                  "must be UNCOMPRESSED when record format conversion is enabled (Parquet "
                  "compresses its own pages: set ParquetSerDe.Compression)");
  }
  s.conversion = std::move(conv);
  return Status::OK();
}

}  // namespace

void CheckS3Destination(Checker& c, bool update) {
  StrRule role = kRoleArnRule;
  StrRule bucket = kBucketArnRule;
  role.required = bucket.required = !update;
  c.Str("RoleARN", role);
  c.Str("BucketARN", bucket);
  c.Str("Prefix", kPrefixRule);
  c.Str("ErrorOutputPrefix", kPrefixRule);
  CheckBufferingHints(c);
  c.Str("CompressionFormat", StrRule{false, 0, SIZE_MAX, {},
                                     {"UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"}});
  CheckEncryption(c);
  CheckLogging(c);
}

void CheckExtendedS3Destination(Checker& c, bool update) {
  CheckS3Destination(c, update);
  CheckProcessing(c);
  c.Str("S3BackupMode", StrRule{false, 0, SIZE_MAX, {}, {"Disabled", "Enabled"}});
  const char* backup = update ? "S3BackupUpdate" : "S3BackupConfiguration";
  if (const Json* b = c.Struct(backup, false)) {
    Checker sub(*b, c.Path(backup));
    CheckS3Destination(sub, update);
    c.Absorb(backup, sub);
  }
  CheckConversion(c);
  CheckDynamicPartitioning(c);
  c.Str("FileExtension", StrRule{false, 0, 128, {IsFileExtension, "^$|\\.[0-9a-z!\\-_.*'()]+"}});
  c.Str("CustomTimeZone", StrRule{false, 0, 50, {IsTimeZone, "^$|[a-zA-Z/_]+"}});
}

Json MergeDestinationUpdate(const Json& stored, const Json& update) {
  Json patch = update;
  if (patch.contains("S3BackupUpdate")) {
    patch["S3BackupConfiguration"] = patch["S3BackupUpdate"];
    patch.erase("S3BackupUpdate");
  }
  Json merged = stored;
  // JSON merge patch: objects merge member by member, anything else
  // (lists included) replaces.
  merged.merge_patch(patch);
  return merged;
}

Json DescribeDestination(const Json& stored) {
  Json ext = stored;
  Json hints = Member(stored, "BufferingHints") ? stored["BufferingHints"] : Json::object();
  if (!hints.contains("SizeInMBs")) hints["SizeInMBs"] = kDefaultBufferSizeMiB;
  if (!hints.contains("IntervalInSeconds")) hints["IntervalInSeconds"] = kDefaultBufferIntervalSeconds;
  ext["BufferingHints"] = hints;
  if (!ext.contains("CompressionFormat")) ext["CompressionFormat"] = "UNCOMPRESSED";
  if (!ext.contains("EncryptionConfiguration")) {
    ext["EncryptionConfiguration"] = Json{{"NoEncryptionConfig", "NoEncryption"}};
  }
  if (!ext.contains("CloudWatchLoggingOptions")) {
    ext["CloudWatchLoggingOptions"] = Json{{"Enabled", false}};
  }
  if (!ext.contains("S3BackupMode")) ext["S3BackupMode"] = "Disabled";
  if (ext.contains("S3BackupConfiguration")) {
    ext["S3BackupDescription"] = ext["S3BackupConfiguration"];
    ext.erase("S3BackupConfiguration");
  }
  Json plain = Json::object();
  for (const char* m : {"RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints",
                        "CompressionFormat", "EncryptionConfiguration", "CloudWatchLoggingOptions"}) {
    if (ext.contains(m)) plain[m] = ext[m];
  }
  return Json{{"DestinationId", kDestinationId},
              {"S3DestinationDescription", std::move(plain)},
              {"ExtendedS3DestinationDescription", std::move(ext)}};
}

Result<std::string> BucketFromArn(std::string_view arn) {
  // arn:<partition>:s3:::<bucket>
  size_t p = arn.substr(0, 4) == "arn:" ? arn.find(':', 4) : std::string_view::npos;
  std::string_view bucket;
  if (p != std::string_view::npos && arn.substr(p, 6) == ":s3:::") bucket = arn.substr(p + 6);
  if (bucket.empty() || bucket.find('/') != std::string_view::npos) {
    return InvalidArg("BucketARN " + std::string(arn) +
                      " is not an S3 bucket ARN (arn:aws:s3:::<bucket>)");
  }
  return std::string(bucket);
}

Result<std::shared_ptr<const DestinationSettings>> CompileDestination(const Json& stored,
                                                                      const CompileOptions& options) {
  const std::string base = "ExtendedS3DestinationConfiguration";
  auto s = std::make_shared<DestinationSettings>();
  TARN_ASSIGN_OR_RETURN(s->bucket, BucketFromArn(StrOf(stored, "BucketARN")));

  if (const Json* hints = Member(stored, "BufferingHints")) {
    if (const Json* size = Member(*hints, "SizeInMBs")) {
      s->buffer_bytes = static_cast<uint64_t>(size->get<int64_t>()) << 20;
    }
    if (const Json* interval = Member(*hints, "IntervalInSeconds")) {
      s->buffer_interval_ms = interval->get<int64_t>() * 1000;
    }
  }
  std::string compression = StrOf(stored, "CompressionFormat");
  if (!compression.empty()) {
    Result<Compression> c = ParseCompression(compression);
    if (!c.ok()) return Refuse(base + ".CompressionFormat", c.status().message());
    s->compression = *c;
  }

  std::string tz = StrOf(stored, "CustomTimeZone");
  if (!tz.empty() && tz != "UTC") {
    return Refuse(base + ".CustomTimeZone", "only UTC is supported by tarn, not " + tz);
  }
  if (StrOf(stored, "S3BackupMode") == "Enabled") {
    return Refuse(base + ".S3BackupMode", "S3 backup (Enabled) is not supported by tarn");
  }
  if (const Json* dp = Member(stored, "DynamicPartitioningConfiguration")) {
    s->dynamic_partitioning = BoolOf(*dp, "Enabled").value_or(false);
  }

  TARN_RETURN_IF_ERROR(CompileProcessors(stored, *s, base));
  if (s->query && !s->dynamic_partitioning) {
    return Refuse(base + ".ProcessingConfiguration",
                  "a MetadataExtraction processor needs DynamicPartitioningConfiguration.Enabled");
  }
  if (s->dynamic_partitioning && !s->query) {
    return Refuse(base + ".DynamicPartitioningConfiguration",
                  "dynamic partitioning needs a MetadataExtraction processor (tarn runs no "
                  "Lambda to supply partition keys)");
  }

  std::string prefix_text = StrOf(stored, "Prefix");
  std::string error_text = StrOf(stored, "ErrorOutputPrefix");
  Result<PrefixTemplate> prefix = PrefixTemplate::Parse(prefix_text, PrefixKind::kPrefix);
  if (!prefix.ok()) return Refuse(base + ".Prefix", prefix.status().message());
  std::optional<PrefixTemplate> error_prefix;
  if (!error_text.empty()) {
    Result<PrefixTemplate> e = PrefixTemplate::Parse(error_text, PrefixKind::kErrorOutputPrefix);
    if (!e.ok()) return Refuse(base + ".ErrorOutputPrefix", e.status().message());
    error_prefix = std::move(*e);
  }
  Status pair = PrefixTemplate::ValidatePair(*prefix, error_prefix ? &*error_prefix : nullptr,
                                             s->dynamic_partitioning);
  if (!pair.ok()) return Refuse(base + ".Prefix", pair.message());
  if (!error_prefix) {
    // The Prefix's own text stands in (ValidatePair made sure it is static).
    Result<PrefixTemplate> e = PrefixTemplate::Parse(prefix_text, PrefixKind::kErrorOutputPrefix);
    if (!e.ok()) return Refuse(base + ".Prefix", e.status().message());
    error_prefix = std::move(*e);
  }
  if (!prefix->LambdaKeys().empty()) {
    return Refuse(base + ".Prefix",
                  "!{partitionKeyFromLambda:...} needs a Lambda processor, which tarn does not run");
  }
  if (s->query) {
    for (const std::string& key : prefix->QueryKeys()) {
      bool found = false;
      for (const std::string& k : s->query->Keys()) found = found || k == key;
      if (!found) {
        return Refuse(base + ".Prefix", "!{partitionKeyFromQuery:" + key +
                                            "} names a key the MetadataExtractionQuery does not build");
      }
    }
  }
  s->prefix = std::move(*prefix);
  s->error_prefix = std::move(*error_prefix);

  TARN_RETURN_IF_ERROR(CompileConversion(stored, *s, base, options));

  std::string ext = StrOf(stored, "FileExtension");
  if (!ext.empty()) {
    s->extension = ext;
  } else if (s->conversion) {
    s->extension = ".parquet";
  } else {
    s->extension = std::string(FileExtension(s->compression));
  }
  return std::shared_ptr<const DestinationSettings>(std::move(s));
}

}  // namespace tarn::firehose
