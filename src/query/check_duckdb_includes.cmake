# cmake -DSRC=<src dir> -P check_duckdb_includes.cmake
# Fails if a DuckDB header is included outside src/query/, or by the files of
# src/query/ that the program itself compiles (the loader and the interface
# headers): DuckDB belongs to the module alone.
file(GLOB_RECURSE files "${SRC}/*.h" "${SRC}/*.hpp" "${SRC}/*.cc" "${SRC}/*.cpp")
set(bad "")
foreach(f IN LISTS files)
  file(STRINGS "${f}" hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]duckdb")
  if(NOT hits)
    continue()
  endif()
  if(f MATCHES "^${SRC}/query/" AND
     NOT f MATCHES "/query/(query_loader\\.(h|cc)|query_engine\\.h|query_module\\.h)$")
    continue()
  endif()
  list(APPEND bad "${f}")
endforeach()
if(bad)
  list(JOIN bad "\n  " bad_text)
  message(FATAL_ERROR "DuckDB headers included where the program would compile them:\n  ${bad_text}")
endif()
list(LENGTH files n)
message(STATUS "checked ${n} files: DuckDB headers only in the query module")
