#include "services/kinesis/kinesis_store.h"

#include <nlohmann/json.hpp>

#include <map>

#include "common/ids.h"

namespace tarn::kinesis {

using storage::Conn;
using storage::Stmt;
using Json = nlohmann::json;

namespace {

// Schema history: step i moves the schema from version i to i+1.
//
// Hash keys are decimal text (they exceed SQLite's 64-bit integers); the
// service keeps every row in memory, so nothing sorts or searches by them.
const std::vector<std::string> kSchema = {
    R"sql(
CREATE TABLE kinesis_settings(
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE kinesis_streams(
  number INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  status_until_ms INTEGER NOT NULL,
  mode TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  retention_hours INTEGER NOT NULL,
  encryption_type TEXT NOT NULL,
  key_id TEXT NOT NULL,
  shard_level_metrics TEXT NOT NULL,
  next_shard_index INTEGER NOT NULL,
  tags TEXT NOT NULL
);
CREATE TABLE kinesis_shards(
  stream INTEGER NOT NULL,
  shard_index INTEGER NOT NULL,
  parent INTEGER,
  adjacent_parent INTEGER,
  starting_hash_key TEXT NOT NULL,
  ending_hash_key TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  closed_ms INTEGER,
  end_offset INTEGER NOT NULL,
  PRIMARY KEY(stream, shard_index)
) WITHOUT ROWID;
CREATE TABLE kinesis_consumers(
  stream INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  status_until_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  tags TEXT NOT NULL,
  PRIMARY KEY(stream, name)
) WITHOUT ROWID;
)sql",
};

StreamStatus ParseStatus(std::string_view s) {
  if (s == "CREATING") return StreamStatus::kCreating;
  if (s == "UPDATING") return StreamStatus::kUpdating;
  if (s == "DELETING") return StreamStatus::kDeleting;
  return StreamStatus::kActive;
}

ConsumerStatus ParseConsumerStatus(std::string_view s) {
  if (s == "CREATING") return ConsumerStatus::kCreating;
  if (s == "DELETING") return ConsumerStatus::kDeleting;
  return ConsumerStatus::kActive;
}

std::string EncodeTags(const Tags& tags) {
  if (tags.empty()) return "";
  Json j = Json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j.dump();
}

Tags DecodeTags(std::string_view text) {
  Tags tags;
  if (text.empty()) return tags;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return tags;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) tags[it.key()] = it.value().get<std::string>();
  }
  return tags;
}

std::string EncodeList(const std::vector<std::string>& list) {
  return list.empty() ? "" : Json(list).dump();
}

std::vector<std::string> DecodeList(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

void BindOptional(Stmt* s, int idx, const std::optional<uint64_t>& v) {
  if (v) {
    s->Bind(idx, static_cast<int64_t>(*v));
  } else {
    s->BindNull(idx);
  }
}

Status InsertShard(Conn& c, uint64_t stream, const ShardRow& shard) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
      "INSERT INTO kinesis_shards(stream, shard_index, parent, adjacent_parent, "
      "starting_hash_key, ending_hash_key, created_ms, closed_ms, end_offset) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  s->Bind(1, static_cast<int64_t>(stream)).Bind(2, static_cast<int64_t>(shard.index));
  BindOptional(s, 3, shard.parent);
  BindOptional(s, 4, shard.adjacent_parent);
  s->Bind(5, shard.range.start.ToString()).Bind(6, shard.range.end.ToString());
  s->Bind(7, shard.created_ms);
  if (shard.closed_ms) {
    s->Bind(8, *shard.closed_ms);
  } else {
    s->BindNull(8);
  }
  s->Bind(9, static_cast<int64_t>(shard.end_offset));
  return s->Exec();
}

Status WriteStreamRow(Conn& c, const StreamRow& st) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
      "UPDATE kinesis_streams SET status = ?2, status_until_ms = ?3, mode = ?4, "
      "retention_hours = ?5, encryption_type = ?6, key_id = ?7, shard_level_metrics = ?8, "
      "next_shard_index = ?9, tags = ?10 WHERE number = ?1"));
  s->Bind(1, static_cast<int64_t>(st.number))
      .Bind(2, StatusName(st.status))
      .Bind(3, st.status_until_ms)
      .Bind(4, ModeName(st.mode))
      .Bind(5, static_cast<int64_t>(st.retention_hours))
      .Bind(6, st.encryption_type)
      .Bind(7, st.key_id)
      .Bind(8, EncodeList(st.shard_level_metrics))
      .Bind(9, static_cast<int64_t>(st.next_shard_index))
      .Bind(10, EncodeTags(st.tags));
  TARN_RETURN_IF_ERROR(s->Exec());
  if (c.Changes() == 0) return NotFound("stream " + st.name + " is not in the metadata");
  return Status::OK();
}

}  // namespace

