#include "services/athena/athena_store.h"

#include <nlohmann/json.hpp>

namespace tarn::athena {

using storage::Conn;
using storage::Stmt;
using Json = nlohmann::json;

namespace {

// Schema history of component "athena" (docs/athena.md §Tables): step i
// moves it from version i to i+1.
const std::vector<std::string> kSchema = {
    R"sql(
CREATE TABLE athena_workgroups(
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  description TEXT NOT NULL,
  configuration TEXT NOT NULL,
  create_ms INTEGER NOT NULL,
  tags TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE athena_named_queries(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workgroup TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  database TEXT NOT NULL,
  query TEXT NOT NULL,
  client_token TEXT NOT NULL,
  create_ms INTEGER NOT NULL
);
CREATE INDEX athena_named_queries_by_workgroup ON athena_named_queries(workgroup, seq);
CREATE TABLE athena_prepared_statements(
  workgroup TEXT NOT NULL,
  name TEXT NOT NULL,
  query TEXT NOT NULL,
  description TEXT NOT NULL,
  update_ms INTEGER NOT NULL,
  PRIMARY KEY(workgroup, name)
) WITHOUT ROWID;
CREATE TABLE athena_queries(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workgroup TEXT NOT NULL,
  query TEXT NOT NULL,
  statement_type TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  error_category INTEGER NOT NULL,
  error_type INTEGER NOT NULL,
  submit_ms INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  request TEXT NOT NULL,
  outcome TEXT NOT NULL,
  client_token TEXT NOT NULL
);
CREATE INDEX athena_queries_by_workgroup ON athena_queries(workgroup, seq);
CREATE INDEX athena_queries_by_state ON athena_queries(state);
CREATE INDEX athena_queries_by_token ON athena_queries(client_token) WHERE client_token != '';
)sql",
};

Status InvalidRequest(std::string message) {
  return InvalidArgument(std::move(message), "InvalidRequestException");
}

Status WorkGroupNotFound(const std::string& name) {
  return InvalidRequest("WorkGroup " + name + " is not found.");
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

constexpr const char* kWorkGroupColumns =
    "name, state, description, configuration, create_ms, tags";

WorkGroupRow ReadWorkGroup(Stmt* s) {
  WorkGroupRow r;
  r.name = std::string(s->Text(0));
  r.state = std::string(s->Text(1));
  r.description = std::string(s->Text(2));
  r.configuration = std::string(s->Text(3));
  r.create_ms = s->Int64(4);
  r.tags = DecodeTags(s->Text(5));
  return r;
}

constexpr const char* kNamedQueryColumns =
    "seq, id, workgroup, name, description, database, query, client_token, create_ms";

NamedQueryRow ReadNamedQuery(Stmt* s) {
  NamedQueryRow r;
  r.seq = s->Int64(0);
  r.id = std::string(s->Text(1));
  r.workgroup = std::string(s->Text(2));
  r.name = std::string(s->Text(3));
  r.description = std::string(s->Text(4));
  r.database = std::string(s->Text(5));
  r.query = std::string(s->Text(6));
  r.client_token = std::string(s->Text(7));
  r.create_ms = s->Int64(8);
  return r;
}

constexpr const char* kPreparedColumns = "workgroup, name, query, description, update_ms";

PreparedStatementRow ReadPrepared(Stmt* s) {
  PreparedStatementRow r;
  r.workgroup = std::string(s->Text(0));
  r.name = std::string(s->Text(1));
  r.query = std::string(s->Text(2));
  r.description = std::string(s->Text(3));
  r.update_ms = s->Int64(4);
  return r;
}

constexpr const char* kQueryColumns =
    "seq, id, workgroup, query, statement_type, state, reason, error_category, error_type, "
    "submit_ms, start_ms, end_ms, request, outcome, client_token";

QueryRow ReadQuery(Stmt* s) {
  QueryRow r;
  r.seq = s->Int64(0);
  r.id = std::string(s->Text(1));
  r.workgroup = std::string(s->Text(2));
  r.query = std::string(s->Text(3));
  r.statement_type = std::string(s->Text(4));
  r.state = std::string(s->Text(5));
  r.reason = std::string(s->Text(6));
  r.error_category = static_cast<int>(s->Int64(7));
  r.error_type = static_cast<int>(s->Int64(8));
  r.submit_ms = s->Int64(9);
  r.start_ms = s->Int64(10);
  r.end_ms = s->Int64(11);
  r.request = std::string(s->Text(12));
  r.outcome = std::string(s->Text(13));
  r.client_token = std::string(s->Text(14));
  return r;
}

Result<bool> Exists(Conn& c, const char* sql, const std::string& a, const std::string& b = {}) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
  s->Bind(1, a);
  if (!b.empty()) s->Bind(2, b);
  return s->Step();
}

}  // namespace

Status AthenaStore::Migrate(UnixMillis now) {
  TARN_RETURN_IF_ERROR(meta_->Migrate("athena", kSchema));
  // Every account has "primary"; it cannot be deleted, so creating it when
  // missing only ever happens once.
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(
        Stmt * s, c.Prepare(std::string("INSERT OR IGNORE INTO athena_workgroups(") +
                            kWorkGroupColumns + ") VALUES(?1, 'ENABLED', '', '{}', ?2, '{}')"));
    s->Bind(1, kPrimary).Bind(2, now);
    return s->Exec();
  });
}

