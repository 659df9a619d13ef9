#include "services/s3/s3_store.h"

#include <nlohmann/json.hpp>

#include <map>

namespace tarn::s3 {

using storage::BlobId;
using storage::Conn;
using storage::Stmt;
using Json = nlohmann::json;

namespace {

// Schema history: step i moves the schema from version i to i+1.
//
// Small bodies live in s3_bodies rather than in the object row so that the
// object table stays dense: a listing reads ~200-byte rows, not 64 KiB ones.
const std::vector<std::string> kSchema = {
    R"sql(
CREATE TABLE s3_buckets(
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  region TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE s3_bodies(
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
CREATE TABLE s3_objects(
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  headers TEXT NOT NULL,
  user_meta TEXT NOT NULL,
  tags TEXT NOT NULL,
  part_sizes TEXT NOT NULL,
  extents TEXT NOT NULL,
  body_id INTEGER,
  PRIMARY KEY(bucket, key)
) WITHOUT ROWID;
CREATE TABLE s3_uploads(
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  initiated_ms INTEGER NOT NULL,
  headers TEXT NOT NULL,
  user_meta TEXT NOT NULL,
  tags TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX s3_uploads_by_key ON s3_uploads(bucket, key, upload_id);
CREATE TABLE s3_parts(
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified_ms INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  extents TEXT NOT NULL,
  PRIMARY KEY(upload_id, part_number)
) WITHOUT ROWID;
CREATE TABLE s3_blobs(
  id TEXT PRIMARY KEY,
  refs INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
};

// --- Column encodings. Empty values encode as "" to keep rows small. ---

std::string EncodeKeyValues(const KeyValues& kv) {
  if (kv.empty()) return "";
  Json j = Json::array();
  for (const auto& [k, v] : kv) j.push_back({k, v});
  return j.dump();
}

KeyValues DecodeKeyValues(std::string_view text) {
  KeyValues kv;
  if (text.empty()) return kv;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return kv;
  for (const auto& e : j) {
    if (e.is_array() && e.size() == 2) kv.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
  }
  return kv;
}

std::string EncodeHeaders(const ContentHeaders& h) {
  Json j = Json::object();
  auto put = [&](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put("type", h.content_type);
  put("encoding", h.content_encoding);
  put("disposition", h.content_disposition);
  put("language", h.content_language);
  put("cache", h.cache_control);
  put("expires", h.expires);
  return j.empty() ? "" : j.dump();
}

ContentHeaders DecodeHeaders(std::string_view text) {
  ContentHeaders h;
  if (text.empty()) return h;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return h;
  auto get = [&](const char* name, std::string& out) {
    auto it = j.find(name);
    if (it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  get("type", h.content_type);
  get("encoding", h.content_encoding);
  get("disposition", h.content_disposition);
  get("language", h.content_language);
  get("cache", h.cache_control);
  get("expires", h.expires);
  return h;
}

std::string EncodeChecksum(const Checksum& c) {
  if (c.empty()) return "";
  return Json{{"alg", c.algorithm}, {"value", c.value}, {"type", c.type}}.dump();
}

Checksum DecodeChecksum(std::string_view text) {
  Checksum c;
  if (text.empty()) return c;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return c;
  c.algorithm = j.value("alg", "");
  c.value = j.value("value", "");
  c.type = j.value("type", "");
  return c;
}

std::string EncodeExtents(const std::vector<Extent>& extents) {
  if (extents.empty()) return "";
  Json j = Json::array();
  for (const auto& e : extents) j.push_back({e.blob.str(), e.offset, e.length});
  return j.dump();
}

std::vector<Extent> DecodeExtents(std::string_view text) {
  std::vector<Extent> out;
  if (text.empty()) return out;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    out.push_back(Extent{BlobId::Parse(e[0].get<std::string>()), e[1].get<uint64_t>(),
                         e[2].get<uint64_t>()});
  }
  return out;
}

std::string EncodeSizes(const std::vector<uint64_t>& sizes) {
  return sizes.empty() ? "" : Json(sizes).dump();
}

std::vector<uint64_t> DecodeSizes(std::string_view text) {
  if (text.empty()) return {};
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return {};
  return j.get<std::vector<uint64_t>>();
}

// --- Blob reference counting, inside a write transaction. ---

Status AddRefs(Conn& c, const std::vector<Extent>& extents) {
  // One reference per distinct blob per owner keeps counts simple: an owner
  // (object or part) holds a blob once however many extents point into it.
  std::map<std::string, int> distinct;
  for (const auto& e : extents) distinct[e.blob.str()] = 1;
  for (const auto& [id, _] : distinct) {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO s3_blobs(id, refs) VALUES(?1, 1) "
        "ON CONFLICT(id) DO UPDATE SET refs = refs + 1"));
    TARN_RETURN_IF_ERROR(s->Bind(1, id).Exec());
  }
  return Status::OK();
}

Status DropRefs(Conn& c, const std::vector<Extent>& extents, std::vector<BlobId>* dead) {
  std::map<std::string, int> distinct;
  for (const auto& e : extents) distinct[e.blob.str()] = 1;
  for (const auto& [id, _] : distinct) {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("UPDATE s3_blobs SET refs = refs - 1 WHERE id = ?1 "
                                              "RETURNING refs"));
    s->Bind(1, id);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    int64_t refs = row ? s->Int64(0) : 0;
    s->Reset();
    if (refs <= 0) {
      TARN_ASSIGN_OR_RETURN(Stmt * d, c.Prepare("DELETE FROM s3_blobs WHERE id = ?1"));
      TARN_RETURN_IF_ERROR(d->Bind(1, id).Exec());
      dead->push_back(BlobId::Parse(id));
    }
  }
  return Status::OK();
}

Result<bool> BucketExists(Conn& c, const std::string& bucket) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT 1 FROM s3_buckets WHERE name = ?1"));
  s->Bind(1, bucket);
  TARN_ASSIGN_OR_RETURN(bool row, s->Step());
  s->Reset();
  return row;
}

Status NoSuchBucket(const std::string& bucket) {
  return NotFound("The specified bucket does not exist", "NoSuchBucket");
}

// Removes an object row, its inline body and its blob references.
Status RemoveObjectRow(Conn& c, const std::string& bucket, const std::string& key,
                       std::vector<BlobId>* dead) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
      "DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2 RETURNING extents, body_id"));
  s->Bind(1, bucket).Bind(2, key);
  TARN_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) {
    s->Reset();
    return Status::OK();
  }
  std::vector<Extent> extents = DecodeExtents(s->Text(0));
  bool has_body = !s->IsNull(1);
  int64_t body_id = has_body ? s->Int64(1) : 0;
  s->Reset();
  if (has_body) {
    TARN_ASSIGN_OR_RETURN(Stmt * d, c.Prepare("DELETE FROM s3_bodies WHERE id = ?1"));
    TARN_RETURN_IF_ERROR(d->Bind(1, body_id).Exec());
  }
  return DropRefs(c, extents, dead);
}

