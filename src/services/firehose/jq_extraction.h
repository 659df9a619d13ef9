// The MetadataExtractionQuery of dynamic partitioning: the jq 1.6 subset
// that builds a record's partition keys, e.g. the developer guide's
//
//   {customer_id: .customer_id, device: .type.device,
//    year: .event_timestamp | strftime("%Y")}
//
// Grammar (whitespace allowed between tokens, not inside a path):
//   query  := '{' field (',' field)* '}'
//   field  := key ':' pipe | key              {a} is {a: .a}
//   key    := ident | string
//   pipe   := stage ('|' stage)*
//   stage  := path | 'tostring' | 'strftime' '(' string ')'
//   path   := '.' [name] suffix*               "." alone is the input
//   name   := ident | string
//   suffix := '.' name | '[' string ']' | '[' integer ']'
//   ident  := [A-Za-z_][A-Za-z0-9_]*   string := a JSON string literal
// As in jq: a path through null or a missing key gives null, a negative
// index counts from the end, strftime formats epoch seconds in UTC. Anything
// else jq has (other functions, operators, string interpolation, variables)
// is refused at parse time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace tarn::firehose {

// Partition key name -> value, as PrefixTemplate::Values takes them.
using PartitionKeys = std::map<std::string, std::string>;

// A parsed query. Immutable and thread-safe once built.
class MetadataExtractionQuery {
 public:
  // At CreateDeliveryStream: InvalidArgument naming the problem and its
  // offset, e.g. "MetadataExtractionQuery: 'ascii_downcase' at offset 12 is
  // not supported (...)". Duplicate keys are refused too.
  static Result<MetadataExtractionQuery> Parse(std::string_view query);

  // The keys the query builds, in the query's order.
  const std::vector<std::string>& Keys() const { return keys_; }

  // The partition keys of one record. Strings come without quotes, numbers
  // and booleans as jq prints them (1565382027, 2.5, true). InvalidArgument,
  // and the record goes to partitioning-failed, when the record is not JSON,
  // a path indexes a value of the wrong type, strftime gets a non-number, or
  // a key's value is null, missing, an object or an array.
  Result<PartitionKeys> Evaluate(std::string_view record) const;

 private:
  struct Key {
    std::string name;
  };
  struct Index {
    int64_t index;
  };
  struct Strftime {
    std::string format;
  };
  struct ToString {};
  // A path is a run of Key/Index steps; a pipe is the list of all steps.
  using Step = std::variant<Key, Index, Strftime, ToString>;
  struct Field {
    std::string key;
    std::vector<Step> steps;
  };
  class Parser;

  std::vector<std::string> keys_;
  std::vector<Field> fields_;
};

}  // namespace tarn::firehose
