// How a crawl turns folders of files into tables and partitions, as Glue's
// crawlers do. Pure functions over keys and inferred schemas: no I/O, so
// the rules are unit-tested on their own (crawl.h does the I/O).
//
// The input is the set of "data folders" under an include path (folders
// that directly hold data files), each with the schema of a sampled file.
// LayoutTables then looks at the include path's folder:
//   - if every data folder below it holds compatible data (same format;
//     CSV: same delimiter, header and column count; otherwise 70 % or more
//     of the column names in common) and they all sit at the same depth,
//     that folder is one table and each level below it a partition key:
//     `name=value` folders give the key `name` (when every folder of the
//     level uses the same name), others `partition_<level>`;
//   - otherwise each subfolder is looked at the same way, and data directly
//     in the folder is a table of its own.
// Compatible schemas merge: the union of the columns in the order first
// seen; a column whose types differ takes the wider numeric type, or string.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "query/schema_inference.h"

namespace tarn::glue {

struct TableLayout {
  std::string name;      // TablePrefix + the root folder's name, cleaned
  std::string root;      // the table's folder, relative to the bucket ("sales/"; "" = the bucket)
  query::InferredSchema schema;  // merged
  std::vector<std::string> partition_keys;
  struct Partition {
    std::vector<std::string> values;
    std::string folder;  // relative to the bucket, ending in '/'
  };
  std::vector<Partition> partitions;  // sorted by folder
  int64_t objects = 0;
  int64_t bytes = 0;
};

// One data folder: its path relative to the bucket (ending in '/', or ""
// for the bucket's root), the schema of its sampled file, and what it holds.
struct DataFolder {
  query::InferredSchema schema;
  int64_t objects = 0;
  int64_t bytes = 0;
};

// include: the include path's prefix within the bucket ("data/" or "").
// Folders are keyed by their path relative to the bucket; all lie under
// `include`. Tables come out sorted by root; names are unique (a clash gets
// a suffix made from the root's hash).
std::vector<TableLayout> LayoutTables(std::string_view bucket, std::string_view include,
                                      const std::map<std::string, DataFolder>& folders,
                                      std::string_view table_prefix);

bool SchemasCompatible(const query::InferredSchema& a, const query::InferredSchema& b);
// The merge of b into a (a's format and CSV settings win).
query::InferredSchema MergeSchemas(const query::InferredSchema& a, const query::InferredSchema& b);

// Glue's exclusion patterns, matched against a key relative to the include
// path: `*` any run within a folder, `**` any run across folders, `?` one
// character, `[abc]` / `[!abc]` classes, `{a,b}` alternatives.
bool ExclusionMatches(std::string_view pattern, std::string_view relative_key);

// A table name from a folder name: lowercase, anything but [a-z0-9_] as '_'.
std::string CleanTableName(std::string_view name);

}  // namespace tarn::glue