Status InsertObjectRow(Conn& c, const std::string& bucket, const StoredObject& o) {
  std::optional<int64_t> body_id;
  if (o.is_inline) {
    TARN_ASSIGN_OR_RETURN(Stmt * b, c.Prepare("INSERT INTO s3_bodies(data) VALUES(?1) RETURNING id"));
    b->BindBlob(1, o.inline_data);
    TARN_ASSIGN_OR_RETURN(bool row, b->Step());
    if (!row) return Internal("inserting body returned no id");
    body_id = b->Int64(0);
    b->Reset();
  }
  TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
      "INSERT INTO s3_objects(bucket, key, size, etag, last_modified_ms, checksum, headers, "
      "user_meta, tags, part_sizes, extents, body_id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  const ObjectMeta& m = o.meta;
  s->Bind(1, bucket)
      .Bind(2, m.key)
      .Bind(3, static_cast<int64_t>(m.size))
      .Bind(4, m.etag)
      .Bind(5, m.last_modified)
      .Bind(6, EncodeChecksum(m.checksum))
      .Bind(7, EncodeHeaders(m.headers))
      .Bind(8, EncodeKeyValues(m.user_metadata))
      .Bind(9, EncodeKeyValues(m.tags))
      .Bind(10, EncodeSizes(m.part_sizes))
      .Bind(11, EncodeExtents(o.extents));
  if (body_id) {
    s->Bind(12, *body_id);
  } else {
    s->BindNull(12);
  }
  TARN_RETURN_IF_ERROR(s->Exec());
  return AddRefs(c, o.extents);
}

