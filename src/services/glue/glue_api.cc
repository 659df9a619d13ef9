#include "services/glue/glue_api.h"

#include <type_traits>

#include "services/glue/glue_validate.h"

namespace tarn::glue {

namespace asio = boost::asio;
using aws::Json;

namespace {

const StrRule kTagKey{true, 1, 128};
const StrRule kTagValue{true, 0, 256};
const StrRule kArnRule{true, 1, 10240};
const StrRule kShareTypeRule{false, 0, SIZE_MAX, {}, {"FOREIGN", "ALL"}};

// A service call's result as a response: a Status becomes an empty
// document.
template <typename F>
Result<Json> Call(F fn) {
  if constexpr (std::is_same_v<std::invoke_result_t<F>, Status>) {
    TARN_RETURN_IF_ERROR(fn());
    return Json::object();
  } else {
    return fn();
  }
}

// Finishes validation, then checks the catalog: a malformed request is
// reported before an unknown catalog.
Status Ready(const Checker& in, const GlueService& svc, const std::string& catalog) {
  TARN_RETURN_IF_ERROR(in.Finish());
  return svc.CheckCatalog(catalog);
}

std::string Name(Checker& in, std::string_view member) {
  return LowerName(in.Str(member, kNameRule));
}

// Lake Formation transactions (governed tables) do not exist here.
void RefuseTransactions(Checker& in) {
  if (!in.Str("TransactionId", StrRule{false, 1, 255}).empty()) {
    in.Violation("'...'", "TransactionId",
                 "Member is not supported: tarn has no governed-table transactions");
  }
}

// A list of PartitionValueList structures ({"Values": [...]}).
std::vector<std::vector<std::string>> ValueLists(Checker& in, std::string_view member, size_t max) {
  std::vector<std::vector<std::string>> out;
  const Json* list = in.List(member, true, 0, max);
  if (!list) return out;
  for (size_t i = 0; i < list->size(); ++i) {
    Checker sub((*list)[i], in.ElementPath(member, i));
    out.push_back(sub.StrList("Values", true, 0, SIZE_MAX, kValueRule));
    in.Absorb(sub);
  }
  return out;
}

// A nested input document, checked and turned into its stored form.
template <typename Check>
Json Document(Checker& in, std::string_view member, Check check) {
  const Json* doc = in.Struct(member, true);
  if (!doc) return Json::object();
  Json stored = *doc;
  Checker sub(*doc, in.Path(member));
  check(sub, stored);
  in.Absorb(sub);
  return stored;
}

}  // namespace

GlueApi::GlueApi(GlueService* service, WorkerPool* pool, CrawlerService* crawlers)
    : service_(service), pool_(pool), crawlers_(crawlers) {
  handlers_ = {
      {"CreateDatabase", &GlueApi::CreateDatabase},
      {"GetDatabase", &GlueApi::GetDatabase},
      {"GetDatabases", &GlueApi::GetDatabases},
      {"UpdateDatabase", &GlueApi::UpdateDatabase},
      {"DeleteDatabase", &GlueApi::DeleteDatabase},
      {"CreateTable", &GlueApi::CreateTable},
      {"GetTable", &GlueApi::GetTable},
      {"GetTables", &GlueApi::GetTables},
      {"UpdateTable", &GlueApi::UpdateTable},
      {"DeleteTable", &GlueApi::DeleteTable},
      {"BatchDeleteTable", &GlueApi::BatchDeleteTable},
      {"GetTableVersions", &GlueApi::GetTableVersions},
      {"GetTableVersion", &GlueApi::GetTableVersion},
      {"DeleteTableVersion", &GlueApi::DeleteTableVersion},
      {"BatchDeleteTableVersion", &GlueApi::BatchDeleteTableVersion},
      {"SearchTables", &GlueApi::SearchTables},
      {"CreatePartition", &GlueApi::CreatePartition},
      {"BatchCreatePartition", &GlueApi::BatchCreatePartition},
      {"GetPartition", &GlueApi::GetPartition},
      {"GetPartitions", &GlueApi::GetPartitions},
      {"BatchGetPartition", &GlueApi::BatchGetPartition},
      {"UpdatePartition", &GlueApi::UpdatePartition},
      {"BatchUpdatePartition", &GlueApi::BatchUpdatePartition},
      {"DeletePartition", &GlueApi::DeletePartition},
      {"BatchDeletePartition", &GlueApi::BatchDeletePartition},
      {"UpdateColumnStatisticsForTable", &GlueApi::UpdateColumnStatisticsForTable},
      {"GetColumnStatisticsForTable", &GlueApi::GetColumnStatisticsForTable},
      {"DeleteColumnStatisticsForTable", &GlueApi::DeleteColumnStatisticsForTable},
      {"UpdateColumnStatisticsForPartition", &GlueApi::UpdateColumnStatisticsForPartition},
      {"GetColumnStatisticsForPartition", &GlueApi::GetColumnStatisticsForPartition},
      {"DeleteColumnStatisticsForPartition", &GlueApi::DeleteColumnStatisticsForPartition},
      {"TagResource", &GlueApi::TagResource},
      {"UntagResource", &GlueApi::UntagResource},
      {"GetTags", &GlueApi::GetTags},
  };
  if (crawlers_) AddCrawlerHandlers();
}

int GlueApi::ErrorStatus(std::string_view aws_code) const {
  if (aws_code == "InternalServiceException" || aws_code == "InternalFailure") return 500;
  if (aws_code == "ServiceUnavailable") return 503;
  return 400;
}

asio::awaitable<Result<Json>> GlueApi::Invoke(const aws::JsonRequest& request) {
  auto it = handlers_.find(request.operation);
  if (it == handlers_.end()) co_return aws::UnknownOperation(request.operation);
  if (!request.input.is_object()) {
    co_return Status(Code::kInvalidArgument, "The request body must be a JSON object.",
                     "SerializationException");
  }
  // Validation, the SQL and the rendering all run on the pool: documents
  // may be megabytes, and the I/O thread only routes.
  Handler handler = it->second;
  const Json& input = request.input;
  Result<Json> out =
      co_await pool_->Run([this, handler, &input] { return (this->*handler)(input); });
  co_return out;
}

// --- Databases -------------------------------------------------------------------

Result<Json> GlueApi::CreateDatabase(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  Json input = Document(in, "DatabaseInput", CheckDatabaseInput);
  Tags tags = in.StrMap("Tags", false, 50, kTagKey, kTagValue);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->CreateDatabase(input, tags); });
}

