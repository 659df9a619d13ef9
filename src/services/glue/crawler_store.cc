#include "services/glue/crawler_store.h"

#include <nlohmann/json.hpp>

#include <functional>

namespace tarn::glue {

using storage::Conn;
using storage::Stmt;
using Json = nlohmann::json;

namespace {

// Schema history of component "glue_crawlers" (docs/glue-catalog.md
// §Crawlers): step i moves it from version i to i+1.
const std::vector<std::string> kSchema = {
    R"sql(
CREATE TABLE glue_crawlers(
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  create_ms INTEGER NOT NULL,
  update_ms INTEGER NOT NULL,
  crawl_start_ms INTEGER NOT NULL,
  tags TEXT NOT NULL,
  last_crawl TEXT NOT NULL,
  definition TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE glue_crawler_runs(
  crawler TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  tables_created INTEGER NOT NULL,
  tables_updated INTEGER NOT NULL,
  tables_deleted INTEGER NOT NULL,
  PRIMARY KEY(crawler, start_ms)
) WITHOUT ROWID;
CREATE TABLE glue_classifiers(
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  create_ms INTEGER NOT NULL,
  update_ms INTEGER NOT NULL,
  definition TEXT NOT NULL
) WITHOUT ROWID;
)sql",
};

Status CrawlerNotFound(const std::string& name) {
  return NotFound("Crawler entry with name " + name + " does not exist", "EntityNotFoundException");
}

Status ClassifierNotFound(const std::string& name) {
  return NotFound("Classifier with name " + name + " does not exist", "EntityNotFoundException");
}

Status Running(const std::string& name, std::string_view state) {
  return FailedPrecondition(
      "Crawler with name " + name + " has already started (state " + std::string(state) + ").",
      "CrawlerRunningException");
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

constexpr const char* kCrawlerColumns =
    "name, state, version, create_ms, update_ms, crawl_start_ms, tags, last_crawl, definition";

CrawlerRow ReadCrawler(Stmt* s) {
  CrawlerRow r;
  r.name = std::string(s->Text(0));
  r.state = std::string(s->Text(1));
  r.version = s->Int64(2);
  r.create_ms = s->Int64(3);
  r.update_ms = s->Int64(4);
  r.crawl_start_ms = s->Int64(5);
  r.tags = DecodeTags(s->Text(6));
  r.last_crawl = std::string(s->Text(7));
  r.definition = std::string(s->Text(8));
  return r;
}

// The crawler's state; EntityNotFound when there is no such crawler.
Result<std::string> LoadState(Conn& c, const std::string& name) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT state FROM glue_crawlers WHERE name = ?1"));
  s->Bind(1, name);
  TARN_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return CrawlerNotFound(name);
  return std::string(s->Text(0));
}

Status SetState(Conn& c, const std::string& name, std::string_view state, UnixMillis start_ms) {
  TARN_ASSIGN_OR_RETURN(
      Stmt * s,
      c.Prepare("UPDATE glue_crawlers SET state = ?2, crawl_start_ms = ?3 WHERE name = ?1"));
  s->Bind(1, name).Bind(2, state).Bind(3, start_ms);
  return s->Exec();
}

constexpr const char* kClassifierColumns = "name, kind, version, create_ms, update_ms, definition";

ClassifierRow ReadClassifier(Stmt* s) {
  ClassifierRow r;
  r.name = std::string(s->Text(0));
  r.kind = std::string(s->Text(1));
  r.version = s->Int64(2);
  r.create_ms = s->Int64(3);
  r.update_ms = s->Int64(4);
  r.definition = std::string(s->Text(5));
  return r;
}

}  // namespace

Status CrawlerStore::Migrate() { return meta_->Migrate("glue_crawlers", kSchema); }

// --- Crawlers --------------------------------------------------------------------

Status CrawlerStore::CreateCrawler(const CrawlerRow& row) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * e, c.Prepare("SELECT 1 FROM glue_crawlers WHERE name = ?1"));
    e->Bind(1, row.name);
    TARN_ASSIGN_OR_RETURN(bool exists, e->Step());
    if (exists) {
      return AlreadyExists("Crawler with name " + row.name + " already exists.",
                           "AlreadyExistsException");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * n, c.Prepare("SELECT COUNT(*) FROM glue_crawlers"));
    TARN_ASSIGN_OR_RETURN(bool got, n->Step());
    if (got && n->Int64(0) >= max_crawlers_) {
      return ResourceExhausted("The account already has " + std::to_string(max_crawlers_) +
                                   " crawlers, the most it may have.",
                               "ResourceNumberLimitExceededException");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare(std::string("INSERT INTO glue_crawlers(") + kCrawlerColumns +
                                    ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    s->Bind(1, row.name).Bind(2, row.state).Bind(3, row.version).Bind(4, row.create_ms);
    s->Bind(5, row.update_ms).Bind(6, row.crawl_start_ms).Bind(7, EncodeTags(row.tags));
    s->Bind(8, row.last_crawl).Bind(9, row.definition);
    TARN_RETURN_IF_ERROR(s->Exec());
    // Runs of an earlier crawler of the same name went with it; clearing
    // again keeps a new crawler's metrics its own regardless.
    TARN_ASSIGN_OR_RETURN(Stmt * d, c.Prepare("DELETE FROM glue_crawler_runs WHERE crawler = ?1"));
    d->Bind(1, row.name);
    return d->Exec();
  });
}