UploadInfo ReadUpload(Stmt* s) {
  UploadInfo u;
  u.upload_id = std::string(s->Text(0));
  u.bucket = std::string(s->Text(1));
  u.key = std::string(s->Text(2));
  u.initiated = s->Int64(3);
  u.headers = DecodeHeaders(s->Text(4));
  u.user_metadata = DecodeKeyValues(s->Text(5));
  u.tags = DecodeKeyValues(s->Text(6));
  u.checksum_algorithm = std::string(s->Text(7));
  return u;
}

constexpr const char* kUploadColumns =
    "upload_id, bucket, key, initiated_ms, headers, user_meta, tags, checksum_algorithm";

PartInfo ReadPart(Stmt* s) {
  PartInfo p;
  p.part_number = static_cast<int>(s->Int64(0));
  p.size = static_cast<uint64_t>(s->Int64(1));
  p.etag = std::string(s->Text(2));
  p.last_modified = s->Int64(3);
  p.checksum = DecodeChecksum(s->Text(4));
  p.extents = DecodeExtents(s->Text(5));
  return p;
}

// Deletes an upload's rows; returns whether it existed.
Result<bool> RemoveUploadRows(Conn& c, const std::string& upload_id, std::vector<BlobId>* dead) {
  TARN_ASSIGN_OR_RETURN(Stmt * parts, c.Prepare(
      "DELETE FROM s3_parts WHERE upload_id = ?1 RETURNING extents"));
  parts->Bind(1, upload_id);
  // Each part holds its own references; collect them all before dropping
  // (SQLite buffers a RETURNING statement's rows on its first step).
  std::vector<std::vector<Extent>> part_extents;
  while (true) {
    TARN_ASSIGN_OR_RETURN(bool row, parts->Step());
    if (!row) break;
    part_extents.push_back(DecodeExtents(parts->Text(0)));
  }
  parts->Reset();
  for (const auto& e : part_extents) TARN_RETURN_IF_ERROR(DropRefs(c, e, dead));
  TARN_ASSIGN_OR_RETURN(Stmt * up, c.Prepare("DELETE FROM s3_uploads WHERE upload_id = ?1"));
  TARN_RETURN_IF_ERROR(up->Bind(1, upload_id).Exec());
  return c.Changes() > 0;
}

}  // namespace

Status S3Store::Migrate() { return meta_->Migrate("s3", kSchema); }

Status S3Store::CreateBucket(const BucketInfo& bucket) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO s3_buckets(name, created_ms, region) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(name) DO NOTHING"));
    TARN_RETURN_IF_ERROR(s->Bind(1, bucket.name).Bind(2, bucket.created).Bind(3, bucket.region).Exec());
    if (c.Changes() == 0) {
      return AlreadyExists(
          "Your previous request to create the named bucket succeeded and you already own it.",
          "BucketAlreadyOwnedByYou");
    }
    return Status::OK();
  });
}

