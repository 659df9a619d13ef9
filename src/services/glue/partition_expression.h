// PartitionPredicate: the filter expression of GetPartitions, as Athena,
// Spark, Trino and Hive clients send it, parsed once and evaluated against
// many partitions.
//
// Grammar (keywords case-insensitive; docs/glue-catalog.md §Expressions):
//
//   expr      := or
//   or        := and { OR and }
//   and       := unary { AND unary }
//   unary     := NOT unary | primary
//   primary   := '(' expr ')' | predicate
//   predicate := operand compop operand
//              | operand [NOT] IN '(' literal { ',' literal } ')'
//              | operand [NOT] BETWEEN literal AND literal
//              | operand [NOT] LIKE literal
//              | operand IS [NOT] NULL
//   compop    := '=' | '==' | '<>' | '!=' | '<' | '<=' | '>' | '>='
//   operand   := key | literal
//   key       := identifier | `backquoted identifier`
//              | "double-quoted name" (ANSI style: only when the predicate
//                has no other key; otherwise "x" is a string, as in Hive)
//   literal   := 'string' | "string" | [-]number | DATE 'yyyy-mm-dd'
//              | TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.f]' | TRUE | FALSE
//
// Every predicate names exactly one partition key (`2020 < year` is
// `year > 2020`). Comparisons are typed by the key's declared Type:
//   string, char(n), varchar(n), and unknown types: byte-wise string order;
//   tinyint, smallint, int, integer, bigint, long, decimal(p,s): exact
//     decimal order (no precision lost on 38-digit values);
//   float, double: IEEE doubles;
//   date: calendar order of yyyy-mm-dd; timestamp: chronological;
//   boolean: case-insensitive true/false.
// A literal that is not a value of its key's type is an error at Compile.
//
// Evaluation uses SQL's three-valued logic: a partition value that does not
// parse as its key's type, or the Hive null partition
// (__HIVE_DEFAULT_PARTITION__), makes a comparison UNKNOWN, and a partition
// matches only when the whole expression is TRUE. IS NULL is true for the
// Hive null partition.
//
// Thread-safety: a compiled predicate is immutable; Matches may be called
// from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::glue {

// A partition key of a table: its name and declared Hive type.
struct PartitionKey {
  std::string name;
  std::string type;
};

// The value Hive writes for a null partition value.
inline constexpr std::string_view kHiveNullPartition = "__HIVE_DEFAULT_PARTITION__";

class PartitionPredicate {
 public:
  // Parses `expression` against the table's partition keys. An empty (or
  // all-blank) expression matches every partition. Errors are
  // InvalidArgument with aws_code InvalidInputException and a message
  // naming the problem and its position: "Unknown partition key 'yeer' at
  // position 1", "'abc' is not a valid int for partition key 'year'", ...
  static Result<PartitionPredicate> Compile(std::string_view expression,
                                            std::span<const PartitionKey> keys);

  // True when the partition whose values (one per key, in key order) are
  // `values` satisfies the expression. Missing values read as null.
  bool Matches(std::span<const std::string> values) const;

  // True when the predicate accepts every partition (empty expression).
  bool MatchesAll() const;

  struct Program;  // the compiled tree (partition_expression.cc)

 private:
  explicit PartitionPredicate(std::shared_ptr<const Program> program)
      : program_(std::move(program)) {}
  std::shared_ptr<const Program> program_;
};

// SQL LIKE: '%' matches any run of characters, '_' one character (a UTF-8
// sequence), a backslash escapes the next character. Public for tests.
bool LikeMatch(std::string_view text, std::string_view pattern);

}  // namespace tarn::glue