// --- Workgroups ------------------------------------------------------------------

Status AthenaStore::CreateWorkGroup(const WorkGroupRow& row) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool exists,
                          Exists(c, "SELECT 1 FROM athena_workgroups WHERE name = ?1", row.name));
    if (exists) return InvalidRequest("WorkGroup is already created");
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare(std::string("INSERT INTO athena_workgroups(") +
                                    kWorkGroupColumns + ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    s->Bind(1, row.name).Bind(2, row.state).Bind(3, row.description).Bind(4, row.configuration);
    s->Bind(5, row.create_ms).Bind(6, EncodeTags(row.tags));
    return s->Exec();
  });
}

Result<WorkGroupRow> AthenaStore::GetWorkGroup(const std::string& name) {
  WorkGroupRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kWorkGroupColumns +
                                              " FROM athena_workgroups WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return WorkGroupNotFound(name);
    r = ReadWorkGroup(s);
    return Status::OK();
  }));
  return r;
}

Result<std::vector<WorkGroupRow>> AthenaStore::ListWorkGroups(const std::string& after, int limit) {
  std::vector<WorkGroupRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kWorkGroupColumns +
                                              " FROM athena_workgroups WHERE name > ?1 "
                                              "ORDER BY name LIMIT ?2"));
    s->Bind(1, after).Bind(2, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadWorkGroup(s));
    }
    return Status::OK();
  }));
  return out;
}

Status AthenaStore::UpdateWorkGroup(const WorkGroupRow& row) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("UPDATE athena_workgroups SET state = ?2, "
                                              "description = ?3, configuration = ?4 "
                                              "WHERE name = ?1"));
    s->Bind(1, row.name).Bind(2, row.state).Bind(3, row.description).Bind(4, row.configuration);
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return WorkGroupNotFound(row.name);
    return Status::OK();
  });
}

Status AthenaStore::DeleteWorkGroup(const std::string& name, bool recursive) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool exists,
                          Exists(c, "SELECT 1 FROM athena_workgroups WHERE name = ?1", name));
    if (!exists) return WorkGroupNotFound(name);
    if (!recursive) {
      TARN_ASSIGN_OR_RETURN(
          bool named, Exists(c, "SELECT 1 FROM athena_named_queries WHERE workgroup = ?1", name));
      TARN_ASSIGN_OR_RETURN(
          bool prepared,
          Exists(c, "SELECT 1 FROM athena_prepared_statements WHERE workgroup = ?1", name));
      if (named || prepared) {
        return InvalidRequest("WorkGroup " + name +
                              " is not empty: it has named queries or prepared statements. "
                              "Delete them first or set RecursiveDeleteOption.");
      }
    }
    for (const char* sql : {"DELETE FROM athena_workgroups WHERE name = ?1",
                            "DELETE FROM athena_named_queries WHERE workgroup = ?1",
                            "DELETE FROM athena_prepared_statements WHERE workgroup = ?1"}) {
      TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
      s->Bind(1, name);
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

Status AthenaStore::ChangeTags(const std::string& name, const Tags& add,
                               const std::vector<std::string>& remove) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("SELECT tags FROM athena_workgroups WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return WorkGroupNotFound(name);
    Tags tags = DecodeTags(s->Text(0));
    for (const auto& [k, v] : add) tags[k] = v;
    for (const std::string& k : remove) tags.erase(k);
    if (tags.size() > 50) return InvalidRequest("A resource may have at most 50 tags.");
    TARN_ASSIGN_OR_RETURN(Stmt * u,
                          c.Prepare("UPDATE athena_workgroups SET tags = ?2 WHERE name = ?1"));
    u->Bind(1, name).Bind(2, EncodeTags(tags));
    return u->Exec();
  });
}

// --- Named queries ---------------------------------------------------------------