Result<Json> GlueApi::GetDatabase(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string name = Name(in, "Name");
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetDatabase(name); });
}

Result<Json> GlueApi::GetDatabases(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string token = in.Str("NextToken", kTokenRule);
  int max = static_cast<int>(in.Int("MaxResults", false, 1, 100).value_or(100));
  std::string share = in.Str("ResourceShareType", kShareTypeRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  // No catalog shares resources with this one: FOREIGN lists nothing.
  if (share == "FOREIGN") return Json{{"DatabaseList", Json::array()}};
  return Call([&] { return service_->GetDatabases(token, max); });
}

Result<Json> GlueApi::UpdateDatabase(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string name = Name(in, "Name");
  Json input = Document(in, "DatabaseInput", CheckDatabaseInput);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->UpdateDatabase(name, input); });
}

Result<Json> GlueApi::DeleteDatabase(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string name = Name(in, "Name");
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->DeleteDatabase(name); });
}

// --- Tables ----------------------------------------------------------------------

Result<Json> GlueApi::CreateTable(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  Json input = Document(in, "TableInput", CheckTableInput);
  in.List("PartitionIndexes", false, 0, 3);
  RefuseTransactions(in);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->CreateTable(db, input); });
}

Result<Json> GlueApi::GetTable(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string name = Name(in, "Name");
  RefuseTransactions(in);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetTable(db, name); });
}

