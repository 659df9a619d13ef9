#include "services/glue/glue_store.h"

#include <nlohmann/json.hpp>

namespace tarn::glue {

using storage::Conn;
using storage::Stmt;
using Json = nlohmann::json;

namespace {

// Schema history: step i moves the schema from version i to i+1
// (docs/glue-catalog.md §Tables). Columns a scan filters on come before the
// documents, so SQLite reads a document's overflow pages only when asked.
const std::vector<std::string> kSchema = {
    R"sql(
CREATE TABLE glue_databases(
  name TEXT PRIMARY KEY,
  create_ms INTEGER NOT NULL,
  tags TEXT NOT NULL,
  input TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE glue_tables(
  db TEXT NOT NULL,
  name TEXT NOT NULL,
  create_ms INTEGER NOT NULL,
  update_ms INTEGER NOT NULL,
  version INTEGER NOT NULL,
  partition_count INTEGER NOT NULL,
  tags TEXT NOT NULL,
  input TEXT NOT NULL,
  PRIMARY KEY(db, name)
) WITHOUT ROWID;
CREATE TABLE glue_table_versions(
  db TEXT NOT NULL,
  tbl TEXT NOT NULL,
  version INTEGER NOT NULL,
  update_ms INTEGER NOT NULL,
  input TEXT NOT NULL,
  PRIMARY KEY(db, tbl, version)
) WITHOUT ROWID;
CREATE TABLE glue_partitions(
  db TEXT NOT NULL,
  tbl TEXT NOT NULL,
  pkey TEXT NOT NULL,
  segment INTEGER NOT NULL,
  create_ms INTEGER NOT NULL,
  input TEXT NOT NULL,
  PRIMARY KEY(db, tbl, pkey)
) WITHOUT ROWID;
CREATE TABLE glue_column_stats(
  db TEXT NOT NULL,
  tbl TEXT NOT NULL,
  pkey TEXT NOT NULL,
  col TEXT NOT NULL,
  stats TEXT NOT NULL,
  PRIMARY KEY(db, tbl, pkey, col)
) WITHOUT ROWID;
)sql",
};

// Segments are stored as hash % 2520: 2520 is divisible by every
// TotalSegments Glue allows (1..10), so segment % total is hash % total.
constexpr int kSegmentModulus = 2520;

Status NotFoundDb(const std::string& db) {
  return NotFound("Database " + db + " not found.", "EntityNotFoundException");
}
Status NotFoundTable(const std::string& db, const std::string& t) {
  return NotFound("Table " + t + " not found in database " + db + ".", "EntityNotFoundException");
}
Status NotFoundPartition() { return NotFound("Partition not found.", "EntityNotFoundException"); }
Status LimitExceeded(std::string what) {
  return ResourceExhausted(std::move(what), "ResourceNumberLimitExceededException");
}

std::string EncodeTags(const Tags& tags) {
  Json j = Json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j.dump();
}

Tags DecodeTags(std::string_view text) {
  Tags tags;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return tags;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) tags[it.key()] = it.value().get<std::string>();
  }
  return tags;
}

Result<bool> DatabaseExists(Conn& c, const std::string& db) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT 1 FROM glue_databases WHERE name = ?1"));
  s->Bind(1, db);
  return s->Step();
}

// The table's current version and partition count; EntityNotFound when absent.
struct TableState {
  int64_t version = 0;
  int64_t partitions = 0;
};

Result<TableState> LoadTableState(Conn& c, const std::string& db, const std::string& t) {
  TARN_ASSIGN_OR_RETURN(bool db_exists, DatabaseExists(c, db));
  if (!db_exists) return NotFoundDb(db);
  TARN_ASSIGN_OR_RETURN(
      Stmt * s,
      c.Prepare("SELECT version, partition_count FROM glue_tables WHERE db = ?1 AND name = ?2"));
  s->Bind(1, db).Bind(2, t);
  TARN_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFoundTable(db, t);
  return TableState{s->Int64(0), s->Int64(1)};
}