Result<CrawlerRow> CrawlerStore::GetCrawler(const std::string& name) {
  CrawlerRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kCrawlerColumns +
                                              " FROM glue_crawlers WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return CrawlerNotFound(name);
    r = ReadCrawler(s);
    return Status::OK();
  }));
  return r;
}

Result<std::vector<CrawlerRow>> CrawlerStore::ListCrawlers(const std::string& after, int limit) {
  std::vector<CrawlerRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kCrawlerColumns +
                                              " FROM glue_crawlers WHERE name > ?1 ORDER BY name "
                                              "LIMIT ?2"));
    s->Bind(1, after).Bind(2, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadCrawler(s));
    }
    return Status::OK();
  }));
  return out;
}

Result<int64_t> CrawlerStore::UpdateCrawler(const std::string& name, const std::string& definition,
                                            int64_t expected_version, UnixMillis now) {
  int64_t version = 0;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(std::string state, LoadState(c, name));
    if (state != kCrawlerReady) return Running(name, state);
    TARN_ASSIGN_OR_RETURN(Stmt * e, c.Prepare("SELECT version FROM glue_crawlers WHERE name = ?1"));
    e->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool found, e->Step());
    if (!found) return CrawlerNotFound(name);
    if (e->Int64(0) != expected_version) {
      return Status(Code::kAborted,
                    "Crawler " + name + " changed while it was being updated; retry.",
                    "VersionMismatchException");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * u,
                          c.Prepare("UPDATE glue_crawlers SET definition = ?2, update_ms = ?3, "
                                    "version = version + 1 WHERE name = ?1"));
    u->Bind(1, name).Bind(2, definition).Bind(3, now);
    TARN_RETURN_IF_ERROR(u->Exec());
    TARN_ASSIGN_OR_RETURN(Stmt * v, c.Prepare("SELECT version FROM glue_crawlers WHERE name = ?1"));
    v->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, v->Step());
    if (!row) return CrawlerNotFound(name);
    version = v->Int64(0);
    return Status::OK();
  }));
  return version;
}

Status CrawlerStore::DeleteCrawler(const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(std::string state, LoadState(c, name));
    if (state != kCrawlerReady) return Running(name, state);
    for (const char* sql : {"DELETE FROM glue_crawlers WHERE name = ?1",
                            "DELETE FROM glue_crawler_runs WHERE crawler = ?1"}) {
      TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
      s->Bind(1, name);
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

Status CrawlerStore::MarkRunning(const std::string& name, UnixMillis start_ms) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(std::string state, LoadState(c, name));
    if (state != kCrawlerReady) return Running(name, state);
    return SetState(c, name, kCrawlerRunning, start_ms);
  });
}