Result<std::optional<BucketInfo>> S3Store::GetBucket(const std::string& name) {
  std::optional<BucketInfo> out;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "SELECT name, created_ms, region FROM s3_buckets WHERE name = ?1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) out = BucketInfo{std::string(s->Text(0)), s->Int64(1), std::string(s->Text(2))};
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<BucketInfo>> S3Store::ListBuckets() {
  std::vector<BucketInfo> out;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "SELECT name, created_ms, region FROM s3_buckets ORDER BY name"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(BucketInfo{std::string(s->Text(0)), s->Int64(1), std::string(s->Text(2))});
    }
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<BlobId>> S3Store::DeleteBucket(const std::string& name) {
  std::vector<BlobId> dead;
  Status st = meta_->Write([&](Conn& c) -> Status {
    dead.clear();
    TARN_ASSIGN_OR_RETURN(bool exists, BucketExists(c, name));
    if (!exists) return NoSuchBucket(name);
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT 1 FROM s3_objects WHERE bucket = ?1 LIMIT 1"));
    s->Bind(1, name);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    s->Reset();
    if (row) {
      return FailedPrecondition("The bucket you tried to delete is not empty", "BucketNotEmpty");
    }
    TARN_ASSIGN_OR_RETURN(Stmt * u, c.Prepare("SELECT upload_id FROM s3_uploads WHERE bucket = ?1"));
    u->Bind(1, name);
    std::vector<std::string> uploads;
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool more, u->Step());
      if (!more) break;
      uploads.emplace_back(u->Text(0));
    }
    u->Reset();
    for (const std::string& id : uploads) {
      TARN_ASSIGN_OR_RETURN(bool removed, RemoveUploadRows(c, id, &dead));
      (void)removed;
    }
    TARN_ASSIGN_OR_RETURN(Stmt * d, c.Prepare("DELETE FROM s3_buckets WHERE name = ?1"));
    return d->Bind(1, name).Exec();
  });
  if (!st.ok()) return st;
  return dead;
}

Result<std::optional<StoredObject>> S3Store::GetObject(const std::string& bucket,
                                                       const std::string& key) {
  std::optional<StoredObject> out;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "SELECT o.size, o.etag, o.last_modified_ms, o.checksum, o.headers, o.user_meta, o.tags, "
        "o.part_sizes, o.extents, o.body_id, b.data FROM s3_objects o "
        "LEFT JOIN s3_bodies b ON b.id = o.body_id WHERE o.bucket = ?1 AND o.key = ?2"));
    s->Bind(1, bucket).Bind(2, key);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      StoredObject o;
      o.meta.key = key;
      o.meta.size = static_cast<uint64_t>(s->Int64(0));
      o.meta.etag = std::string(s->Text(1));
      o.meta.last_modified = s->Int64(2);
      o.meta.checksum = DecodeChecksum(s->Text(3));
      o.meta.headers = DecodeHeaders(s->Text(4));
      o.meta.user_metadata = DecodeKeyValues(s->Text(5));
      o.meta.tags = DecodeKeyValues(s->Text(6));
      o.meta.part_sizes = DecodeSizes(s->Text(7));
      o.extents = DecodeExtents(s->Text(8));
      o.is_inline = !s->IsNull(9);
      if (o.is_inline) o.inline_data = std::string(s->Blob(10));
      out = std::move(o);
    }
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<BlobId>> S3Store::PutObject(const std::string& bucket,
                                               const StoredObject& object) {
  std::vector<BlobId> dead;
  Status st = meta_->Write([&](Conn& c) -> Status {
    dead.clear();
    TARN_ASSIGN_OR_RETURN(bool exists, BucketExists(c, bucket));
    if (!exists) return NoSuchBucket(bucket);
    TARN_RETURN_IF_ERROR(RemoveObjectRow(c, bucket, object.meta.key, &dead));
    return InsertObjectRow(c, bucket, object);
  });
  if (!st.ok()) return st;
  return dead;
}

Result<std::vector<BlobId>> S3Store::DeleteObject(const std::string& bucket,
                                                  const std::string& key) {
  std::vector<BlobId> dead;
  Status st = meta_->Write([&](Conn& c) -> Status {
    dead.clear();
    TARN_ASSIGN_OR_RETURN(bool exists, BucketExists(c, bucket));
    if (!exists) return NoSuchBucket(bucket);
    return RemoveObjectRow(c, bucket, key, &dead);
  });
  if (!st.ok()) return st;
  return dead;
}