Result<std::string> AthenaStore::CreateNamedQuery(const NamedQueryRow& row) {
  std::string id = row.id;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    if (!row.client_token.empty()) {
      TARN_ASSIGN_OR_RETURN(Stmt * t, c.Prepare(std::string("SELECT ") + kNamedQueryColumns +
                                                " FROM athena_named_queries "
                                                "WHERE client_token = ?1"));
      t->Bind(1, row.client_token);
      TARN_ASSIGN_OR_RETURN(bool found, t->Step());
      if (found) {
        NamedQueryRow old = ReadNamedQuery(t);
        if (old.name != row.name || old.query != row.query || old.database != row.database ||
            old.workgroup != row.workgroup || old.description != row.description) {
          return InvalidRequest(
              "ClientRequestToken was already used for a different named query.");
        }
        id = old.id;
        return Status::OK();
      }
    }
    TARN_ASSIGN_OR_RETURN(bool wg, Exists(c, "SELECT 1 FROM athena_workgroups WHERE name = ?1",
                                          row.workgroup));
    if (!wg) return WorkGroupNotFound(row.workgroup);
    TARN_ASSIGN_OR_RETURN(
        Stmt * s, c.Prepare("INSERT INTO athena_named_queries(id, workgroup, name, description, "
                            "database, query, client_token, create_ms) "
                            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    s->Bind(1, row.id).Bind(2, row.workgroup).Bind(3, row.name).Bind(4, row.description);
    s->Bind(5, row.database).Bind(6, row.query).Bind(7, row.client_token).Bind(8, row.create_ms);
    return s->Exec();
  }));
  return id;
}

Result<NamedQueryRow> AthenaStore::GetNamedQuery(const std::string& id) {
  NamedQueryRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kNamedQueryColumns +
                                              " FROM athena_named_queries WHERE id = ?1"));
    s->Bind(1, id);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return InvalidRequest("NamedQuery " + id + " was not found.");
    r = ReadNamedQuery(s);
    return Status::OK();
  }));
  return r;
}

Result<std::vector<NamedQueryRow>> AthenaStore::ListNamedQueries(const std::string& workgroup,
                                                                 int64_t after_seq, int limit) {
  std::vector<NamedQueryRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kNamedQueryColumns +
                                              " FROM athena_named_queries WHERE workgroup = ?1 "
                                              "AND seq > ?2 ORDER BY seq LIMIT ?3"));
    s->Bind(1, workgroup).Bind(2, after_seq).Bind(3, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadNamedQuery(s));
    }
    return Status::OK();
  }));
  return out;
}

Status AthenaStore::UpdateNamedQuery(const std::string& id, const std::string& name,
                                     const std::string& description, const std::string& query) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("UPDATE athena_named_queries SET name = ?2, "
                                              "description = ?3, query = ?4 WHERE id = ?1"));
    s->Bind(1, id).Bind(2, name).Bind(3, description).Bind(4, query);
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return InvalidRequest("NamedQuery " + id + " was not found.");
    return Status::OK();
  });
}

Status AthenaStore::DeleteNamedQuery(const std::string& id) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("DELETE FROM athena_named_queries WHERE id = ?1"));
    s->Bind(1, id);
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return InvalidRequest("NamedQuery " + id + " was not found.");
    return Status::OK();
  });
}

// --- Prepared statements ---------------------------------------------------------

namespace {

Status PreparedNotFound(const std::string& workgroup, const std::string& name) {
  return NotFound("Prepared statement " + name + " was not found in workgroup " + workgroup + ".",
                  "ResourceNotFoundException");
}

Status WritePrepared(Conn& c, const PreparedStatementRow& row) {
  TARN_ASSIGN_OR_RETURN(Stmt * s,
                        c.Prepare(std::string("INSERT OR REPLACE INTO athena_prepared_statements(") +
                                  kPreparedColumns + ") VALUES(?1, ?2, ?3, ?4, ?5)"));
  s->Bind(1, row.workgroup).Bind(2, row.name).Bind(3, row.query).Bind(4, row.description);
  s->Bind(5, row.update_ms);
  return s->Exec();
}

}  // namespace

Status AthenaStore::PutPreparedStatement(const PreparedStatementRow& row, PutMode mode) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool wg, Exists(c, "SELECT 1 FROM athena_workgroups WHERE name = ?1",
                                          row.workgroup));
    if (!wg) return WorkGroupNotFound(row.workgroup);
    TARN_ASSIGN_OR_RETURN(bool exists, Exists(c,
                                              "SELECT 1 FROM athena_prepared_statements "
                                              "WHERE workgroup = ?1 AND name = ?2",
                                              row.workgroup, row.name));
    if (mode == PutMode::kCreate && exists) {
      return InvalidRequest("Prepared statement " + row.name + " already exists in workgroup " +
                            row.workgroup + ".");
    }
    if (mode == PutMode::kUpdate && !exists) return PreparedNotFound(row.workgroup, row.name);
    return WritePrepared(c, row);
  });
}

