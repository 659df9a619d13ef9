# cmake -DBINARY=<file> -P check_no_duckdb.cmake
# Fails if <file> needs libduckdb.so at load time (directly or through any of
# its libraries): DuckDB must come only from the dlopen()ed query module.
if(NOT BINARY OR NOT EXISTS "${BINARY}")
  message(FATAL_ERROR "no such binary: '${BINARY}'")
endif()
execute_process(COMMAND ldd "${BINARY}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ldd ${BINARY} failed (${rc}): ${err}")
endif()
if(out MATCHES "duckdb")
  message(FATAL_ERROR "${BINARY} links DuckDB; only libtarn_query.so may:\n${out}")
endif()
message(STATUS "${BINARY}: no DuckDB among its libraries")