Status S3Store::SetObjectTags(const std::string& bucket, const std::string& key,
                              const KeyValues& tags) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "UPDATE s3_objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2"));
    TARN_RETURN_IF_ERROR(s->Bind(1, bucket).Bind(2, key).Bind(3, EncodeKeyValues(tags)).Exec());
    if (c.Changes() == 0) return NotFound("The specified key does not exist.", "NoSuchKey");
    return Status::OK();
  });
}

namespace {

// The smallest string greater than every string that starts with prefix,
// or "" when there is none (prefix is all 0xff bytes).
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace

Result<ListResult> S3Store::ListObjects(const std::string& bucket, const ListRequest& req) {
  ListResult result;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool exists, BucketExists(c, bucket));
    if (!exists) return NoSuchBucket(bucket);
    if (req.max_keys <= 0) {
      // S3 answers max-keys=0 with an empty, untruncated page.
      return Status::OK();
    }
    // The scan walks keys in byte order from a lower bound. When the walk
    // meets a key that rolls up into a CommonPrefix, it emits the prefix
    // and seeks past every key under it, so a folder of a million keys
    // costs one seek, not a million rows.
    std::string lower = req.after;
    bool inclusive = false;
    if (req.after_is_prefix) {
      lower = PrefixSuccessor(req.after);
      inclusive = true;
      if (lower.empty()) return Status::OK();
    }
    if (lower < req.prefix) {
      lower = req.prefix;
      inclusive = true;
    }
    const std::string upper = req.prefix.empty() ? "" : PrefixSuccessor(req.prefix);

    // Two statements rather than "(?4 = '' OR key < ?4)": SQLite only uses
    // a plain "key < ?" as the end of the index range. Without it the last
    // page under a prefix would scan on to the end of the bucket.
    TARN_ASSIGN_OR_RETURN(
        Stmt * s, c.Prepare(upper.empty()
                                ? "SELECT key, size, etag, last_modified_ms, checksum FROM s3_objects "
                                  "WHERE bucket = ?1 AND key >= ?2 AND (key > ?2 OR ?3) "
                                  "AND ?4 = '' ORDER BY key LIMIT ?5"
                                : "SELECT key, size, etag, last_modified_ms, checksum FROM s3_objects "
                                  "WHERE bucket = ?1 AND key >= ?2 AND (key > ?2 OR ?3) "
                                  "AND key < ?4 ORDER BY key LIMIT ?5"));
    const int batch = 1024;
    while (static_cast<int>(result.entries.size()) < req.max_keys) {
      s->Reset();
      s->Bind(1, bucket).Bind(2, lower).Bind(3, inclusive ? 1 : 0).Bind(4, upper).Bind(5, batch);
      int rows = 0;
      bool reseek = false;
      while (true) {
        TARN_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        rows++;
        std::string_view key = s->Text(0);
        if (static_cast<int>(result.entries.size()) == req.max_keys) {
          result.truncated = true;
          s->Reset();
          return Status::OK();
        }
        if (!req.delimiter.empty()) {
          size_t pos = key.find(req.delimiter, req.prefix.size());
          if (pos != std::string_view::npos) {
            std::string cp(key.substr(0, pos + req.delimiter.size()));
            // A continuation inside this prefix has already returned it.
            bool already = req.after.size() >= cp.size() && req.after.compare(0, cp.size(), cp) == 0;
            if (!already) {
              ListEntry e;
              e.is_prefix = true;
              e.key = cp;
              result.entries.push_back(std::move(e));
            }
            lower = PrefixSuccessor(cp);
            inclusive = true;
            reseek = true;
            break;
          }
        }
        ListEntry e;
        e.key = std::string(key);
        e.meta.key = e.key;
        e.meta.size = static_cast<uint64_t>(s->Int64(1));
        e.meta.etag = std::string(s->Text(2));
        e.meta.last_modified = s->Int64(3);
        e.meta.checksum = DecodeChecksum(s->Text(4));
        lower = e.key;
        inclusive = false;
        result.entries.push_back(std::move(e));
      }
      s->Reset();
      if (reseek) {
        if (lower.empty()) break;  // no key can follow
        continue;
      }
      if (rows < batch) break;  // scanned to the end
    }
    if (static_cast<int>(result.entries.size()) == req.max_keys && !result.truncated) {
      // Full page: truncated only if another key (or prefix) follows.
      s->Reset();
      s->Bind(1, bucket).Bind(2, lower).Bind(3, inclusive ? 1 : 0).Bind(4, upper).Bind(5, 1);
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      result.truncated = row;
      s->Reset();
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return result;
}

Status S3Store::CreateUpload(const UploadInfo& u) {
  return meta_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool exists, BucketExists(c, u.bucket));
    if (!exists) return NoSuchBucket(u.bucket);
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO s3_uploads(upload_id, bucket, key, initiated_ms, headers, user_meta, tags, "
        "checksum_algorithm) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    return s->Bind(1, u.upload_id)
        .Bind(2, u.bucket)
        .Bind(3, u.key)
        .Bind(4, u.initiated)
        .Bind(5, EncodeHeaders(u.headers))
        .Bind(6, EncodeKeyValues(u.user_metadata))
        .Bind(7, EncodeKeyValues(u.tags))
        .Bind(8, u.checksum_algorithm)
        .Exec();
  });
}

