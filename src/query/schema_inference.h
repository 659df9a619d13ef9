// Schema inference for objects in the lake: what a Glue crawler needs to
// know about one file to catalog it.
//
// ClassifyHead looks at an object's name and first bytes: Parquet by its
// magic, gzip by its magic (then the inflated head is classified), JSON by
// its first character, CSV when lines split alike on a delimiter. InferSchema
// then asks the engine (DuckDB, reading s3:// through the lake) for the
// columns: DESCRIBE over read_parquet / read_json / read_csv, with
// sniff_csv telling the delimiter and whether there is a header. Types come
// back as the Hive types Glue and Athena use (HiveType).
//
// No DuckDB headers: this is part of the loader library and talks to the
// engine through SQL text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/query_engine.h"

namespace tarn::query {

enum class DataFormat { kUnknown, kCsv, kJson, kParquet };
std::string_view DataFormatName(DataFormat format);  // "csv", "json", "parquet", "UNKNOWN"

struct HeadClass {
  DataFormat format = DataFormat::kUnknown;
  bool gzip = false;
};

// Classifies an object from its key and its first bytes (a few KiB is
// plenty; a gzip head is inflated as far as it goes).
HeadClass ClassifyHead(std::string_view key, std::string_view head);

struct InferredColumn {
  std::string name;
  std::string type;  // Hive: bigint, double, string, array<string>, struct<a:int>, ...
  bool operator==(const InferredColumn&) const = default;
};

struct InferredSchema {
  DataFormat format = DataFormat::kUnknown;
  bool gzip = false;
  // CSV only.
  char delimiter = ',';
  bool header = false;
  std::vector<InferredColumn> columns;
};

// What a custom CSV classifier decides instead of the sniffer.
struct CsvOverrides {
  std::optional<char> delimiter;
  std::optional<bool> header;
  // Column names for a file without a header (in order); the rest keep
  // col<N>.
  std::vector<std::string> names;
};

// Infers the schema of s3://bucket/key. The engine must read s3:// through
// `lake`, which is also used for the object's first bytes. An object that is
// none of the formats is InvalidArgument ("UNKNOWN"); a file the engine
// cannot read (a truncated Parquet file, say) is its error.
Result<InferredSchema> InferSchema(QueryEngine& engine, Lake& lake, std::string_view bucket,
                                   std::string_view key, const CsvOverrides& csv = {});

// DuckDB's type names as Hive's: BIGINT -> bigint, VARCHAR -> string,
// DECIMAL(10,2) -> decimal(10,2), INTEGER[] -> array<int>,
// STRUCT(a BIGINT, "b c" VARCHAR) -> struct<a:bigint,b c:string>,
// MAP(VARCHAR, DOUBLE) -> map<string,double>. Types Hive lacks become the
// nearest it has (HUGEINT -> decimal(38,0), TIME and UUID -> string).
std::string HiveType(std::string_view duckdb_type);

// SQL text for a string literal: 'it''s'.
std::string SqlQuote(std::string_view text);

}  // namespace tarn::query