Status AddPartitionCount(Conn& c, const std::string& db, const std::string& t, int64_t delta) {
  if (delta == 0) return Status::OK();
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("UPDATE glue_tables SET partition_count = "
                                            "partition_count + ?3 WHERE db = ?1 AND name = ?2"));
  s->Bind(1, db).Bind(2, t).Bind(3, delta);
  return s->Exec();
}

TableRow ReadTable(Stmt* s) {
  // Columns: db, name, create_ms, update_ms, version, tags, input.
  TableRow r;
  r.database = std::string(s->Text(0));
  r.name = std::string(s->Text(1));
  r.create_ms = s->Int64(2);
  r.update_ms = s->Int64(3);
  r.version = s->Int64(4);
  r.tags = DecodeTags(s->Text(5));
  r.input = std::string(s->Text(6));
  return r;
}

constexpr const char* kTableColumns = "db, name, create_ms, update_ms, version, tags, input";

// Removes everything below a table (not the table row itself).
Status DeleteTableContents(Conn& c, const std::string& db, const std::string& t) {
  for (const char* sql : {"DELETE FROM glue_table_versions WHERE db = ?1 AND tbl = ?2",
                          "DELETE FROM glue_partitions WHERE db = ?1 AND tbl = ?2",
                          "DELETE FROM glue_column_stats WHERE db = ?1 AND tbl = ?2"}) {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
    s->Bind(1, db).Bind(2, t);
    TARN_RETURN_IF_ERROR(s->Exec());
  }
  return Status::OK();
}

class StmtPartitionCursor : public PartitionCursor {
 public:
  explicit StmtPartitionCursor(Stmt* s) : s_(s) {}
  std::string_view key() const override { return s_->Text(0); }
  UnixMillis create_ms() const override { return s_->Int64(1); }
  std::string_view input() const override { return s_->Text(2); }

 private:
  Stmt* s_;
};

}  // namespace

int GlueStore::SegmentOf(const std::string& key, int total) {
  // FNV-1a: stable across builds and platforms, unlike std::hash.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  int stored = static_cast<int>(h % kSegmentModulus);
  return total <= 1 ? 0 : stored % total;
}

Status GlueStore::Migrate() { return meta_->Migrate("glue", kSchema); }

// --- Databases -------------------------------------------------------------------

Status GlueStore::CreateDatabase(const DatabaseRow& row) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool exists, DatabaseExists(c, row.name));
    if (exists) return AlreadyExists("Database already exists.", "AlreadyExistsException");
    TARN_ASSIGN_OR_RETURN(Stmt * n, c.Prepare("SELECT COUNT(*) FROM glue_databases"));
    TARN_ASSIGN_OR_RETURN(bool got, n->Step());
    if (got && n->Int64(0) >= limits_.databases) {
      return LimitExceeded("The catalog already has " + std::to_string(limits_.databases) +
                           " databases, the most it may have.");
    }
    TARN_ASSIGN_OR_RETURN(
        Stmt * s,
        c.Prepare(
            "INSERT INTO glue_databases(name, create_ms, tags, input) VALUES(?1, ?2, ?3, ?4)"));
    s->Bind(1, row.name).Bind(2, row.create_ms).Bind(3, EncodeTags(row.tags)).Bind(4, row.input);
    return s->Exec();
  });
}

Result<DatabaseRow> GlueStore::GetDatabase(const std::string& name) {
  DatabaseRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(
        Stmt * s,
        c.Prepare("SELECT name, create_ms, tags, input FROM glue_databases WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return NotFoundDb(name);
    r.name = std::string(s->Text(0));
    r.create_ms = s->Int64(1);
    r.tags = DecodeTags(s->Text(2));
    r.input = std::string(s->Text(3));
    return Status::OK();
  }));
  return r;
}

Result<std::vector<DatabaseRow>> GlueStore::ListDatabases(const std::string& after, int limit) {
  std::vector<DatabaseRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("SELECT name, create_ms, tags, input FROM glue_databases WHERE "
                                    "name > ?1 ORDER BY name LIMIT ?2"));
    s->Bind(1, after).Bind(2, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      DatabaseRow r;
      r.name = std::string(s->Text(0));
      r.create_ms = s->Int64(1);
      r.tags = DecodeTags(s->Text(2));
      r.input = std::string(s->Text(3));
      out.push_back(std::move(r));
    }
    return Status::OK();
  }));
  return out;
}