Result<std::optional<UploadInfo>> S3Store::GetUpload(const std::string& upload_id) {
  std::optional<UploadInfo> out;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(std::string("SELECT ") + kUploadColumns +
                                              " FROM s3_uploads WHERE upload_id = ?1"));
    s->Bind(1, upload_id);
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) out = ReadUpload(s);
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

static Status NoSuchUpload() {
  return NotFound(
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
      "been aborted or completed.",
      "NoSuchUpload");
}

Result<std::vector<BlobId>> S3Store::PutPart(const std::string& upload_id, const PartInfo& p) {
  std::vector<BlobId> dead;
  Status st = meta_->Write([&](Conn& c) -> Status {
    dead.clear();
    TARN_ASSIGN_OR_RETURN(Stmt * u, c.Prepare("SELECT 1 FROM s3_uploads WHERE upload_id = ?1"));
    u->Bind(1, upload_id);
    TARN_ASSIGN_OR_RETURN(bool exists, u->Step());
    u->Reset();
    if (!exists) return NoSuchUpload();
    TARN_ASSIGN_OR_RETURN(Stmt * old, c.Prepare(
        "DELETE FROM s3_parts WHERE upload_id = ?1 AND part_number = ?2 RETURNING extents"));
    old->Bind(1, upload_id).Bind(2, p.part_number);
    TARN_ASSIGN_OR_RETURN(bool had, old->Step());
    std::vector<Extent> old_extents;
    if (had) old_extents = DecodeExtents(old->Text(0));
    old->Reset();
    TARN_RETURN_IF_ERROR(DropRefs(c, old_extents, &dead));
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "INSERT INTO s3_parts(upload_id, part_number, size, etag, last_modified_ms, checksum, "
        "extents) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    TARN_RETURN_IF_ERROR(s->Bind(1, upload_id)
                             .Bind(2, p.part_number)
                             .Bind(3, static_cast<int64_t>(p.size))
                             .Bind(4, p.etag)
                             .Bind(5, p.last_modified)
                             .Bind(6, EncodeChecksum(p.checksum))
                             .Bind(7, EncodeExtents(p.extents))
                             .Exec());
    return AddRefs(c, p.extents);
  });
  if (!st.ok()) return st;
  return dead;
}