Result<Json> GlueApi::GetTables(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string expression = in.Str("Expression", StrRule{false, 0, 2048, kSingleLine});
  std::string token = in.Str("NextToken", kTokenRule);
  int max = static_cast<int>(in.Int("MaxResults", false, 1, 100).value_or(100));
  RefuseTransactions(in);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetTables(db, expression, token, max); });
}

Result<Json> GlueApi::UpdateTable(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  Json input = Document(in, "TableInput", CheckTableInput);
  bool skip_archive = in.Bool("SkipArchive").value_or(false);
  std::string version = in.Str("VersionId", kVersionRule);
  RefuseTransactions(in);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->UpdateTable(db, input, version, skip_archive); });
}

Result<Json> GlueApi::DeleteTable(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string name = Name(in, "Name");
  RefuseTransactions(in);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->DeleteTable(db, name); });
}

Result<Json> GlueApi::BatchDeleteTable(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::vector<std::string> names = in.StrList("TablesToDelete", true, 0, 100, kNameRule);
  for (std::string& n : names) n = LowerName(n);
  RefuseTransactions(in);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->BatchDeleteTable(db, names); });
}

Result<Json> GlueApi::GetTableVersions(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::string token = in.Str("NextToken", kTokenRule);
  int max = static_cast<int>(in.Int("MaxResults", false, 1, 100).value_or(100));
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetTableVersions(db, table, token, max); });
}

Result<Json> GlueApi::GetTableVersion(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::string version = in.Str("VersionId", kVersionRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetTableVersion(db, table, version); });
}

Result<Json> GlueApi::DeleteTableVersion(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  StrRule version_rule = kVersionRule;
  version_rule.required = true;
  std::string version = in.Str("VersionId", version_rule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->DeleteTableVersion(db, table, version); });
}

Result<Json> GlueApi::BatchDeleteTableVersion(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> versions = in.StrList("VersionIds", true, 0, 100, kVersionRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->BatchDeleteTableVersion(db, table, versions); });
}

Result<Json> GlueApi::SearchTables(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string token = in.Str("NextToken", kTokenRule);
  std::string text = in.Str("SearchText", StrRule{false, 0, 1024});
  int max = static_cast<int>(in.Int("MaxResults", false, 1, 1000).value_or(1000));
  std::string share = in.Str("ResourceShareType", kShareTypeRule);
  std::vector<SearchFilter> filters;
  if (const Json* list = in.List("Filters", false)) {
    for (size_t i = 0; i < list->size(); ++i) {
      Checker sub((*list)[i], in.ElementPath("Filters", i));
      SearchFilter f;
      f.key = sub.Str("Key", StrRule{false, 0, 1024});
      f.value = sub.Str("Value", StrRule{false, 0, 1024});
      f.comparator = sub.Str("Comparator", StrRule{false,
                                                   0,
                                                   SIZE_MAX,
                                                   {},
                                                   {"EQUALS", "GREATER_THAN", "LESS_THAN",
                                                    "GREATER_THAN_EQUALS", "LESS_THAN_EQUALS"}});
      in.Absorb(sub);
      filters.push_back(std::move(f));
    }
  }
  std::string sort_field;
  bool descending = false;
  if (const Json* sort = in.List("SortCriteria", false, 0, 1); sort && !sort->empty()) {
    Checker sub((*sort)[0], in.ElementPath("SortCriteria", 0));
    sort_field = sub.Str("FieldName", StrRule{false, 0, 1024});
    descending =
        sub.Str("Sort", StrRule{false, 0, SIZE_MAX, {}, {"ASC", "DESC"}}) == "DESC";
    in.Absorb(sub);
  }
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  if (share == "FOREIGN") return Json{{"TableList", Json::array()}};
  return Call(
      [&] { return service_->SearchTables(text, filters, sort_field, descending, token, max); });
}

// --- Partitions ------------------------------------------------------------------