Status KinesisStore::Migrate() { return meta_->Migrate("kinesis", kSchema); }

Result<std::string> KinesisStore::IteratorKey() {
  std::string key;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("SELECT value FROM kinesis_settings WHERE name = 'iterator_key'"));
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) key = std::string(s->Blob(0));
    return Status::OK();
  }));
  if (!key.empty()) return key;
  std::string fresh = RandomBytes(32);
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    // Two first starts cannot race (one server per data directory), but
    // keep whichever key was stored first all the same.
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO kinesis_settings(name, value) VALUES('iterator_key', ?1) "
        "ON CONFLICT(name) DO NOTHING"));
    TARN_RETURN_IF_ERROR(s->BindBlob(1, fresh).Exec());
    TARN_ASSIGN_OR_RETURN(Stmt * q,
                          c.Prepare("SELECT value FROM kinesis_settings WHERE name = 'iterator_key'"));
    TARN_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return Internal("iterator key vanished");
    key = std::string(q->Blob(0));
    return Status::OK();
  }));
  return key;
}

Result<std::vector<StoredStream>> KinesisStore::LoadAll() {
  std::vector<StoredStream> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    out.clear();
    std::map<uint64_t, size_t> by_number;
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "SELECT number, name, status, status_until_ms, mode, created_ms, retention_hours, "
        "encryption_type, key_id, shard_level_metrics, next_shard_index, tags "
        "FROM kinesis_streams ORDER BY number"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      StreamRow r;
      r.number = static_cast<uint64_t>(s->Int64(0));
      r.name = std::string(s->Text(1));
      r.status = ParseStatus(s->Text(2));
      r.status_until_ms = s->Int64(3);
      r.mode = ParseMode(s->Text(4)).value_or(StreamMode::kProvisioned);
      r.created_ms = s->Int64(5);
      r.retention_hours = static_cast<int>(s->Int64(6));
      r.encryption_type = std::string(s->Text(7));
      r.key_id = std::string(s->Text(8));
      r.shard_level_metrics = DecodeList(s->Text(9));
      r.next_shard_index = static_cast<uint64_t>(s->Int64(10));
      r.tags = DecodeTags(s->Text(11));
      by_number[r.number] = out.size();
      out.push_back(StoredStream{std::move(r), {}, {}});
    }
    TARN_ASSIGN_OR_RETURN(Stmt * sh, c.Prepare(
        "SELECT stream, shard_index, parent, adjacent_parent, starting_hash_key, "
        "ending_hash_key, created_ms, closed_ms, end_offset FROM kinesis_shards "
        "ORDER BY stream, shard_index"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, sh->Step());
      if (!row) break;
      auto it = by_number.find(static_cast<uint64_t>(sh->Int64(0)));
      if (it == by_number.end()) continue;
      ShardRow r;
      r.index = static_cast<uint64_t>(sh->Int64(1));
      if (!sh->IsNull(2)) r.parent = static_cast<uint64_t>(sh->Int64(2));
      if (!sh->IsNull(3)) r.adjacent_parent = static_cast<uint64_t>(sh->Int64(3));
      auto start = HashKey::Parse(sh->Text(4));
      auto end = HashKey::Parse(sh->Text(5));
      if (!start || !end) return Corruption("kinesis_shards: bad hash key range");
      r.range = {*start, *end};
      r.created_ms = sh->Int64(6);
      if (!sh->IsNull(7)) r.closed_ms = sh->Int64(7);
      r.end_offset = static_cast<uint64_t>(sh->Int64(8));
      out[it->second].shards.push_back(r);
    }
    TARN_ASSIGN_OR_RETURN(Stmt * cs, c.Prepare(
        "SELECT stream, name, status, status_until_ms, created_ms, tags FROM kinesis_consumers "
        "ORDER BY stream, name"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, cs->Step());
      if (!row) break;
      auto it = by_number.find(static_cast<uint64_t>(cs->Int64(0)));
      if (it == by_number.end()) continue;
      ConsumerRow r;
      r.name = std::string(cs->Text(1));
      r.status = ParseConsumerStatus(cs->Text(2));
      r.status_until_ms = cs->Int64(3);
      r.created_ms = cs->Int64(4);
      r.tags = DecodeTags(cs->Text(5));
      out[it->second].consumers.push_back(std::move(r));
    }
    return Status::OK();
  }));
  return out;
}