Status GlueStore::UpdateDatabase(const std::string& name, const std::string& input) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("UPDATE glue_databases SET input = ?2 WHERE name = ?1"));
    s->Bind(1, name).Bind(2, input);
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return NotFoundDb(name);
    return Status::OK();
  });
}

Status GlueStore::DeleteDatabase(const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * d, c.Prepare("DELETE FROM glue_databases WHERE name = ?1"));
    d->Bind(1, name);
    TARN_RETURN_IF_ERROR(d->Exec());
    if (c.Changes() == 0) return NotFoundDb(name);
    for (const char* sql :
         {"DELETE FROM glue_tables WHERE db = ?1", "DELETE FROM glue_table_versions WHERE db = ?1",
          "DELETE FROM glue_partitions WHERE db = ?1",
          "DELETE FROM glue_column_stats WHERE db = ?1"}) {
      TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
      s->Bind(1, name);
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

// --- Tables ----------------------------------------------------------------------

Status GlueStore::CreateTable(const TableRow& row) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool db_exists, DatabaseExists(c, row.database));
    if (!db_exists) return NotFoundDb(row.database);
    TARN_ASSIGN_OR_RETURN(Stmt * e,
                          c.Prepare("SELECT 1 FROM glue_tables WHERE db = ?1 AND name = ?2"));
    e->Bind(1, row.database).Bind(2, row.name);
    TARN_ASSIGN_OR_RETURN(bool exists, e->Step());
    if (exists) return AlreadyExists("Table already exists.", "AlreadyExistsException");
    TARN_ASSIGN_OR_RETURN(Stmt * n, c.Prepare("SELECT COUNT(*) FROM glue_tables WHERE db = ?1"));
    n->Bind(1, row.database);
    TARN_ASSIGN_OR_RETURN(bool got, n->Step());
    if (got && n->Int64(0) >= limits_.tables_per_database) {
      return LimitExceeded("Database " + row.database + " already has " +
                           std::to_string(limits_.tables_per_database) +
                           " tables, the most it may have.");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("INSERT INTO glue_tables(db, name, create_ms, "
                                              "update_ms, version, partition_count, tags, input) "
                                              "VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)"));
    s->Bind(1, row.database).Bind(2, row.name).Bind(3, row.create_ms).Bind(4, row.update_ms);
    s->Bind(5, row.version).Bind(6, EncodeTags(row.tags)).Bind(7, row.input);
    TARN_RETURN_IF_ERROR(s->Exec());
    // Leftovers of an earlier table of the same name were removed with it;
    // clearing again costs nothing and keeps a new table clean regardless.
    TARN_RETURN_IF_ERROR(DeleteTableContents(c, row.database, row.name));
    TARN_ASSIGN_OR_RETURN(Stmt * v, c.Prepare("INSERT INTO glue_table_versions(db, tbl, version, "
                                              "update_ms, input) VALUES(?1, ?2, ?3, ?4, ?5)"));
    v->Bind(1, row.database)
        .Bind(2, row.name)
        .Bind(3, row.version)
        .Bind(4, row.update_ms)
        .Bind(5, row.input);
    return v->Exec();
  });
}

Result<TableRow> GlueStore::GetTable(const std::string& db, const std::string& name) {
  TableRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kTableColumns +
                                              " FROM glue_tables WHERE db = ?1 AND name = ?2"));
    s->Bind(1, db).Bind(2, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) {
      TARN_ASSIGN_OR_RETURN(bool db_exists, DatabaseExists(c, db));
      return db_exists ? NotFoundTable(db, name) : NotFoundDb(db);
    }
    r = ReadTable(s);
    return Status::OK();
  }));
  return r;
}

