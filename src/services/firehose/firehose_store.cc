#include "services/firehose/firehose_store.h"

namespace tarn::firehose {

using storage::Conn;
using storage::Stmt;

namespace {

// Schema history: step i moves the schema from version i to i+1. Released
// steps are never edited; append new ones.
const std::vector<std::string> kSchema = {
    R"sql(
CREATE TABLE firehose_streams(
  number INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  status_until_ms INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  source TEXT NOT NULL,
  destination TEXT NOT NULL,
  encryption TEXT NOT NULL,
  tags TEXT NOT NULL,
  delivered_offset INTEGER NOT NULL
);
CREATE TABLE firehose_shard_checkpoints(
  stream INTEGER NOT NULL,
  shard_id TEXT NOT NULL,
  sequence_number TEXT NOT NULL,
  finished INTEGER NOT NULL,
  PRIMARY KEY(stream, shard_id)
) WITHOUT ROWID;
)sql",
};

StreamStatus ParseStatus(std::string_view s) {
  if (s == "CREATING") return StreamStatus::kCreating;
  if (s == "DELETING") return StreamStatus::kDeleting;
  return StreamStatus::kActive;
}

Json ParseDocument(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_object() ? j : Json::object();
}

std::string EncodeTags(const Tags& tags) {
  Json j = Json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j.dump();
}

Tags DecodeTags(std::string_view text) {
  Tags tags;
  Json j = ParseDocument(text);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) tags[it.key()] = it.value().get<std::string>();
  }
  return tags;
}

}  // namespace

std::string_view StatusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kCreating: return "CREATING";
    case StreamStatus::kActive: return "ACTIVE";
    case StreamStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

std::string_view SourceTypeName(SourceType type) {
  return type == SourceType::kKinesisStream ? "KinesisStreamAsSource" : "DirectPut";
}

Status FirehoseStore::Migrate() { return meta_->Migrate("firehose", kSchema); }

Result<std::vector<StoredStream>> FirehoseStore::LoadAll() {
  std::vector<StoredStream> out;
  TARN_RETURN_IF_ERROR(meta_->Read([&](Conn& c) -> Status {
    out.clear();
    TARN_ASSIGN_OR_RETURN(Stmt * q, c.Prepare(
        "SELECT number, name, type, status, status_until_ms, version, created_ms, updated_ms, "
        "source, destination, encryption, tags, delivered_offset FROM firehose_streams "
        "ORDER BY number"));
    std::map<uint64_t, size_t> index;
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      StoredStream s;
      StreamRow& r = s.row;
      r.number = static_cast<uint64_t>(q->Int64(0));
      r.name = std::string(q->Text(1));
      r.type = q->Text(2) == "KinesisStreamAsSource" ? SourceType::kKinesisStream
                                                     : SourceType::kDirectPut;
      r.status = ParseStatus(q->Text(3));
      r.status_until_ms = q->Int64(4);
      r.version = q->Int64(5);
      r.created_ms = q->Int64(6);
      r.updated_ms = q->Int64(7);
      r.source = ParseDocument(q->Text(8));
      r.destination = ParseDocument(q->Text(9));
      r.encryption = ParseDocument(q->Text(10));
      r.tags = DecodeTags(q->Text(11));
      r.delivered_offset = static_cast<uint64_t>(q->Int64(12));
      index[r.number] = out.size();
      out.push_back(std::move(s));
    }
    TARN_ASSIGN_OR_RETURN(Stmt * cq, c.Prepare(
        "SELECT stream, shard_id, sequence_number, finished FROM firehose_shard_checkpoints "
        "ORDER BY stream, shard_id"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, cq->Step());
      if (!row) break;
      auto it = index.find(static_cast<uint64_t>(cq->Int64(0)));
      if (it == index.end()) continue;  // a deleted stream's leftovers
      out[it->second].shards.push_back(ShardCheckpoint{
          std::string(cq->Text(1)), std::string(cq->Text(2)), cq->Int64(3) != 0});
    }
    return Status::OK();
  }));
  return out;
}

Result<uint64_t> FirehoseStore::Create(const StreamRow& r) {
  uint64_t number = 0;
  TARN_RETURN_IF_ERROR(meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO firehose_streams(name, type, status, status_until_ms, version, created_ms, "
        "updated_ms, source, destination, encryption, tags, delivered_offset) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING number"));
    s->Bind(1, r.name)
        .Bind(2, SourceTypeName(r.type))
        .Bind(3, StatusName(r.status))
        .Bind(4, r.status_until_ms)
        .Bind(5, r.version)
        .Bind(6, r.created_ms)
        .Bind(7, r.updated_ms)
        .Bind(8, r.source.dump())
        .Bind(9, r.destination.dump())
        .Bind(10, r.encryption.dump())
        .Bind(11, EncodeTags(r.tags))
        .Bind(12, static_cast<int64_t>(r.delivered_offset));
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Internal("INSERT ... RETURNING gave no row");
    number = static_cast<uint64_t>(s->Int64(0));
    s->Reset();
    return Status::OK();
  }));
  return number;
}

Status FirehoseStore::Update(const StreamRow& r) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "UPDATE firehose_streams SET status = ?2, status_until_ms = ?3, version = ?4, "
        "updated_ms = ?5, source = ?6, destination = ?7, encryption = ?8, tags = ?9 "
        "WHERE number = ?1"));
    s->Bind(1, static_cast<int64_t>(r.number))
        .Bind(2, StatusName(r.status))
        .Bind(3, r.status_until_ms)
        .Bind(4, r.version)
        .Bind(5, r.updated_ms)
        .Bind(6, r.source.dump())
        .Bind(7, r.destination.dump())
        .Bind(8, r.encryption.dump())
        .Bind(9, EncodeTags(r.tags));
    TARN_RETURN_IF_ERROR(s->Exec());
    if (c.Changes() == 0) return NotFound("delivery stream " + r.name + " is gone");
    return Status::OK();
  });
}

Status FirehoseStore::SetDelivered(uint64_t number, uint64_t delivered_offset) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "UPDATE firehose_streams SET delivered_offset = ?2 WHERE number = ?1"));
    s->Bind(1, static_cast<int64_t>(number)).Bind(2, static_cast<int64_t>(delivered_offset));
    return s->Exec();
  });
}

Status FirehoseStore::SaveShardCheckpoints(uint64_t number,
                                           std::span<const ShardCheckpoint> shards) {
  if (shards.empty()) return Status::OK();
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT OR REPLACE INTO firehose_shard_checkpoints(stream, shard_id, sequence_number, "
        "finished) VALUES(?1, ?2, ?3, ?4)"));
    for (const ShardCheckpoint& cp : shards) {
      s->Reset();
      s->Bind(1, static_cast<int64_t>(number))
          .Bind(2, cp.shard_id)
          .Bind(3, cp.sequence_number)
          .Bind(4, static_cast<int64_t>(cp.finished ? 1 : 0));
      TARN_RETURN_IF_ERROR(s->Exec());
    }
    return Status::OK();
  });
}

Status FirehoseStore::Delete(uint64_t number) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * a, c.Prepare("DELETE FROM firehose_shard_checkpoints WHERE stream = ?1"));
    a->Bind(1, static_cast<int64_t>(number));
    TARN_RETURN_IF_ERROR(a->Exec());
    TARN_ASSIGN_OR_RETURN(Stmt * b, c.Prepare("DELETE FROM firehose_streams WHERE number = ?1"));
    b->Bind(1, static_cast<int64_t>(number));
    return b->Exec();
  });
}

}  // namespace tarn::firehose
