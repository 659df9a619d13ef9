#include "services/glue/crawl.h"

#include <algorithm>
#include <map>
#include <set>

#include "query/schema_inference.h"
#include "services/glue/crawl_layout.h"
#include "services/glue/glue_validate.h"

namespace tarn::glue {

namespace {

using query::DataFormat;
using query::InferredSchema;

constexpr size_t kPartitionBatch = 100;  // BatchCreatePartition's limit
constexpr char kCrawlerParameter[] = "UPDATED_BY_CRAWLER";

Status Invalid(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), "InvalidInputException");
}

// s3://bucket/prefix -> bucket, and the prefix as a folder ("" or "a/b/").
Status ParseTarget(std::string_view path, std::string* bucket, std::string* prefix) {
  std::string_view p = path;
  for (std::string_view scheme : {"s3://", "s3a://", "s3n://"}) {
    if (p.substr(0, scheme.size()) == scheme) {
      p.remove_prefix(scheme.size());
      const size_t slash = p.find('/');
      *bucket = std::string(p.substr(0, slash));
      *prefix = slash == std::string_view::npos ? "" : std::string(p.substr(slash + 1));
      if (!prefix->empty() && prefix->back() != '/') *prefix += '/';
      if (!bucket->empty()) return Status::OK();
    }
  }
  return Invalid("S3 target path '" + std::string(path) + "' is not s3://bucket/prefix");
}

// Files a crawl never catalogs: Spark's and Hadoop's markers and temporary
// folders, hidden files.
bool Hidden(std::string_view relative_key) {
  size_t start = 0;
  while (start < relative_key.size()) {
    size_t slash = relative_key.find('/', start);
    const bool last = slash == std::string_view::npos;
    std::string_view part = relative_key.substr(start, last ? std::string_view::npos : slash - start);
    if (!part.empty() && part[0] == '.') return true;
    if (last && !part.empty() && part[0] == '_') return true;
    if (part == "_temporary") return true;
    if (last) break;
    start = slash + 1;
  }
  return false;
}

std::string Folder(std::string_view key) {
  const size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(key.substr(0, slash + 1));
}

// --- Catalog documents ------------------------------------------------------------