Status GlueStore::ScanTables(const std::string& db, const std::string& after,
                             const std::function<bool(const TableRow&)>& fn) {
  return meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool db_exists, DatabaseExists(c, db));
    if (!db_exists) return NotFoundDb(db);
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare(std::string("SELECT ") + kTableColumns +
                                    " FROM glue_tables WHERE db = ?1 AND name > ?2 ORDER BY name"));
    s->Bind(1, db).Bind(2, after);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row || !fn(ReadTable(s))) return Status::OK();
    }
  });
}

Status GlueStore::ScanAllTables(const std::function<bool(const TableRow&)>& fn) {
  return meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kTableColumns +
                                              " FROM glue_tables ORDER BY db, name"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row || !fn(ReadTable(s))) return Status::OK();
    }
  });
}

Result<int64_t> GlueStore::UpdateTable(const std::string& db, const std::string& name,
                                       const std::string& input,
                                       std::optional<int64_t> expected_version, bool skip_archive,
                                       UnixMillis now) {
  int64_t next = 0;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(TableState st, LoadTableState(c, db, name));
    if (expected_version && *expected_version != st.version) {
      return Status(Code::kAborted,
                    "Update table failed due to concurrent modifications: table " + name +
                        " is at version " + std::to_string(st.version) + ", not " +
                        std::to_string(*expected_version) + ". Read it again and retry.",
                    "ConcurrentModificationException");
    }
    if (skip_archive) {
      TARN_ASSIGN_OR_RETURN(
          Stmt * d,
          c.Prepare("DELETE FROM glue_table_versions WHERE db = ?1 AND tbl = ?2 AND version = ?3"));
      d->Bind(1, db).Bind(2, name).Bind(3, st.version);
      TARN_RETURN_IF_ERROR(d->Exec());
    } else {
      TARN_ASSIGN_OR_RETURN(
          Stmt * n,
          c.Prepare("SELECT COUNT(*) FROM glue_table_versions WHERE db = ?1 AND tbl = ?2"));
      n->Bind(1, db).Bind(2, name);
      TARN_ASSIGN_OR_RETURN(bool got, n->Step());
      if (got && n->Int64(0) >= limits_.versions_per_table) {
        return LimitExceeded(
            "Table " + name + " already has " + std::to_string(limits_.versions_per_table) +
            " versions, the most it may keep; delete old ones (BatchDeleteTableVersion) "
            "or update with SkipArchive.");
      }
    }
    next = st.version + 1;
    TARN_ASSIGN_OR_RETURN(Stmt * v, c.Prepare("INSERT INTO glue_table_versions(db, tbl, version, "
                                              "update_ms, input) VALUES(?1, ?2, ?3, ?4, ?5)"));
    v->Bind(1, db).Bind(2, name).Bind(3, next).Bind(4, now).Bind(5, input);
    TARN_RETURN_IF_ERROR(v->Exec());
    TARN_ASSIGN_OR_RETURN(Stmt * u, c.Prepare("UPDATE glue_tables SET input = ?3, update_ms = ?4, "
                                              "version = ?5 WHERE db = ?1 AND name = ?2"));
    u->Bind(1, db).Bind(2, name).Bind(3, input).Bind(4, now).Bind(5, next);
    return u->Exec();
  }));
  return next;
}

Status GlueStore::DeleteTable(const std::string& db, const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, name));
    TARN_ASSIGN_OR_RETURN(Stmt * d,
                          c.Prepare("DELETE FROM glue_tables WHERE db = ?1 AND name = ?2"));
    d->Bind(1, db).Bind(2, name);
    TARN_RETURN_IF_ERROR(d->Exec());
    return DeleteTableContents(c, db, name);
  });
}

// --- Versions --------------------------------------------------------------------

Result<std::vector<TableVersionRow>> GlueStore::ListVersions(const std::string& db,
                                                             const std::string& table,
                                                             std::optional<int64_t> below,
                                                             int limit) {
  std::vector<TableVersionRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(
        Stmt * s,
        c.Prepare(
            "SELECT version, update_ms, input FROM glue_table_versions WHERE db = ?1 AND tbl = ?2 "
            "AND version < ?3 ORDER BY version DESC LIMIT ?4"));
    s->Bind(1, db)
        .Bind(2, table)
        .Bind(3, below.value_or(INT64_MAX))
        .Bind(4, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(TableVersionRow{s->Int64(0), std::string(s->Text(2)), s->Int64(1)});
    }
    return Status::OK();
  }));
  return out;
}

