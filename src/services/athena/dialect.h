// Athena's SQL (Trino's dialect) as DuckDB takes it. Most of a common query
// is the same in both (double-quoted identifiers, ROW and ARRAY literals,
// CAST, TRY_CAST, date_trunc, date_diff, arbitrary, ...); this rewrites the
// functions that differ, outside string literals, quoted identifiers and
// comments:
//
//   approx_distinct(x)            approx_count_distinct(x)
//   array_join(a, sep)            array_to_string(a, sep)
//   cardinality(a)                len(a)
//   regexp_like(s, p)             regexp_matches(s, p)
//   json_extract_scalar(j, p)     json_extract_string(j, p)
//   to_unixtime(t)                epoch(t)
//   from_unixtime(n)              to_timestamp(n)
//   from_iso8601_timestamp(s)     CAST(s AS TIMESTAMPTZ)
//   from_iso8601_date(s)          CAST(s AS DATE)
//   date_parse(s, 'fmt')          strptime(s, 'fmt')   \ MySQL-style formats
//   date_format(t, 'fmt')         strftime(t, 'fmt')   / (%i, %s, %T, %M...) converted
//
// A date_parse / date_format whose format is not a literal is refused,
// naming it: DuckDB needs the format when it plans the query.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tarn::athena {

Result<std::string> TranslateDialect(std::string_view sql);

// A Trino / MySQL date format ("%Y-%m-%d %H:%i:%s") as strftime's.
std::string TranslateDateFormat(std::string_view trino);

}  // namespace tarn::athena