Status CrawlerStore::MarkStopping(const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(std::string state, LoadState(c, name));
    if (state == kCrawlerReady) {
      return FailedPrecondition("Crawler with name " + name + " isn't running.",
                                "CrawlerNotRunningException");
    }
    if (state == kCrawlerStopping) {
      return FailedPrecondition("Crawler with name " + name + " is already stopping.",
                                "CrawlerStoppingException");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("UPDATE glue_crawlers SET state = ?2 WHERE name = ?1"));
    s->Bind(1, name).Bind(2, kCrawlerStopping);
    return s->Exec();
  });
}

Status CrawlerStore::FinishCrawl(const std::string& name, const std::string& last_crawl,
                                 const CrawlRunRow& run) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * u,
                          c.Prepare("UPDATE glue_crawlers SET state = ?2, crawl_start_ms = 0, "
                                    "last_crawl = ?3 WHERE name = ?1"));
    u->Bind(1, name).Bind(2, kCrawlerReady).Bind(3, last_crawl);
    TARN_RETURN_IF_ERROR(u->Exec());
    if (c.Changes() == 0) return Status::OK();  // deleted meanwhile: nothing to record
    TARN_ASSIGN_OR_RETURN(
        Stmt * i, c.Prepare("INSERT OR REPLACE INTO glue_crawler_runs(crawler, start_ms, end_ms, "
                            "status, tables_created, tables_updated, tables_deleted) "
                            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    i->Bind(1, name).Bind(2, run.start_ms).Bind(3, run.end_ms).Bind(4, run.status);
    i->Bind(5, run.tables_created).Bind(6, run.tables_updated).Bind(7, run.tables_deleted);
    TARN_RETURN_IF_ERROR(i->Exec());
    TARN_ASSIGN_OR_RETURN(
        Stmt * d, c.Prepare("DELETE FROM glue_crawler_runs WHERE crawler = ?1 AND start_ms < "
                            "(SELECT start_ms FROM glue_crawler_runs WHERE crawler = ?1 "
                            "ORDER BY start_ms DESC LIMIT 1 OFFSET ?2)"));
    d->Bind(1, name).Bind(2, static_cast<int64_t>(kRunsKept - 1));
    return d->Exec();
  });
}

Result<int> CrawlerStore::FailInterruptedCrawls(
    const std::function<std::string(const std::string& name, UnixMillis start_ms)>& last_crawl) {
  int count = 0;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    std::vector<std::pair<std::string, UnixMillis>> interrupted;
    TARN_ASSIGN_OR_RETURN(
        Stmt * s, c.Prepare("SELECT name, crawl_start_ms FROM glue_crawlers WHERE state != ?1"));
    s->Bind(1, kCrawlerReady);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      interrupted.emplace_back(std::string(s->Text(0)), s->Int64(1));
    }
    for (const auto& [name, start_ms] : interrupted) {
      TARN_ASSIGN_OR_RETURN(Stmt * u,
                            c.Prepare("UPDATE glue_crawlers SET state = ?2, crawl_start_ms = 0, "
                                      "last_crawl = ?3 WHERE name = ?1"));
      u->Bind(1, name).Bind(2, kCrawlerReady).Bind(3, last_crawl(name, start_ms));
      TARN_RETURN_IF_ERROR(u->Exec());
    }
    count = static_cast<int>(interrupted.size());
    return Status::OK();
  }));
  return count;
}