Result<uint64_t> KinesisStore::CreateStream(const StreamRow& st, std::span<const ShardRow> shards) {
  uint64_t number = 0;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO kinesis_streams(name, status, status_until_ms, mode, created_ms, "
        "retention_hours, encryption_type, key_id, shard_level_metrics, next_shard_index, tags) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING number"));
    s->Bind(1, st.name)
        .Bind(2, StatusName(st.status))
        .Bind(3, st.status_until_ms)
        .Bind(4, ModeName(st.mode))
        .Bind(5, st.created_ms)
        .Bind(6, static_cast<int64_t>(st.retention_hours))
        .Bind(7, st.encryption_type)
        .Bind(8, st.key_id)
        .Bind(9, EncodeList(st.shard_level_metrics))
        .Bind(10, static_cast<int64_t>(st.next_shard_index))
        .Bind(11, EncodeTags(st.tags));
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Internal("INSERT ... RETURNING gave no row");
    number = static_cast<uint64_t>(s->Int64(0));
    s->Reset();
    for (const ShardRow& shard : shards) TARN_RETURN_IF_ERROR(InsertShard(c, number, shard));
    return Status::OK();
  }));
  return number;
}

Status KinesisStore::UpdateStream(const StreamRow& stream) {
  return meta_->Write([&](Conn& c) { return WriteStreamRow(c, stream); });
}

Status KinesisStore::ApplyReshard(const StreamRow& stream, std::span<const ShardRow> closed,
                                  std::span<const ShardRow> created) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(WriteStreamRow(c, stream));
    for (const ShardRow& shard : created) TARN_RETURN_IF_ERROR(InsertShard(c, stream.number, shard));
    for (const ShardRow& shard : closed) {
      TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
          "UPDATE kinesis_shards SET closed_ms = ?3, end_offset = ?4 "
          "WHERE stream = ?1 AND shard_index = ?2"));
      s->Bind(1, static_cast<int64_t>(stream.number))
          .Bind(2, static_cast<int64_t>(shard.index))
          .Bind(3, shard.closed_ms.value_or(0))
          .Bind(4, static_cast<int64_t>(shard.end_offset));
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

Status KinesisStore::DeleteStream(uint64_t number) {
  return meta_->Write([&](Conn& c) -> Status {
    for (const char* sql : {"DELETE FROM kinesis_shards WHERE stream = ?1",
                            "DELETE FROM kinesis_consumers WHERE stream = ?1",
                            "DELETE FROM kinesis_streams WHERE number = ?1"}) {
      TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
      TARN_RETURN_IF_ERROR(s->Bind(1, static_cast<int64_t>(number)).Exec());
    }
    return Status::OK();
  });
}

Status KinesisStore::DeleteShards(uint64_t number, std::span<const uint64_t> indices) {
  return meta_->Write([&](Conn& c) -> Status {
    for (uint64_t index : indices) {
      TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
          "DELETE FROM kinesis_shards WHERE stream = ?1 AND shard_index = ?2"));
      TARN_RETURN_IF_ERROR(
          s->Bind(1, static_cast<int64_t>(number)).Bind(2, static_cast<int64_t>(index)).Exec());
    }
    return Status::OK();
  });
}

Status KinesisStore::PutConsumer(uint64_t number, const ConsumerRow& consumer, bool insert_only) {
  return meta_->Write([&](Conn& c) -> Status {
    std::string sql =
        "INSERT INTO kinesis_consumers(stream, name, status, status_until_ms, created_ms, tags) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    if (!insert_only) {
      sql += " ON CONFLICT(stream, name) DO UPDATE SET status = ?3, status_until_ms = ?4, "
             "created_ms = ?5, tags = ?6";
    }
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(sql));
    s->Bind(1, static_cast<int64_t>(number))
        .Bind(2, consumer.name)
        .Bind(3, ConsumerStatusName(consumer.status))
        .Bind(4, consumer.status_until_ms)
        .Bind(5, consumer.created_ms)
        .Bind(6, EncodeTags(consumer.tags));
    return s->Exec();
  });
}

Status KinesisStore::DeleteConsumer(uint64_t number, const std::string& name) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s,
                          c.Prepare("DELETE FROM kinesis_consumers WHERE stream = ?1 AND name = ?2"));
    return s->Bind(1, static_cast<int64_t>(number)).Bind(2, name).Exec();
  });
}

}  // namespace tarn::kinesis