Result<Json> GlueApi::CreatePartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  Json input = Document(in, "PartitionInput", CheckPartitionInput);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->CreatePartition(db, table, input); });
}

Result<Json> GlueApi::BatchCreatePartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<Json> inputs;
  if (const Json* list = in.List("PartitionInputList", true, 0, 100)) {
    for (size_t i = 0; i < list->size(); ++i) {
      if (!(*list)[i].is_object()) {
        in.Violation("null", in.ElementPath("PartitionInputList", i), "Member must be a structure");
        continue;
      }
      Json stored = (*list)[i];
      Checker sub((*list)[i], in.ElementPath("PartitionInputList", i));
      CheckPartitionInput(sub, stored);
      in.Absorb(sub);
      inputs.push_back(std::move(stored));
    }
  }
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->BatchCreatePartition(db, table, inputs); });
}

Result<Json> GlueApi::GetPartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> values = in.StrList("PartitionValues", true, 0, SIZE_MAX, kValueRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetPartition(db, table, values); });
}

Result<Json> GlueApi::GetPartitions(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  PartitionQuery q;
  q.expression = in.Str("Expression", StrRule{false, 0, 2048, kMultiLine});
  q.next_token = in.Str("NextToken", kTokenRule);
  q.max_results = static_cast<int>(in.Int("MaxResults", false, 1, 1000).value_or(1000));
  q.exclude_column_schema = in.Bool("ExcludeColumnSchema").value_or(false);
  if (const Json* segment = in.Struct("Segment", false)) {
    Checker sub(*segment, in.Path("Segment"));
    q.segment = static_cast<int>(
        std::min<int64_t>(sub.Int("SegmentNumber", true, 0).value_or(0), INT32_MAX));
    q.total_segments = static_cast<int>(sub.Int("TotalSegments", true, 1, 10).value_or(1));
    in.Absorb(sub);
  }
  RefuseTransactions(in);
  in.Time("QueryAsOfTime", false);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->GetPartitions(db, table, q); });
}

Result<Json> GlueApi::BatchGetPartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  auto keys = ValueLists(in, "PartitionsToGet", 1000);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->BatchGetPartition(db, table, keys); });
}

Result<Json> GlueApi::UpdatePartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> values = in.StrList("PartitionValueList", true, 0, 100, kValueRule);
  Json input = Document(in, "PartitionInput", CheckPartitionInput);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->UpdatePartition(db, table, values, input); });
}

Result<Json> GlueApi::BatchUpdatePartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::pair<std::vector<std::string>, Json>> entries;
  if (const Json* list = in.List("Entries", true, 1, 100)) {
    for (size_t i = 0; i < list->size(); ++i) {
      Checker sub((*list)[i], in.ElementPath("Entries", i));
      std::vector<std::string> values = sub.StrList("PartitionValueList", true, 0, 100, kValueRule);
      Json input = Document(sub, "PartitionInput", CheckPartitionInput);
      in.Absorb(sub);
      entries.emplace_back(std::move(values), std::move(input));
    }
  }
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->BatchUpdatePartition(db, table, entries); });
}

Result<Json> GlueApi::DeletePartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> values = in.StrList("PartitionValues", true, 0, SIZE_MAX, kValueRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->DeletePartition(db, table, values); });
}

Result<Json> GlueApi::BatchDeletePartition(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  auto keys = ValueLists(in, "PartitionsToDelete", 25);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] { return service_->BatchDeletePartition(db, table, keys); });
}

// --- Column statistics -----------------------------------------------------------

Result<Json> GlueApi::UpdateStatistics(const Json& j, bool partition) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> values;
  if (partition) values = in.StrList("PartitionValues", true, 0, SIZE_MAX, kValueRule);
  std::vector<Json> stats;
  if (const Json* list = in.List("ColumnStatisticsList", true, 0, 25)) {
    for (size_t i = 0; i < list->size(); ++i) {
      Json stored = (*list)[i];
      Checker sub((*list)[i], in.ElementPath("ColumnStatisticsList", i));
      CheckColumnStatistics(sub, stored);
      in.Absorb(sub);
      stats.push_back(std::move(stored));
    }
  }
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] {
    return service_->UpdateColumnStatistics(db, table, partition ? &values : nullptr, stats);
  });
}