Result<std::vector<CrawlRunRow>> CrawlerStore::ListRuns(const std::string& name) {
  std::vector<CrawlRunRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("SELECT start_ms, end_ms, status, tables_created, "
                                    "tables_updated, tables_deleted FROM glue_crawler_runs WHERE "
                                    "crawler = ?1 ORDER BY start_ms"));
    s->Bind(1, name);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      CrawlRunRow r;
      r.start_ms = s->Int64(0);
      r.end_ms = s->Int64(1);
      r.status = std::string(s->Text(2));
      r.tables_created = s->Int64(3);
      r.tables_updated = s->Int64(4);
      r.tables_deleted = s->Int64(5);
      out.push_back(std::move(r));
    }
    return Status::OK();
  }));
  return out;
}

Result<Tags> CrawlerStore::GetTags(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(CrawlerRow row, GetCrawler(name));
  return row.tags;
}

Status CrawlerStore::ChangeTags(const std::string& name, const Tags& add,
                                const std::vector<std::string>& remove) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT tags FROM glue_crawlers WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return CrawlerNotFound(name);
    Tags tags = DecodeTags(s->Text(0));
    for (const auto& [k, v] : add) tags[k] = v;
    for (const std::string& k : remove) tags.erase(k);
    if (tags.size() > 50) {
      return InvalidArgument("A resource may have at most 50 tags.", "InvalidInputException");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * u,
                          c.Prepare("UPDATE glue_crawlers SET tags = ?2 WHERE name = ?1"));
    u->Bind(1, name).Bind(2, EncodeTags(tags));
    return u->Exec();
  });
}

// --- Classifiers -----------------------------------------------------------------

Status CrawlerStore::CreateClassifier(const ClassifierRow& row) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * e, c.Prepare("SELECT 1 FROM glue_classifiers WHERE name = ?1"));
    e->Bind(1, row.name);
    TARN_ASSIGN_OR_RETURN(bool exists, e->Step());
    if (exists) {
      return AlreadyExists("Classifier with name " + row.name + " already exists.",
                           "AlreadyExistsException");
    }
    TARN_ASSIGN_OR_RETURN(
        Stmt * s, c.Prepare(std::string("INSERT INTO glue_classifiers(") + kClassifierColumns +
                            ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    s->Bind(1, row.name).Bind(2, row.kind).Bind(3, row.version).Bind(4, row.create_ms);
    s->Bind(5, row.update_ms).Bind(6, row.definition);
    return s->Exec();
  });
}

Result<ClassifierRow> CrawlerStore::GetClassifier(const std::string& name) {
  ClassifierRow r;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kClassifierColumns +
                                              " FROM glue_classifiers WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return ClassifierNotFound(name);
    r = ReadClassifier(s);
    return Status::OK();
  }));
  return r;
}

Result<std::vector<ClassifierRow>> CrawlerStore::ListClassifiers(const std::string& after,
                                                                 int limit) {
  std::vector<ClassifierRow> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kClassifierColumns +
                                              " FROM glue_classifiers WHERE name > ?1 ORDER BY "
                                              "name LIMIT ?2"));
    s->Bind(1, after).Bind(2, static_cast<int64_t>(limit));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadClassifier(s));
    }
    return Status::OK();
  }));
  return out;
}

Status CrawlerStore::UpdateClassifier(const std::string& name, const std::string& kind,
                                      const std::string& definition, UnixMillis now) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT kind FROM glue_classifiers WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return ClassifierNotFound(name);
    if (s->Text(0) != kind) {
      return InvalidArgument("Classifier " + name + " is a " + std::string(s->Text(0)) +
                                 ", not a " + kind + ": its kind cannot change.",
                             "InvalidInputException");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * u,
                          c.Prepare("UPDATE glue_classifiers SET definition = ?2, update_ms = ?3, "
                                    "version = version + 1 WHERE name = ?1"));
    u->Bind(1, name).Bind(2, definition).Bind(3, now);
    return u->Exec();
  });
}

Status CrawlerStore::DeleteClassifier(const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("DELETE FROM glue_classifiers WHERE name = ?1"));
    s->Bind(1, name);
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return ClassifierNotFound(name);
    return Status::OK();
  });
}

}  // namespace tarn::glue
