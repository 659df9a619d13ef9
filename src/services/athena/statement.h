// The statements the Athena service handles itself, without the engine:
//
//   PREPARE <name> FROM <statement>
//   EXECUTE <name> [USING <literal> [, <literal>]...]
//   DEALLOCATE PREPARE <name>
//
// Leading whitespace and comments (-- to end of line, /* ... */) are
// skipped, keywords are case-insensitive, one trailing ';' is allowed.
// USING literals are kept as written ('it''s', 42, -1.5e3, DATE
// '2024-01-01', NULL, TRUE): the runner binds them to the prepared
// statement's ? markers in order, as it does ExecutionParameters.
//
// Anything else is kOther: the engine's to parse. StatementTypeOf guesses
// what GetQueryExecution reports while the query is queued (the runner's
// outcome has the last word).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::athena {

struct ParsedStatement {
  enum Kind { kOther, kPrepare, kExecute, kDeallocate } kind = kOther;
  std::string name;                     // kPrepare, kExecute, kDeallocate
  std::string body;                     // kPrepare: the statement after FROM
  std::vector<std::string> parameters;  // kExecute: the USING literals
};

// InvalidRequestException for a PREPARE/EXECUTE/DEALLOCATE that is
// malformed (no name, EXECUTE ... USING with nothing after it, an
// unterminated string).
Result<ParsedStatement> ParseStatement(std::string_view sql);

// DML (SELECT, WITH, INSERT, VALUES, UPDATE, DELETE, MERGE, TABLE), DDL
// (CREATE, DROP, ALTER, MSCK, SHOW, DESCRIBE, DESC) or UTILITY.
std::string StatementTypeOf(std::string_view sql);

}  // namespace tarn::athena