Result<TableVersionRow> GlueStore::GetVersion(const std::string& db, const std::string& table,
                                              int64_t version) {
  TableVersionRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("SELECT version, update_ms, input FROM glue_table_versions "
                                    "WHERE db = ?1 AND tbl = ?2 AND version = ?3"));
    s->Bind(1, db).Bind(2, table).Bind(3, version);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) {
      return NotFound("Version " + std::to_string(version) + " of table " + table + " not found.",
                      "EntityNotFoundException");
    }
    r = TableVersionRow{s->Int64(0), std::string(s->Text(2)), s->Int64(1)};
    return Status::OK();
  }));
  return r;
}

Status GlueStore::DeleteVersion(const std::string& db, const std::string& table, int64_t version) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(TableState st, LoadTableState(c, db, table));
    if (version == st.version) {
      return InvalidArgument("Version " + std::to_string(version) +
                                 " is the current version of table " + table +
                                 " and cannot be deleted.",
                             "InvalidInputException");
    }
    TARN_ASSIGN_OR_RETURN(
        Stmt * d,
        c.Prepare("DELETE FROM glue_table_versions WHERE db = ?1 AND tbl = ?2 AND version = ?3"));
    d->Bind(1, db).Bind(2, table).Bind(3, version);
    TARN_RETURN_IF_ERROR(d->Exec());
    if (c.Changes() == 0) {
      return NotFound("Version " + std::to_string(version) + " of table " + table + " not found.",
                      "EntityNotFoundException");
    }
    return Status::OK();
  });
}

// --- Partitions ------------------------------------------------------------------

Result<std::vector<Status>> GlueStore::CreatePartitions(const std::string& db,
                                                        const std::string& table,
                                                        const std::vector<PartitionRow>& rows) {
  std::vector<Status> results(rows.size());
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    std::fill(results.begin(), results.end(), Status::OK());
    TARN_ASSIGN_OR_RETURN(TableState st, LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(
        Stmt * s,
        c.Prepare("INSERT OR IGNORE INTO glue_partitions(db, tbl, pkey, segment, create_ms, input) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    int64_t added = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (st.partitions + added >= limits_.partitions_per_table) {
        results[i] = LimitExceeded("Table " + table + " already has " +
                                   std::to_string(limits_.partitions_per_table) +
                                   " partitions, the most it may have.");
        continue;
      }
      s->Reset();
      s->Bind(1, db).Bind(2, table).Bind(3, rows[i].key);
      s->Bind(4, static_cast<int64_t>(SegmentOf(rows[i].key, kSegmentModulus)));
      s->Bind(5, rows[i].create_ms).Bind(6, rows[i].input);
      TARN_RETURN_IF_ERROR(s->Exec());
      if (c.Changes() == 0) {
        results[i] = AlreadyExists("Partition already exists.", "AlreadyExistsException");
      } else {
        ++added;
      }
    }
    return AddPartitionCount(c, db, table, added);
  }));
  return results;
}

Result<PartitionRow> GlueStore::GetPartition(const std::string& db, const std::string& table,
                                             const std::string& key) {
  PartitionRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT pkey, create_ms, input FROM glue_partitions "
                                              "WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
    s->Bind(1, db).Bind(2, table).Bind(3, key);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return NotFoundPartition();
    r.key = std::string(s->Text(0));
    r.create_ms = s->Int64(1);
    r.input = std::string(s->Text(2));
    return Status::OK();
  }));
  return r;
}

