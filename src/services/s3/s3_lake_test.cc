// SQL over S3 objects: a real S3Service behind S3Lake, read by the real
// query module (this test runs from bin/, beside libtarn_query.so).
#include "services/s3/s3_lake.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "query/query_loader.h"
#include "storage/test_temp_dir.h"

namespace tarn::s3 {
namespace {

class S3LakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::MetaStore::Options mo;
    mo.path = dir_.Join("meta.db");
    mo.synchronous = false;
    auto meta = storage::MetaStore::Open(mo);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    meta_ = std::move(*meta);
    auto blobs = storage::BlobStore::Open(storage::Env::Default(), dir_.path());
    ASSERT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    ServiceOptions options;
    options.inline_threshold = 64;  // small, so Parquet files are blobs
    options.min_part_size = 4;
    service_ = std::make_unique<S3Service>(meta_.get(), blobs_.get(), options);
    ASSERT_TRUE(service_->Start().ok());
    ASSERT_TRUE(service_->CreateBucket("lake", "").ok());
    lake_ = std::make_unique<S3Lake>(service_.get());
    query::QueryConfig config;
    config.threads = 2;
    config.lake = lake_.get();
    config.local_files = true;  // the fixtures write Parquet locally
    auto engine = query::CreateQueryEngine(config);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }

  void Put(const std::string& key, const std::string& data) {
    auto body = service_->NewBody("");
    ASSERT_TRUE(body.ok());
    ASSERT_TRUE((*body)->Append(data).ok());
    PutObjectInput in;
    in.bucket = "lake";
    in.key = key;
    ASSERT_TRUE(service_->PutObject(in, std::move(*body)).ok());
  }

  // An object of several extents: a multipart upload of `data` in 3 parts.
  void PutMultipart(const std::string& key, const std::string& data) {
    UploadInfo u;
    u.bucket = "lake";
    u.key = key;
    auto up = service_->CreateUpload(u);
    ASSERT_TRUE(up.ok());
    std::vector<CompletedPart> parts;
    const size_t third = data.size() / 3;
    for (int i = 0; i < 3; ++i) {
      std::string piece = data.substr(i * third, i == 2 ? std::string::npos : third);
      auto body = service_->NewBody("");
      ASSERT_TRUE((*body)->Append(piece).ok());
      auto part = service_->UploadPart("lake", key, up->upload_id, i + 1, {}, std::move(*body));
      ASSERT_TRUE(part.ok()) << part.status().ToString();
      parts.push_back(CompletedPart{i + 1, part->etag, ""});
    }
    ASSERT_TRUE(service_->CompleteUpload("lake", key, up->upload_id, parts).ok());
  }

  std::string Parquet(const std::string& select) {
    const std::string local = dir_.Join("tmp.parquet");
    auto r = engine_->ExecuteToText("COPY (" + select + ") TO '" + local + "' (FORMAT parquet)");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::ifstream in(local, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string Query(const std::string& sql) {
    auto r = engine_->ExecuteToText(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? *r : "";
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<S3Service> service_;
  std::unique_ptr<S3Lake> lake_;
  std::unique_ptr<query::QueryEngine> engine_;
};

TEST_F(S3LakeTest, SqlReadsObjectsOfEveryShape) {
  Put("t/dt=2024-01-01/a.parquet", Parquet("SELECT i AS id, 'x' || i AS s FROM range(1000) t(i)"));
  PutMultipart("t/dt=2024-01-02/b.parquet",
               Parquet("SELECT i + 1000 AS id, 'y' AS s FROM range(5000) t(i)"));
  Put("t/dt=2024-01-02/notes.txt", "not data");
  Put("small.csv", "a,b\n1,2\n");  // inline in meta.db
  EXPECT_EQ(Query("SELECT count(*), min(id), max(id) FROM read_parquet("
                  "'s3://lake/t/*/*.parquet', hive_partitioning = true)"),
            "6000\t0\t5999");
  EXPECT_EQ(Query("SELECT dt, count(*) FROM read_parquet('s3://lake/t/**/*.parquet', "
                  "hive_partitioning = true) GROUP BY dt ORDER BY dt"),
            "2024-01-01\t1000\n2024-01-02\t5000");
  EXPECT_EQ(Query("SELECT a + b FROM read_csv('s3://lake/small.csv')"), "3");
}

TEST_F(S3LakeTest, ListingPagesThroughLargePrefixes) {
  // More keys than one ListObjects page (1,000).
  for (int i = 0; i < 1200; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "many/k%05d.csv", i);
    Put(key, "n\n" + std::to_string(i) + "\n");
  }
  EXPECT_EQ(Query("SELECT count(*), sum(n) FROM read_csv('s3://lake/many/*.csv')"),
            "1200\t719400");
}

TEST_F(S3LakeTest, MissingBucketOrKeyIsAnError) {
  EXPECT_FALSE(engine_->ExecuteToText("SELECT * FROM read_csv('s3://nope/a.csv')").ok());
  EXPECT_FALSE(engine_->ExecuteToText("SELECT * FROM read_csv('s3://lake/nope.csv')").ok());
}

}  // namespace
}  // namespace tarn::s3