Result<std::vector<PartInfo>> S3Store::ListParts(const std::string& upload_id, int after_part,
                                                 int max_parts, bool* truncated) {
  std::vector<PartInfo> out;
  *truncated = false;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        "SELECT part_number, size, etag, last_modified_ms, checksum, extents FROM s3_parts "
        "WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3"));
    s->Bind(1, upload_id).Bind(2, after_part).Bind(3, static_cast<int64_t>(max_parts) + 1);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      if (static_cast<int>(out.size()) == max_parts) {
        *truncated = true;
        break;
      }
      out.push_back(ReadPart(s));
    }
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<PartInfo>> S3Store::AllParts(const std::string& upload_id) {
  bool truncated = false;
  return ListParts(upload_id, 0, kMaxPartNumber, &truncated);
}

Result<std::vector<UploadInfo>> S3Store::ListUploads(const std::string& bucket,
                                                     const std::string& prefix,
                                                     const std::string& key_marker,
                                                     const std::string& upload_id_marker, int max,
                                                     bool* truncated) {
  std::vector<UploadInfo> out;
  *truncated = false;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(bool exists, BucketExists(c, bucket));
    if (!exists) return NoSuchBucket(bucket);
    // After (key_marker, upload_id_marker); with no upload-id marker, after
    // every upload of key_marker.
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare(
        std::string("SELECT ") + kUploadColumns +
        " FROM s3_uploads WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2 AND "
        "(key > ?3 OR (key = ?3 AND ?4 <> '' AND upload_id > ?4)) "
        "ORDER BY key, upload_id LIMIT ?5"));
    s->Bind(1, bucket).Bind(2, prefix).Bind(3, key_marker).Bind(4, upload_id_marker);
    s->Bind(5, static_cast<int64_t>(max) + 1);
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      if (static_cast<int>(out.size()) == max) {
        *truncated = true;
        break;
      }
      out.push_back(ReadUpload(s));
    }
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<BlobId>> S3Store::CompleteUpload(const std::string& upload_id,
                                                    const StoredObject& object) {
  std::vector<BlobId> dead;
  Status st = meta_->Write([&](Conn& c) -> Status {
    dead.clear();
    TARN_ASSIGN_OR_RETURN(Stmt * u, c.Prepare("SELECT bucket FROM s3_uploads WHERE upload_id = ?1"));
    u->Bind(1, upload_id);
    TARN_ASSIGN_OR_RETURN(bool exists, u->Step());
    std::string bucket = exists ? std::string(u->Text(0)) : "";
    u->Reset();
    if (!exists) return NoSuchUpload();
    // The new object takes its references before the parts give theirs up,
    // so blobs it shares with the parts never reach zero.
    TARN_RETURN_IF_ERROR(RemoveObjectRow(c, bucket, object.meta.key, &dead));
    TARN_RETURN_IF_ERROR(InsertObjectRow(c, bucket, object));
    TARN_ASSIGN_OR_RETURN(bool removed, RemoveUploadRows(c, upload_id, &dead));
    (void)removed;
    return Status::OK();
  });
  if (!st.ok()) return st;
  return dead;
}

Result<std::vector<BlobId>> S3Store::AbortUpload(const std::string& upload_id) {
  std::vector<BlobId> dead;
  Status st = meta_->Write([&](Conn& c) -> Status {
    dead.clear();
    TARN_ASSIGN_OR_RETURN(bool removed, RemoveUploadRows(c, upload_id, &dead));
    if (!removed) return NoSuchUpload();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return dead;
}

Result<bool> S3Store::IsBlobLive(const BlobId& blob) {
  bool live = false;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT 1 FROM s3_blobs WHERE id = ?1"));
    s->Bind(1, blob.str());
    TARN_ASSIGN_OR_RETURN(bool row, s->Step());
    live = row;
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return live;
}

Result<std::vector<std::string>> S3Store::LiveBlobs() {
  std::vector<std::string> out;
  Status st = meta_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * s, c.Prepare("SELECT id FROM s3_blobs"));
    while (true) {
      TARN_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.emplace_back(s->Text(0));
    }
    s->Reset();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace tarn::s3