Json StorageDescriptor(const InferredSchema& s, const std::string& location) {
  Json columns = Json::array();
  for (const query::InferredColumn& c : s.columns) {
    columns.push_back(Json{{"Name", LowerName(c.name)}, {"Type", c.type}});
  }
  Json sd = {{"Columns", std::move(columns)},
             {"Location", location},
             {"Compressed", s.gzip},
             {"NumberOfBuckets", -1},
             {"BucketColumns", Json::array()},
             {"SortColumns", Json::array()},
             {"StoredAsSubDirectories", false}};
  switch (s.format) {
    case DataFormat::kParquet:
      sd["InputFormat"] = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
      sd["OutputFormat"] = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
      sd["SerdeInfo"] = {
          {"SerializationLibrary", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
          {"Parameters", {{"serialization.format", "1"}}}};
      break;
    case DataFormat::kJson: {
      std::string paths;
      for (const query::InferredColumn& c : s.columns) paths += (paths.empty() ? "" : ",") + c.name;
      sd["InputFormat"] = "org.apache.hadoop.mapred.TextInputFormat";
      sd["OutputFormat"] = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
      sd["SerdeInfo"] = {{"SerializationLibrary", "org.openx.data.jsonserde.JsonSerDe"},
                         {"Parameters", {{"paths", paths}}}};
      break;
    }
    default:
      sd["InputFormat"] = "org.apache.hadoop.mapred.TextInputFormat";
      sd["OutputFormat"] = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
      sd["SerdeInfo"] = {{"SerializationLibrary", "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
                         {"Parameters", {{"field.delim", std::string(1, s.delimiter)}}}};
      break;
  }
  return sd;
}

Json Parameters(const TableLayout& t, const std::string& crawler) {
  const InferredSchema& s = t.schema;
  Json p = {{"classification", std::string(query::DataFormatName(s.format))},
            {"compressionType", s.gzip ? "gzip" : "none"},
            {"typeOfData", "file"},
            {"objectCount", std::to_string(t.objects)},
            {"sizeKey", std::to_string(t.bytes)},
            {"CrawlerSchemaDeserializerVersion", "1.0"},
            {"CrawlerSchemaSerializerVersion", "1.0"},
            {kCrawlerParameter, crawler}};
  if (s.format == DataFormat::kCsv) {
    p["delimiter"] = std::string(1, s.delimiter);
    p["areColumnsQuoted"] = "false";
    p["columnsOrdered"] = "true";
    if (s.header) p["skip.header.line.count"] = "1";
  }
  return p;
}

Json TableInput(const TableLayout& t, const std::string& bucket, const std::string& crawler) {
  Json keys = Json::array();
  for (const std::string& k : t.partition_keys) keys.push_back(Json{{"Name", k}, {"Type", "string"}});
  Json params = Parameters(t, crawler);
  Json sd = StorageDescriptor(t.schema, "s3://" + bucket + "/" + t.root);
  sd["Parameters"] = params;
  return Json{{"Name", t.name},
              {"Owner", "owner"},
              {"TableType", "EXTERNAL_TABLE"},
              {"Retention", 0},
              {"PartitionKeys", std::move(keys)},
              {"StorageDescriptor", std::move(sd)},
              {"Parameters", std::move(params)}};
}

// What decides whether a table changed: its columns, keys, place and format.
Json Shape(const Json& table) {
  const Json& sd = table.value("StorageDescriptor", Json::object());
  return Json{{"Columns", sd.value("Columns", Json::array())},
              {"Location", sd.value("Location", "")},
              {"SerdeInfo", sd.value("SerdeInfo", Json::object())},
              {"PartitionKeys", table.value("PartitionKeys", Json::array())}};
}

// A catalogued table's schema, as a crawl would have inferred it (for
// folders CRAWL_NEW_FOLDERS_ONLY does not read again).
InferredSchema SchemaOf(const Json& table) {
  InferredSchema s;
  const Json& params = table.value("Parameters", Json::object());
  const std::string cls = params.value("classification", "");
  s.format = cls == "csv" ? DataFormat::kCsv
             : cls == "json" ? DataFormat::kJson
             : cls == "parquet" ? DataFormat::kParquet
                                : DataFormat::kUnknown;
  s.gzip = params.value("compressionType", "") == "gzip";
  const std::string delim = params.value("delimiter", ",");
  s.delimiter = delim.empty() ? ',' : delim[0];
  s.header = params.contains("skip.header.line.count");
  const Json& sd = table.value("StorageDescriptor", Json::object());
  for (const Json& c : sd.value("Columns", Json::array())) {
    s.columns.push_back({c.value("Name", ""), c.value("Type", "string")});
  }
  return s;
}

class Crawl {
 public:
  Crawl(const CrawlSpec& spec, const CrawlContext& ctx) : spec_(spec), ctx_(ctx) {}

  Result<CrawlResult> Run() {
    for (const JsonClassifierSpec& c : spec_.json_classifiers) {
      // DuckDB reads a file that is one array of records as records, which
      // is what "$[*]" asks for; deeper paths are not followed.
      if (c.json_path != "$[*]" && c.json_path != "$") {
        Log("classifier " + c.name + ": JsonPath " + c.json_path +
            " is not supported; files are read as JSON lines or arrays of records");
      }
    }
    TARN_RETURN_IF_ERROR(EnsureDatabase());
    TARN_RETURN_IF_ERROR(LoadOwnTables());
    for (const CrawlSpec::S3Target& target : spec_.s3_targets) {
      TARN_RETURN_IF_ERROR(CrawlTarget(target));
    }
    TARN_RETURN_IF_ERROR(HandleVanishedTables());
    return result_;
  }

 private:
  bool Stopped() const { return ctx_.stop != nullptr && ctx_.stop->load(); }
  Status StopStatus() const { return Status(Code::kAborted, "the crawl was stopped"); }
  void Log(std::string line) { result_.messages.push_back(std::move(line)); }

  Status EnsureDatabase() {
    Result<Json> db = ctx_.glue->GetDatabase(spec_.database);
    if (db.ok()) return Status::OK();
    if (db.status().aws_code() != "EntityNotFoundException") return db.status();
    Status created = ctx_.glue->CreateDatabase(Json{{"Name", spec_.database}}, {});
    if (!created.ok() && created.aws_code() != "AlreadyExistsException") return created;
    Log("created database " + spec_.database);
    return Status::OK();
  }

  // The tables this crawler made before, and the folders they catalog.
  Status LoadOwnTables() {
    std::string token;
    do {
      TARN_ASSIGN_OR_RETURN(Json page, ctx_.glue->GetTables(spec_.database, "", token, 1000));
      for (const Json& t : page.value("TableList", Json::array())) {
        const Json& params = t.value("Parameters", Json::object());
        if (params.value(kCrawlerParameter, "") != spec_.crawler_name) continue;
        own_[t.value("Name", "")] = t;
      }
      token = page.value("NextToken", "");
    } while (!token.empty());
    if (spec_.recrawl_behavior != "CRAWL_NEW_FOLDERS_ONLY") return Status::OK();
    for (const auto& [name, table] : own_) {
      const InferredSchema schema = SchemaOf(table);
      const std::string location =
          table.value("StorageDescriptor", Json::object()).value("Location", "");
      known_[location] = schema;
      TARN_ASSIGN_OR_RETURN(std::vector<Json> parts, AllPartitions(name));
      for (const Json& p : parts) {
        known_[p.value("StorageDescriptor", Json::object()).value("Location", "")] = schema;
      }
    }
    return Status::OK();
  }

  Result<std::vector<Json>> AllPartitions(const std::string& table) {
    std::vector<Json> out;
    PartitionQuery q;
    q.exclude_column_schema = true;
    do {
      TARN_ASSIGN_OR_RETURN(Json page, ctx_.glue->GetPartitions(spec_.database, table, q));
      for (Json& p : page["Partitions"]) out.push_back(std::move(p));
      q.next_token = page.value("NextToken", "");
    } while (!q.next_token.empty());
    return out;
  }

  query::CsvOverrides CsvOverridesFor() const {
    query::CsvOverrides o;
    if (spec_.csv_classifiers.empty()) return o;
    const CsvClassifierSpec& c = spec_.csv_classifiers.front();
    o.delimiter = c.delimiter;
    if (c.contains_header == "PRESENT") o.header = true;
    if (c.contains_header == "ABSENT") o.header = false;
    o.names = c.header;
    return o;
  }

  Status CrawlTarget(const CrawlSpec::S3Target& target) {
    std::string bucket, include;
    TARN_RETURN_IF_ERROR(ParseTarget(target.path, &bucket, &include));
    // Every data file under the include path, by folder.
    std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> files;
    Status listed = ctx_.lake->List(bucket, include, [&](const query::Lake::Entry& e) {
      if (e.size == 0 || e.key.back() == '/') return true;
      std::string_view rel = std::string_view(e.key).substr(include.size());
      if (Hidden(rel)) return true;
      for (const std::string& pattern : target.exclusions) {
        if (ExclusionMatches(pattern, rel)) return true;
      }
      files[Folder(e.key)].emplace_back(e.key, e.size);
      return !Stopped();
    });
    if (!listed.ok()) {
      if (listed.code() == Code::kNotFound) {
        return Status(Code::kNotFound, "The S3 target's bucket " + bucket + " does not exist",
                      "EntityNotFoundException");
      }
      return listed;
    }
    if (Stopped()) return StopStatus();

    // One sampled file per folder: what the folder holds.
    const query::CsvOverrides csv = CsvOverridesFor();
    std::map<std::string, DataFolder> folders;
    for (const auto& [folder, list] : files) {
      if (Stopped()) return StopStatus();
      DataFolder& d = folders[folder];
      d.objects = static_cast<int64_t>(list.size());
      for (const auto& f : list) d.bytes += static_cast<int64_t>(f.second);
      auto known = known_.find("s3://" + bucket + "/" + folder);
      if (known != known_.end()) {
        d.schema = known->second;
        continue;
      }
      const std::string& sample = list.front().first;
      Result<InferredSchema> schema = query::InferSchema(*ctx_.engine, *ctx_.lake, bucket, sample, csv);
      ++result_.files_read;
      if (!schema.ok()) {
        Log("s3://" + bucket + "/" + sample + ": " + schema.status().message() + "; folder skipped");
        folders.erase(folder);
        continue;
      }
      d.schema = std::move(*schema);
    }

    for (const TableLayout& t : LayoutTables(bucket, include, folders, spec_.table_prefix)) {
      if (Stopped()) return StopStatus();
      TARN_RETURN_IF_ERROR(ApplyTable(bucket, t));
    }
    return Status::OK();
  }

  Status ApplyTable(const std::string& bucket, const TableLayout& t) {
    seen_.insert(t.name);
    const Json input = TableInput(t, bucket, spec_.crawler_name);
    Result<Json> existing = ctx_.glue->GetTable(spec_.database, t.name);
    if (!existing.ok() && existing.status().aws_code() != "EntityNotFoundException") {
      return existing.status();
    }
    if (!existing.ok()) {
      TARN_RETURN_IF_ERROR(ctx_.glue->CreateTable(spec_.database, input));
      ++result_.tables_created;
      Log("created table " + t.name + " at s3://" + bucket + "/" + t.root);
    } else {
      const Json& table = (*existing)["Table"];
      if (table.value("Parameters", Json::object()).value(kCrawlerParameter, "") !=
          spec_.crawler_name) {
        Log("table " + t.name + " exists and was not made by this crawler: left as it is");
        return Status::OK();
      }
      if (Shape(table) != Shape(input)) {
        if (spec_.update_behavior == "UPDATE_IN_DATABASE") {
          TARN_RETURN_IF_ERROR(ctx_.glue->UpdateTable(spec_.database, input,
                                                      table.value("VersionId", ""), false));
          ++result_.tables_updated;
          Log("updated table " + t.name);
        } else {
          Log("table " + t.name + " changed; UpdateBehavior LOG leaves it");
        }
      }
    }
    return AddPartitions(bucket, t);
  }

  Status AddPartitions(const std::string& bucket, const TableLayout& t) {
    if (t.partitions.empty()) return Status::OK();
    std::set<std::vector<std::string>> have;
    TARN_ASSIGN_OR_RETURN(std::vector<Json> parts, AllPartitions(t.name));
    for (const Json& p : parts) have.insert(p.value("Values", std::vector<std::string>{}));
    const Json params = Parameters(t, spec_.crawler_name);
    std::vector<Json> batch;
    auto flush = [&]() -> Status {
      if (batch.empty()) return Status::OK();
      TARN_ASSIGN_OR_RETURN(Json r, ctx_.glue->BatchCreatePartition(spec_.database, t.name, batch));
      const size_t failed = r.value("Errors", Json::array()).size();
      result_.partitions_created += static_cast<int64_t>(batch.size() - failed);
      for (const Json& e : r.value("Errors", Json::array())) Log("partition not added: " + e.dump());
      batch.clear();
      return Status::OK();
    };
    for (const TableLayout::Partition& p : t.partitions) {
      if (have.count(p.values)) continue;
      Json sd = StorageDescriptor(t.schema, "s3://" + bucket + "/" + p.folder);
      sd["Parameters"] = params;
      batch.push_back(Json{{"Values", p.values}, {"StorageDescriptor", std::move(sd)},
                           {"Parameters", params}});
      if (batch.size() == kPartitionBatch) TARN_RETURN_IF_ERROR(flush());
      if (Stopped()) return StopStatus();
    }
    return flush();
  }

  // The crawler's tables whose data is gone, per DeleteBehavior.
  Status HandleVanishedTables() {
    for (const auto& [name, table] : own_) {
      if (seen_.count(name)) continue;
      if (spec_.delete_behavior == "DELETE_FROM_DATABASE") {
        TARN_RETURN_IF_ERROR(ctx_.glue->DeleteTable(spec_.database, name));
        ++result_.tables_deleted;
        Log("deleted table " + name + ": its data is gone");
      } else if (spec_.delete_behavior == "DEPRECATE_IN_DATABASE") {
        Json params = table.value("Parameters", Json::object());
        if (params.value("DEPRECATED_BY_CRAWLER", "") == spec_.crawler_name) continue;
        params["DEPRECATED_BY_CRAWLER"] = spec_.crawler_name;
        Json input = {{"Name", name},
                      {"TableType", table.value("TableType", "EXTERNAL_TABLE")},
                      {"PartitionKeys", table.value("PartitionKeys", Json::array())},
                      {"StorageDescriptor", table.value("StorageDescriptor", Json::object())},
                      {"Parameters", std::move(params)}};
        TARN_RETURN_IF_ERROR(
            ctx_.glue->UpdateTable(spec_.database, input, table.value("VersionId", ""), false));
        ++result_.tables_deleted;
        Log("marked table " + name + " deprecated: its data is gone");
      } else {
        Log("table " + name + "'s data is gone; DeleteBehavior LOG leaves it");
      }
    }
    return Status::OK();
  }

  const CrawlSpec& spec_;
  const CrawlContext& ctx_;
  CrawlResult result_;
  std::map<std::string, Json> own_;                // name -> table, made by this crawler
  std::map<std::string, InferredSchema> known_;    // catalogued folder location -> schema
  std::set<std::string> seen_;                     // tables this crawl laid out
};

}  // namespace

Result<CrawlResult> RunCrawl(const CrawlSpec& spec, const CrawlContext& context) {
  if (context.glue == nullptr || context.engine == nullptr || context.lake == nullptr) {
    return Internal("RunCrawl needs the catalog, an engine and the lake");
  }
  return Crawl(spec, context).Run();
}

}  // namespace tarn::glue