Status AthenaStore::UpsertPreparedStatement(const PreparedStatementRow& row) {
  return meta_->Write([&](Conn& c) -> Status { return WritePrepared(c, row); });
}

Result<PreparedStatementRow> AthenaStore::GetPreparedStatement(const std::string& workgroup,
                                                               const std::string& name) {
  PreparedStatementRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kPreparedColumns +
                                              " FROM athena_prepared_statements "
                                              "WHERE workgroup = ?1 AND name = ?2"));
    s->Bind(1, workgroup).Bind(2, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return PreparedNotFound(workgroup, name);
    r = ReadPrepared(s);
    return Status::OK();
  }));
  return r;
}

Result<std::vector<PreparedStatementRow>> AthenaStore::ListPreparedStatements(
    const std::string& workgroup, const std::string& after, int limit) {
  std::vector<PreparedStatementRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kPreparedColumns +
                                              " FROM athena_prepared_statements WHERE "
                                              "workgroup = ?1 AND name > ?2 ORDER BY name "
                                              "LIMIT ?3"));
    s->Bind(1, workgroup).Bind(2, after).Bind(3, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadPrepared(s));
    }
    return Status::OK();
  }));
  return out;
}

Status AthenaStore::DeletePreparedStatement(const std::string& workgroup, const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("DELETE FROM athena_prepared_statements "
                                              "WHERE workgroup = ?1 AND name = ?2"));
    s->Bind(1, workgroup).Bind(2, name);
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return PreparedNotFound(workgroup, name);
    return Status::OK();
  });
}

// --- Query executions ------------------------------------------------------------

namespace {
size_t RowBytes(const QueryRow& r) {
  return sizeof(QueryRow) + r.id.size() + r.query.size() + r.request.size() + r.outcome.size() +
         r.reason.size();
}
}  // namespace

void AthenaStore::Recent::Put(const QueryRow& row) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!rows_.emplace(row.id, row).second) return;
  order_.push_back(row.id);
  bytes_ += RowBytes(row);
  while (bytes_ > kMaxBytes && !order_.empty()) {
    auto it = rows_.find(order_.front());
    bytes_ -= RowBytes(it->second);
    rows_.erase(it);
    order_.pop_front();
  }
}

std::optional<QueryRow> AthenaStore::Recent::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rows_.find(id);
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}

void AthenaStore::Recent::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rows_.clear();
  order_.clear();
  bytes_ = 0;
}

std::optional<QueryRow> AthenaStore::RecentQuery(const std::string& id) const {
  return recent_.Get(id);
}

Result<std::pair<std::string, bool>> AthenaStore::InsertQuery(const QueryRow& row,
                                                              UnixMillis token_since_ms) {
  std::pair<std::string, bool> out{row.id, true};
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    if (!row.client_token.empty()) {
      TARN_ASSIGN_OR_RETURN(Stmt * t,
                            c.Prepare("SELECT id, query, workgroup FROM athena_queries "
                                      "WHERE client_token = ?1 AND submit_ms >= ?2 "
                                      "ORDER BY seq DESC LIMIT 1"));
      t->Bind(1, row.client_token).Bind(2, token_since_ms);
      TARN_ASSIGN_OR_RETURN(bool found, t->Step());
      if (found) {
        if (t->Text(1) != row.query || t->Text(2) != row.workgroup) {
          return InvalidRequest(
              "ClientRequestToken " + row.client_token +
              " was already used for a different query within the last 24 hours.");
        }
        out = {std::string(t->Text(0)), false};
        return Status::OK();
      }
    }
    TARN_ASSIGN_OR_RETURN(
        Stmt * s, c.Prepare("INSERT INTO athena_queries(id, workgroup, query, statement_type, "
                            "state, reason, error_category, error_type, submit_ms, start_ms, "
                            "end_ms, request, outcome, client_token) "
                            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
    s->Bind(1, row.id).Bind(2, row.workgroup).Bind(3, row.query).Bind(4, row.statement_type);
    s->Bind(5, row.state).Bind(6, row.reason).Bind(7, static_cast<int64_t>(row.error_category));
    s->Bind(8, static_cast<int64_t>(row.error_type)).Bind(9, row.submit_ms);
    s->Bind(10, row.start_ms).Bind(11, row.end_ms).Bind(12, row.request).Bind(13, row.outcome);
    s->Bind(14, row.client_token);
    return s->Exec();
  }));
  if (out.second) recent_.Put(row);
  return out;
}

