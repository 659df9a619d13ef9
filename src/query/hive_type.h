// Hive types, as Glue columns declare them ("bigint", "decimal(10,2)",
// "array<struct<a:int,b:string>>"), parsed into a tree, and their DuckDB
// equivalents. Athena reads tables with them; Firehose converts records to
// them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::query {

struct HiveType {
  enum class Kind {
    kString,  // string, varchar(n), char(n)
    kTinyint,
    kSmallint,
    kInt,
    kBigint,
    kFloat,
    kDouble,
    kDecimal,
    kBoolean,
    kDate,
    kTimestamp,
    kBinary,
    kArray,   // children: the element (name "")
    kMap,     // children: key, value
    kStruct,  // children: the fields, in order
  };
  struct Child;  // a name and a type (a vector of them may name this one)

  Kind kind = Kind::kString;
  int precision = 0;  // decimal
  int scale = 0;      // decimal
  std::vector<Child> children;

  // DuckDB's name of the type: BIGINT, DECIMAL(10,2), STRUCT("a" INTEGER)[].
  std::string DuckDb() const;
};

struct HiveType::Child {
  std::string name;  // a struct's field, a map's "key" and "value", "" for an array's element
  HiveType type;
};

// InvalidArgument naming what is wrong (an unknown type, unbalanced <>).
Result<HiveType> ParseHiveType(std::string_view text);

// ParseHiveType(text).DuckDb(), with VARCHAR for what does not parse (a
// catalog may hold types tarn does not know; they read as text).
std::string DuckDbType(std::string_view hive_type);

}  // namespace tarn::query
