// Athena's DDL, parsed into what it does to the Glue catalog. Athena's DDL
// is Hive's (CREATE EXTERNAL TABLE ... ROW FORMAT ... STORED AS ...
// LOCATION ... TBLPROPERTIES) plus Trino's views; the runner applies a
// parsed statement with the Glue service's public interface.
//
//   CREATE EXTERNAL TABLE [IF NOT EXISTS] [db.]t (col type [COMMENT '..'], ...)
//     [COMMENT '..'] [PARTITIONED BY (col type, ...)]
//     [ROW FORMAT DELIMITED [FIELDS TERMINATED BY 'c'] [ESCAPED BY 'c']
//        [LINES TERMINATED BY 'c'] | ROW FORMAT SERDE 'class'
//        [WITH SERDEPROPERTIES ('k' = 'v', ...)]]
//     [STORED AS PARQUET | TEXTFILE | JSON | INPUTFORMAT '..' OUTPUTFORMAT '..']
//     LOCATION 's3://...' [TBLPROPERTIES ('k' = 'v', ...)]
//   DROP TABLE [IF EXISTS] [db.]t
//   ALTER TABLE [db.]t ADD [IF NOT EXISTS] PARTITION (k = 'v', ...) [LOCATION '..'] [PARTITION ...]
//   ALTER TABLE [db.]t DROP [IF EXISTS] PARTITION (k = 'v', ...) [, PARTITION ...]
//   MSCK REPAIR TABLE [db.]t
//   CREATE TABLE [IF NOT EXISTS] [db.]t [WITH (property = value, ...)] AS <query>
//   CREATE [OR REPLACE] VIEW [db.]v AS <query>;  DROP VIEW [IF EXISTS] [db.]v
//   CREATE DATABASE | SCHEMA [IF NOT EXISTS] db;  DROP DATABASE | SCHEMA [IF EXISTS] db [CASCADE]
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::athena {

struct Ddl {
  enum class Kind {
    kCreateTable,
    kDropTable,
    kAddPartitions,
    kDropPartitions,
    kRepairTable,
    kCreateView,
    kDropView,
    kCreateDatabase,
    kDropDatabase,
    kCreateTableAs,
  };
  Kind kind = Kind::kCreateTable;
  std::string database;  // "" = the query's current database
  std::string name;      // table, view or database
  bool if_exists = false;      // IF EXISTS / IF NOT EXISTS
  bool or_replace = false;     // CREATE OR REPLACE VIEW
  bool cascade = false;        // DROP DATABASE ... CASCADE
  nlohmann::json table_input;  // kCreateTable: Glue's TableInput
  struct Partition {
    std::vector<std::pair<std::string, std::string>> values;  // key = value, in order written
    std::string location;
  };
  std::vector<Partition> partitions;  // kAddPartitions / kDropPartitions
  std::string view_sql;               // kCreateView, kCreateTableAs: the query
  // kCreateTableAs: WITH (format = 'PARQUET', external_location = '...',
  // partitioned_by = ARRAY['a', 'b'], write_compression = 'SNAPPY', ...);
  // arrays come as their elements joined with ','.
  std::map<std::string, std::string> properties;
};

// True when the statement is DDL this parser takes (by its first words).
bool IsDdl(std::string_view sql);
// InvalidArgument naming what is wrong ("line 1:24: expected ')'").
Result<Ddl> ParseDdl(std::string_view sql);

}  // namespace tarn::athena