Result<QueryRow> AthenaStore::GetQuery(const std::string& id) {
  if (std::optional<QueryRow> recent = recent_.Get(id)) return *std::move(recent);
  QueryRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kQueryColumns +
                                              " FROM athena_queries WHERE id = ?1"));
    s->Bind(1, id);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return InvalidRequest("QueryExecution " + id + " was not found");
    r = ReadQuery(s);
    return Status::OK();
  }));
  return r;
}

Result<std::vector<QueryRow>> AthenaStore::ListQueries(const std::string& workgroup,
                                                       int64_t before_seq, int limit) {
  std::vector<QueryRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kQueryColumns +
                                              " FROM athena_queries WHERE workgroup = ?1 AND "
                                              "(?2 = 0 OR seq < ?2) ORDER BY seq DESC LIMIT ?3"));
    s->Bind(1, workgroup).Bind(2, before_seq).Bind(3, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadQuery(s));
    }
    return Status::OK();
  }));
  return out;
}

Result<bool> AthenaStore::MarkRunning(const std::string& id, UnixMillis start_ms) {
  bool changed = false;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("UPDATE athena_queries SET state = ?2, "
                                              "start_ms = ?3 WHERE id = ?1 AND state = ?4"));
    s->Bind(1, id).Bind(2, kRunning).Bind(3, start_ms).Bind(4, kQueued);
    TARN_RETURN_IF_ERROR(s->Exec());
    changed = c.Changes() > 0;
    return Status::OK();
  }));
  if (changed) {
    recent_.Update(id, [&](QueryRow& r) {
      r.state = std::string(kRunning);
      r.start_ms = start_ms;
    });
  }
  return changed;
}

Result<bool> AthenaStore::FinishQuery(const std::string& id, const QueryEnd& end) {
  bool changed = false;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(
        Stmt * s,
        c.Prepare("UPDATE athena_queries SET state = ?2, reason = ?3, error_category = ?4, "
                  "error_type = ?5, end_ms = ?6, "
                  "statement_type = CASE WHEN ?7 = '' THEN statement_type ELSE ?7 END, "
                  "outcome = CASE WHEN ?8 = '' THEN outcome ELSE ?8 END "
                  "WHERE id = ?1 AND (state = ?9 OR (?11 = 0 AND state = ?10))"));
    s->Bind(1, id).Bind(2, end.state).Bind(3, end.reason);
    s->Bind(4, static_cast<int64_t>(end.error_category));
    s->Bind(5, static_cast<int64_t>(end.error_type)).Bind(6, end.end_ms);
    s->Bind(7, end.statement_type).Bind(8, end.outcome).Bind(9, kQueued).Bind(10, kRunning);
    s->Bind(11, static_cast<int64_t>(end.only_if_queued ? 1 : 0));
    TARN_RETURN_IF_ERROR(s->Exec());
    changed = c.Changes() > 0;
    return Status::OK();
  }));
  if (changed) {
    recent_.Update(id, [&](QueryRow& r) {
      r.state = end.state;
      r.reason = end.reason;
      r.error_category = end.error_category;
      r.error_type = end.error_type;
      r.end_ms = end.end_ms;
      if (!end.statement_type.empty()) r.statement_type = end.statement_type;
      if (!end.outcome.empty()) r.outcome = end.outcome;
    });
  }
  return changed;
}

Result<int> AthenaStore::FailInterruptedQueries(const std::string& reason, UnixMillis now) {
  int count = 0;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("UPDATE athena_queries SET state = ?1, reason = ?2, "
                                    "error_category = 1, error_type = 1000, end_ms = ?3 "
                                    "WHERE state IN (?4, ?5)"));
    s->Bind(1, kFailed).Bind(2, reason).Bind(3, now).Bind(4, kQueued).Bind(5, kRunning);
    TARN_RETURN_IF_ERROR(s->Exec());
    count = static_cast<int>(c.Changes());
    return Status::OK();
  }));
  recent_.Clear();  // rows read from here on come from meta.db
  return count;
}

Result<std::vector<std::string>> AthenaStore::QueuedQueries() {
  std::vector<std::string> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("SELECT id FROM athena_queries WHERE state = ?1 ORDER BY seq"));
    s->Bind(1, kQueued);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.emplace_back(s->Text(0));
    }
    return Status::OK();
  }));
  return out;
}

}  // namespace tarn::athena
