// GlueApi's crawler and classifier operations: validation
// (crawler_validate.h), then the CrawlerService call. Like the catalog's
// handlers, each runs on the worker pool; none waits for a crawl.

#include "services/glue/crawler_validate.h"
#include "services/glue/glue_api.h"

namespace tarn::glue {

namespace {

const StrRule kTagKey{true, 1, 128};
const StrRule kTagValue{true, 0, 256};

Result<Json> Empty(const Status& st) {
  TARN_RETURN_IF_ERROR(st);
  return Json::object();
}

int PageSize(Checker& in) {
  return static_cast<int>(in.Int("MaxResults", false, 1, 1000).value_or(100));
}

}  // namespace

void GlueApi::AddCrawlerHandlers() {
  handlers_.insert({
      {"CreateCrawler", &GlueApi::CreateCrawler},
      {"GetCrawler", &GlueApi::GetCrawler},
      {"GetCrawlers", &GlueApi::GetCrawlers},
      {"ListCrawlers", &GlueApi::ListCrawlers},
      {"BatchGetCrawlers", &GlueApi::BatchGetCrawlers},
      {"UpdateCrawler", &GlueApi::UpdateCrawler},
      {"DeleteCrawler", &GlueApi::DeleteCrawler},
      {"StartCrawler", &GlueApi::StartCrawler},
      {"StopCrawler", &GlueApi::StopCrawler},
      {"GetCrawlerMetrics", &GlueApi::GetCrawlerMetrics},
      {"CreateClassifier", &GlueApi::CreateClassifier},
      {"GetClassifier", &GlueApi::GetClassifier},
      {"GetClassifiers", &GlueApi::GetClassifiers},
      {"UpdateClassifier", &GlueApi::UpdateClassifier},
      {"DeleteClassifier", &GlueApi::DeleteClassifier},
  });
}

// --- Crawlers --------------------------------------------------------------------

Result<Json> GlueApi::CreateCrawler(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  Tags tags = in.StrMap("Tags", false, 50, kTagKey, kTagValue);
  TARN_RETURN_IF_ERROR(in.Finish());
  TARN_ASSIGN_OR_RETURN(Json definition, CheckCrawlerDefinition(j, true));
  return Empty(crawlers_->CreateCrawler(name, definition, tags));
}

Result<Json> GlueApi::GetCrawler(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->GetCrawler(name);
}

Result<Json> GlueApi::GetCrawlers(const Json& j) {
  Checker in(j);
  std::string token = in.Str("NextToken", kTokenRule);
  int max = PageSize(in);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->GetCrawlers(token, max);
}

Result<Json> GlueApi::ListCrawlers(const Json& j) {
  Checker in(j);
  std::string token = in.Str("NextToken", kTokenRule);
  int max = PageSize(in);
  Tags tags = in.StrMap("Tags", false, 50, kTagKey, kTagValue);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->ListCrawlers(token, max, tags);
}

Result<Json> GlueApi::BatchGetCrawlers(const Json& j) {
  Checker in(j);
  std::vector<std::string> names = in.StrList("CrawlerNames", true, 0, 100, kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->BatchGetCrawlers(names);
}

Result<Json> GlueApi::UpdateCrawler(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  TARN_ASSIGN_OR_RETURN(Json changes, CheckCrawlerDefinition(j, false));
  return Empty(crawlers_->UpdateCrawler(name, changes));
}

Result<Json> GlueApi::DeleteCrawler(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(crawlers_->DeleteCrawler(name));
}

Result<Json> GlueApi::StartCrawler(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(crawlers_->StartCrawler(name));
}

Result<Json> GlueApi::StopCrawler(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(crawlers_->StopCrawler(name));
}

Result<Json> GlueApi::GetCrawlerMetrics(const Json& j) {
  Checker in(j);
  std::vector<std::string> names = in.StrList("CrawlerNameList", false, 0, 100, kNameRule);
  std::string token = in.Str("NextToken", kTokenRule);
  int max = PageSize(in);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->GetCrawlerMetrics(names, token, max);
}

// --- Classifiers -----------------------------------------------------------------

Result<Json> GlueApi::CreateClassifier(const Json& j) {
  std::string kind;
  std::string name;
  TARN_ASSIGN_OR_RETURN(Json definition, CheckClassifierRequest(j, true, &kind, &name));
  return Empty(crawlers_->CreateClassifier(kind, name, definition));
}

Result<Json> GlueApi::GetClassifier(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->GetClassifier(name);
}

Result<Json> GlueApi::GetClassifiers(const Json& j) {
  Checker in(j);
  std::string token = in.Str("NextToken", kTokenRule);
  int max = PageSize(in);
  TARN_RETURN_IF_ERROR(in.Finish());
  return crawlers_->GetClassifiers(token, max);
}

Result<Json> GlueApi::UpdateClassifier(const Json& j) {
  std::string kind;
  std::string name;
  TARN_ASSIGN_OR_RETURN(Json changes, CheckClassifierRequest(j, false, &kind, &name));
  return Empty(crawlers_->UpdateClassifier(kind, name, changes));
}

Result<Json> GlueApi::DeleteClassifier(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", kNameRule);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(crawlers_->DeleteClassifier(name));
}

}  // namespace tarn::glue