Status GlueStore::ScanPartitions(const std::string& db, const std::string& table,
                                 const std::string& after, int segment, int total_segments,
                                 const std::function<bool(const PartitionCursor&)>& fn) {
  return meta_->Read([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT pkey, create_ms, input FROM glue_partitions "
                                              "WHERE db = ?1 AND tbl = ?2 AND pkey > ?3 "
                                              "AND segment % ?4 = ?5 ORDER BY pkey"));
    s->Bind(1, db).Bind(2, table).Bind(3, after);
    s->Bind(4, static_cast<int64_t>(std::max(1, total_segments)))
        .Bind(5, static_cast<int64_t>(segment));
    StmtPartitionCursor cursor(s);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row || !fn(cursor)) return Status::OK();
    }
  });
}

Status GlueStore::UpdatePartition(const std::string& db, const std::string& table,
                                  const std::string& key, const std::string& new_key,
                                  const std::string& input) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(Stmt * u,
                          c.Prepare("UPDATE glue_partitions SET pkey = ?4, segment = ?5, input = "
                                    "?6 WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
    u->Bind(1, db).Bind(2, table).Bind(3, key).Bind(4, new_key);
    u->Bind(5, static_cast<int64_t>(SegmentOf(new_key, kSegmentModulus))).Bind(6, input);
    Status st = u->Exec();
    if (st.code() == Code::kAlreadyExists) {
      return AlreadyExists("A partition with the new values already exists.",
                           "AlreadyExistsException");
    }
    TARN_RETURN_IF_ERROR(st);
    if (c.Changes() == 0) return NotFoundPartition();
    if (new_key != key) {
      // The statistics follow the partition to its new values.
      TARN_ASSIGN_OR_RETURN(
          Stmt * s,
          c.Prepare(
              "UPDATE glue_column_stats SET pkey = ?4 WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
      s->Bind(1, db).Bind(2, table).Bind(3, key).Bind(4, new_key);
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

Result<std::vector<Status>> GlueStore::DeletePartitions(const std::string& db,
                                                        const std::string& table,
                                                        const std::vector<std::string>& keys) {
  std::vector<Status> results(keys.size());
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    std::fill(results.begin(), results.end(), Status::OK());
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(
        Stmt * d,
        c.Prepare("DELETE FROM glue_partitions WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
    TARN_ASSIGN_OR_RETURN(
        Stmt * ds,
        c.Prepare("DELETE FROM glue_column_stats WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
    int64_t removed = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      d->Reset();
      d->Bind(1, db).Bind(2, table).Bind(3, keys[i]);
      TARN_RETURN_IF_ERROR(d->Exec());
      if (c.Changes() == 0) {
        results[i] = NotFoundPartition();
        continue;
      }
      ++removed;
      ds->Reset();
      ds->Bind(1, db).Bind(2, table).Bind(3, keys[i]);
      TARN_RETURN_IF_ERROR(ds->Exec());
    }
    return AddPartitionCount(c, db, table, -removed);
  }));
  return results;
}

// --- Column statistics -----------------------------------------------------------

Status GlueStore::PutColumnStatistics(
    const std::string& db, const std::string& table, const std::string& partition_key,
    const std::vector<std::pair<std::string, std::string>>& stats) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    if (!partition_key.empty()) {
      TARN_ASSIGN_OR_RETURN(
          Stmt * p,
          c.Prepare("SELECT 1 FROM glue_partitions WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
      p->Bind(1, db).Bind(2, table).Bind(3, partition_key);
      TARN_ASSIGN_OR_RETURN(bool exists, p->Step());
      if (!exists) return NotFoundPartition();
    }
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("INSERT OR REPLACE INTO glue_column_stats(db, tbl, "
                                              "pkey, col, stats) VALUES(?1, ?2, ?3, ?4, ?5)"));
    for (const auto& [col, doc] : stats) {
      s->Reset();
      s->Bind(1, db).Bind(2, table).Bind(3, partition_key).Bind(4, col).Bind(5, doc);
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

Result<std::map<std::string, std::string>> GlueStore::GetColumnStatistics(
    const std::string& db, const std::string& table, const std::string& partition_key,
    const std::vector<std::string>& columns) {
  std::map<std::string, std::string> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    if (!partition_key.empty()) {
      TARN_ASSIGN_OR_RETURN(
          Stmt * p,
          c.Prepare("SELECT 1 FROM glue_partitions WHERE db = ?1 AND tbl = ?2 AND pkey = ?3"));
      p->Bind(1, db).Bind(2, table).Bind(3, partition_key);
      TARN_ASSIGN_OR_RETURN(bool exists, p->Step());
      if (!exists) return NotFoundPartition();
    }
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT stats FROM glue_column_stats WHERE db = ?1 "
                                              "AND tbl = ?2 AND pkey = ?3 AND col = ?4"));
    for (const std::string& col : columns) {
      s->Reset();
      s->Bind(1, db).Bind(2, table).Bind(3, partition_key).Bind(4, col);
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) out[col] = std::string(s->Text(0));
    }
    return Status::OK();
  }));
  return out;
}

Status GlueStore::DeleteColumnStatistics(const std::string& db, const std::string& table,
                                         const std::string& partition_key,
                                         const std::string& column) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(LoadTableState(c, db, table));
    TARN_ASSIGN_OR_RETURN(
        Stmt * d,
        c.Prepare(
            "DELETE FROM glue_column_stats WHERE db = ?1 AND tbl = ?2 AND pkey = ?3 AND col = ?4"));
    d->Bind(1, db).Bind(2, table).Bind(3, partition_key).Bind(4, column);
    TARN_RETURN_IF_ERROR(d->Exec());
    if (c.Changes() == 0) {
      return NotFound("No statistics for column " + column + ".", "EntityNotFoundException");
    }
    return Status::OK();
  });
}