Result<Json> GlueApi::GetStatistics(const Json& j, bool partition) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> values;
  if (partition) values = in.StrList("PartitionValues", true, 0, SIZE_MAX, kValueRule);
  std::vector<std::string> columns = in.StrList("ColumnNames", true, 0, 100, kNameRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] {
    return service_->GetColumnStatistics(db, table, partition ? &values : nullptr, columns);
  });
}

Result<Json> GlueApi::DeleteStatistics(const Json& j, bool partition) {
  Checker in(j);
  std::string catalog = in.Str("CatalogId", kCatalogIdRule);
  std::string db = Name(in, "DatabaseName");
  std::string table = Name(in, "TableName");
  std::vector<std::string> values;
  if (partition) values = in.StrList("PartitionValues", true, 0, SIZE_MAX, kValueRule);
  std::string column = in.Str("ColumnName", kNameRule);
  TARN_RETURN_IF_ERROR(Ready(in, *service_, catalog));
  return Call([&] {
    return service_->DeleteColumnStatistics(db, table, partition ? &values : nullptr, column);
  });
}

Result<Json> GlueApi::UpdateColumnStatisticsForTable(const Json& in) {
  return UpdateStatistics(in, false);
}
Result<Json> GlueApi::GetColumnStatisticsForTable(const Json& in) {
  return GetStatistics(in, false);
}
Result<Json> GlueApi::DeleteColumnStatisticsForTable(const Json& in) {
  return DeleteStatistics(in, false);
}
Result<Json> GlueApi::UpdateColumnStatisticsForPartition(const Json& in) {
  return UpdateStatistics(in, true);
}
Result<Json> GlueApi::GetColumnStatisticsForPartition(const Json& in) {
  return GetStatistics(in, true);
}
Result<Json> GlueApi::DeleteColumnStatisticsForPartition(const Json& in) {
  return DeleteStatistics(in, true);
}

// --- Tags ------------------------------------------------------------------------

Result<Json> GlueApi::TagResource(const Json& j) {
  Checker in(j);
  std::string arn = in.Str("ResourceArn", kArnRule);
  Tags tags = in.StrMap("TagsToAdd", true, 50, kTagKey, kTagValue);
  TARN_RETURN_IF_ERROR(in.Finish());
  if (crawlers_ && CrawlerService::IsCrawlerArn(arn))
    return Call([&] { return crawlers_->TagResource(arn, tags); });
  return Call([&] { return service_->TagResource(arn, tags); });
}

Result<Json> GlueApi::UntagResource(const Json& j) {
  Checker in(j);
  std::string arn = in.Str("ResourceArn", kArnRule);
  std::vector<std::string> keys = in.StrList("TagsToRemove", true, 0, 50, kTagKey);
  TARN_RETURN_IF_ERROR(in.Finish());
  if (crawlers_ && CrawlerService::IsCrawlerArn(arn))
    return Call([&] { return crawlers_->UntagResource(arn, keys); });
  return Call([&] { return service_->UntagResource(arn, keys); });
}

Result<Json> GlueApi::GetTags(const Json& j) {
  Checker in(j);
  std::string arn = in.Str("ResourceArn", kArnRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Call([&]() -> Result<Json> {
    bool crawler = crawlers_ && CrawlerService::IsCrawlerArn(arn);
    TARN_ASSIGN_OR_RETURN(Tags tags, crawler ? crawlers_->GetTags(arn) : service_->GetTags(arn));
    Json map = Json::object();
    for (const auto& [k, v] : tags) map[k] = v;
    return Json{{"Tags", std::move(map)}};
  });
}

}  // namespace tarn::glue
