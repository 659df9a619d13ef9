// Request validation for Glue crawlers and classifiers, as glue_validate.h
// does it for the catalog (InvalidInputException naming the member's path,
// SerializationException for a wrong JSON type), plus what tarn does not
// crawl: targets other than S3 (JDBC, DynamoDB, catalog, Delta, ...), event
// mode, Grok and XML classifiers are InvalidInputException naming them.
//
// The checks produce the stored definitions (docs/glue-catalog.md
// §Crawlers): the request's members but Name and Tags, names of databases
// lowercased, Schedule as {"ScheduleExpression", "State"}.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "services/glue/glue_validate.h"

namespace tarn::glue {

// The crawler definition in a CreateCrawler (create) or UpdateCrawler
// request. For an update, only the members present are in the result, and
// a Schedule of "" is stored as null (the schedule is removed).
Result<Json> CheckCrawlerDefinition(const Json& request, bool create);

// Glue's schedules: cron(Minutes Hours Day-of-month Month Day-of-week Year),
// one of the two day fields '?'. InvalidInputException otherwise.
Status CheckCronExpression(std::string_view expression);

// A classifier request (CreateClassifier / UpdateClassifier): exactly one of
// CsvClassifier, JsonClassifier (GrokClassifier and XMLClassifier are
// refused). `kind` receives "CsvClassifier" or "JsonClassifier", `name` its
// Name, and the result its stored definition (the members but Name).
Result<Json> CheckClassifierRequest(const Json& request, bool create, std::string* kind,
                                    std::string* name);

}  // namespace tarn::glue