// --- Tags ------------------------------------------------------------------------

Result<Tags> GlueStore::GetTags(const std::string& db, const std::string& table) {
  Tags tags;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    Stmt* s = nullptr;
    if (table.empty()) {
      TARN_ASSIGN_OR_RETURN(s, c.Prepare("SELECT tags FROM glue_databases WHERE name = ?1"));
      s->Bind(1, db);
    } else {
      TARN_ASSIGN_OR_RETURN(s,
                            c.Prepare("SELECT tags FROM glue_tables WHERE db = ?1 AND name = ?2"));
      s->Bind(1, db).Bind(2, table);
    }
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return table.empty() ? NotFoundDb(db) : NotFoundTable(db, table);
    tags = DecodeTags(s->Text(0));
    return Status::OK();
  }));
  return tags;
}

Status GlueStore::ChangeTags(const std::string& db, const std::string& table, const Tags& add,
                             const std::vector<std::string>& remove) {
  return meta_->Write([&](Conn& c) -> Status {
    Stmt* s = nullptr;
    if (table.empty()) {
      TARN_ASSIGN_OR_RETURN(s, c.Prepare("SELECT tags FROM glue_databases WHERE name = ?1"));
      s->Bind(1, db);
    } else {
      TARN_ASSIGN_OR_RETURN(s,
                            c.Prepare("SELECT tags FROM glue_tables WHERE db = ?1 AND name = ?2"));
      s->Bind(1, db).Bind(2, table);
    }
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return table.empty() ? NotFoundDb(db) : NotFoundTable(db, table);
    Tags tags = DecodeTags(s->Text(0));
    for (const auto& [k, v] : add) tags[k] = v;
    for (const std::string& k : remove) tags.erase(k);
    if (tags.size() > 50) {
      return InvalidArgument("A resource may have at most 50 tags; this change would leave " +
                                 std::to_string(tags.size()) + ".",
                             "InvalidInputException");
    }
    Stmt* u = nullptr;
    if (table.empty()) {
      TARN_ASSIGN_OR_RETURN(u, c.Prepare("UPDATE glue_databases SET tags = ?2 WHERE name = ?1"));
      u->Bind(1, db).Bind(2, EncodeTags(tags));
    } else {
      TARN_ASSIGN_OR_RETURN(
          u, c.Prepare("UPDATE glue_tables SET tags = ?3 WHERE db = ?1 AND name = ?2"));
      u->Bind(1, db).Bind(2, table).Bind(3, EncodeTags(tags));
    }
    return u->Exec();
  });
}

}  // namespace tarn::glue
