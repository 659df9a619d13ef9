#include "services/s3/s3_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "storage/test_temp_dir.h"

namespace tarn::s3 {
namespace {

namespace fs = std::filesystem;

class S3ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    service_.reset();
    blobs_.reset();
    meta_.reset();
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
    options.inline_threshold = 16;  // small, so tests exercise blobs
    options.min_part_size = 4;
    service_ = std::make_unique<S3Service>(meta_.get(), blobs_.get(), options);
    ASSERT_TRUE(service_->Start().ok());
  }

  ObjectMeta Put(const std::string& bucket, const std::string& key, const std::string& data) {
    auto body = service_->NewBody("");
    EXPECT_TRUE(body.ok());
    EXPECT_TRUE((*body)->Append(data).ok());
    PutObjectInput in;
    in.bucket = bucket;
    in.key = key;
    auto meta = service_->PutObject(in, std::move(*body));
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return meta.ok() ? *meta : ObjectMeta{};
  }

  std::string Read(const std::string& bucket, const std::string& key) {
    auto obj = service_->GetObject(bucket, key);
    if (!obj.ok()) return "<" + obj.status().aws_code() + ">";
    auto reader = service_->OpenReader(*obj);
    EXPECT_TRUE(reader.ok());
    std::string out((*reader)->size(), '\0');
    auto n = (*reader)->ReadAt(0, out.data(), out.size());
    EXPECT_TRUE(n.ok());
    return out;
  }

  size_t BlobFiles() {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir_.Join("blobs"))) {
      if (e.is_regular_file()) n++;
    }
    return n;
  }

  std::vector<std::string> ListAll(const std::string& bucket, ListRequest req) {
    std::vector<std::string> out;
    while (true) {
      auto page = service_->ListObjects(bucket, req);
      EXPECT_TRUE(page.ok());
      for (const auto& e : page->entries) out.push_back((e.is_prefix ? "P:" : "K:") + e.key);
      if (!page->truncated) break;
      req.after = page->entries.back().key;
      req.after_is_prefix = page->entries.back().is_prefix;
    }
    return out;
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<S3Service> service_;
};

TEST_F(S3ServiceTest, BucketNamesFollowAwsRules) {
  for (const char* bad : {"ab", "Upper", "a..b", "-ab", "ab-", "192.168.1.1", "xn--abc",
                          "under_score", "abc-s3alias"}) {
    EXPECT_EQ(service_->CreateBucket(bad, "").aws_code(), "InvalidBucketName") << bad;
  }
  EXPECT_TRUE(service_->CreateBucket("good.bucket-1", "").ok());
  EXPECT_EQ(service_->CreateBucket("good.bucket-1", "").aws_code(), "BucketAlreadyOwnedByYou");
}

TEST_F(S3ServiceTest, DeleteBucketRefusesWhileObjectsRemain) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  Put("bkt", "k", "v");
  EXPECT_EQ(service_->DeleteBucket("bkt").aws_code(), "BucketNotEmpty");
  ASSERT_TRUE(service_->DeleteObject("bkt", "k").ok());
  EXPECT_TRUE(service_->DeleteBucket("bkt").ok());
  EXPECT_EQ(service_->DeleteBucket("bkt").aws_code(), "NoSuchBucket");
}

TEST_F(S3ServiceTest, DeleteBucketAbortsPendingUploadsAndFreesTheirBlobs) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  UploadInfo u;
  u.bucket = "bkt";
  u.key = "pending";
  auto up = service_->CreateUpload(u);
  ASSERT_TRUE(up.ok());
  auto body = service_->NewBody("");
  ASSERT_TRUE((*body)->Append("part").ok());
  ASSERT_TRUE(service_->UploadPart("bkt", "pending", up->upload_id, 1, {}, std::move(*body)).ok());
  EXPECT_EQ(BlobFiles(), 1u);
  // Pending uploads do not keep a bucket alive (as in S3); they go with it.
  ASSERT_TRUE(service_->DeleteBucket("bkt").ok());
  EXPECT_EQ(BlobFiles(), 0u);
  EXPECT_EQ(service_->GetBucket("bkt").status().aws_code(), "NoSuchBucket");
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  EXPECT_EQ(service_->GetUpload("bkt", "pending", up->upload_id).status().aws_code(),
            "NoSuchUpload");
}

TEST_F(S3ServiceTest, ListingRollsUpCommonPrefixesInByteOrder) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  for (const char* k : {"a/1", "a/2", "b", "c/d/e", "c/x", "B", "\xc3\xa9", "z"}) Put("bkt", k, "x");
  ListRequest req;
  req.delimiter = "/";
  EXPECT_EQ(ListAll("bkt", req),
            (std::vector<std::string>{"K:B", "P:a/", "K:b", "P:c/", "K:z", "K:\xc3\xa9"}));
  req.prefix = "c/";
  EXPECT_EQ(ListAll("bkt", req), (std::vector<std::string>{"P:c/d/", "K:c/x"}));
}

TEST_F(S3ServiceTest, PagesOfOneVisitEveryEntryOnce) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  for (const char* k : {"a/1", "a/2", "a/3", "b", "c/1", "d"}) Put("bkt", k, "x");
  ListRequest req;
  req.delimiter = "/";
  req.max_keys = 1;
  EXPECT_EQ(ListAll("bkt", req),
            (std::vector<std::string>{"P:a/", "K:b", "P:c/", "K:d"}));
  req.delimiter.clear();
  req.max_keys = 2;
  EXPECT_EQ(ListAll("bkt", req).size(), 6u);
}

TEST_F(S3ServiceTest, FullLastPageIsNotTruncated) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  Put("bkt", "a", "x");
  Put("bkt", "b", "x");
  ListRequest req;
  req.max_keys = 2;
  auto page = service_->ListObjects("bkt", req);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), 2u);
  EXPECT_FALSE(page->truncated);
}

TEST_F(S3ServiceTest, OverwriteAndDeleteReleaseBlobs) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  Put("bkt", "big", std::string(100, 'a'));  // over the inline threshold
  EXPECT_EQ(BlobFiles(), 1u);
  Put("bkt", "big", std::string(200, 'b'));
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Read("bkt", "big"), std::string(200, 'b'));
  Put("bkt", "small", "tiny");  // inline: no file
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Read("bkt", "small"), "tiny");
  ASSERT_TRUE(service_->DeleteObject("bkt", "big").ok());
  EXPECT_EQ(BlobFiles(), 0u);
  EXPECT_EQ(Read("bkt", "big"), "<NoSuchKey>");
}

TEST_F(S3ServiceTest, ContentMd5MismatchIsBadDigestAndStoresNothing) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  auto body = service_->NewBody("");
  ASSERT_TRUE((*body)->Append(std::string(100, 'x')).ok());
  PutObjectInput in;
  in.bucket = "bkt";
  in.key = "k";
  in.expect.content_md5 = "1B2M2Y8AsgTpgAmY7PhCfg==";  // md5 of ""
  auto r = service_->PutObject(in, std::move(*body));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().aws_code(), "BadDigest");
  EXPECT_EQ(BlobFiles(), 0u);
  EXPECT_EQ(Read("bkt", "k"), "<NoSuchKey>");
}

TEST_F(S3ServiceTest, ChecksumsAreComputedAndVerified) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  auto body = service_->NewBody("crc32c");
  ASSERT_TRUE((*body)->Append("123456789").ok());
  PutObjectInput in;
  in.bucket = "bkt";
  in.key = "k";
  auto meta = service_->PutObject(in, std::move(*body));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->checksum.algorithm, "CRC32C");
  EXPECT_EQ(meta->checksum.value, "4waSgw==");  // 0xE3069283
  body = service_->NewBody("SHA256");
  ASSERT_TRUE((*body)->Append("abc").ok());
  in.expect.checksum_value = "AAAA";
  auto bad = service_->PutObject(in, std::move(*body));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().aws_code(), "BadDigest");
}

TEST_F(S3ServiceTest, MultipartCompletesWithoutCopyingAndAbortFreesParts) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  UploadInfo u;
  u.bucket = "bkt";
  u.key = "mp";
  auto up = service_->CreateUpload(u);
  ASSERT_TRUE(up.ok());
  std::vector<CompletedPart> done;
  std::string whole;
  for (int i = 1; i <= 3; i++) {
    std::string data(10 + i, static_cast<char>('a' + i));
    whole += data;
    auto body = service_->NewBody("");
    ASSERT_TRUE((*body)->Append(data).ok());
    auto part = service_->UploadPart("bkt", "mp", up->upload_id, i, {}, std::move(*body));
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    done.push_back(CompletedPart{i, part->etag, ""});
  }
  EXPECT_EQ(BlobFiles(), 3u);
  // Out of order and wrong ETag are refused.
  std::vector<CompletedPart> reversed(done.rbegin(), done.rend());
  EXPECT_EQ(service_->CompleteUpload("bkt", "mp", up->upload_id, reversed).status().aws_code(),
            "InvalidPartOrder");
  auto wrong = done;
  wrong[1].etag = "00";
  EXPECT_EQ(service_->CompleteUpload("bkt", "mp", up->upload_id, wrong).status().aws_code(),
            "InvalidPart");
  auto meta = service_->CompleteUpload("bkt", "mp", up->upload_id, done);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->size, whole.size());
  EXPECT_TRUE(meta->etag.size() > 2 && meta->etag.substr(meta->etag.size() - 2) == "-3");
  EXPECT_EQ(Read("bkt", "mp"), whole);
  EXPECT_EQ(BlobFiles(), 3u);  // the parts' blobs became the object's extents

  auto up2 = service_->CreateUpload(u);
  auto body = service_->NewBody("");
  ASSERT_TRUE((*body)->Append(std::string(50, 'q')).ok());
  ASSERT_TRUE(service_->UploadPart("bkt", "mp", up2->upload_id, 1, {}, std::move(*body)).ok());
  EXPECT_EQ(BlobFiles(), 4u);
  ASSERT_TRUE(service_->AbortUpload("bkt", "mp", up2->upload_id).ok());
  EXPECT_EQ(BlobFiles(), 3u);
  EXPECT_EQ(service_->AbortUpload("bkt", "mp", up2->upload_id).aws_code(), "NoSuchUpload");
}

TEST_F(S3ServiceTest, EntityTooSmallExceptForTheLastPart) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  UploadInfo u;
  u.bucket = "bkt";
  u.key = "mp";
  auto up = service_->CreateUpload(u);
  std::vector<CompletedPart> done;
  for (int i = 1; i <= 2; i++) {
    auto body = service_->NewBody("");
    ASSERT_TRUE((*body)->Append("ab").ok());  // under min_part_size (4)
    auto part = service_->UploadPart("bkt", "mp", up->upload_id, i, {}, std::move(*body));
    done.push_back(CompletedPart{i, part->etag, ""});
  }
  EXPECT_EQ(service_->CompleteUpload("bkt", "mp", up->upload_id, done).status().aws_code(),
            "EntityTooSmall");
  done.pop_back();
  EXPECT_TRUE(service_->CompleteUpload("bkt", "mp", up->upload_id, done).ok());
}

TEST_F(S3ServiceTest, CopySharesBlobsAndOutlivesTheSource) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  std::string data(300, 'z');
  Put("bkt", "src", data);
  CopyObjectInput in;
  in.src_bucket = in.bucket = "bkt";
  in.src_key = "src";
  in.key = "dst";
  ASSERT_TRUE(service_->CopyObject(in).ok());
  EXPECT_EQ(BlobFiles(), 1u);
  ASSERT_TRUE(service_->DeleteObject("bkt", "src").ok());
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Read("bkt", "dst"), data);
  in.src_key = in.key = "dst";
  EXPECT_EQ(service_->CopyObject(in).status().aws_code(), "InvalidRequest");
}

TEST_F(S3ServiceTest, UploadPartCopyReferencesARangeOfTheSource) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  std::string data;
  for (int i = 0; i < 100; i++) data += static_cast<char>('A' + i % 26);
  Put("bkt", "src", data);
  auto src = service_->GetObject("bkt", "src");
  UploadInfo u;
  u.bucket = "bkt";
  u.key = "dst";
  auto up = service_->CreateUpload(u);
  auto p1 = service_->UploadPartCopy("bkt", "dst", up->upload_id, 1, *src, std::make_pair(0ull, 49ull));
  auto p2 = service_->UploadPartCopy("bkt", "dst", up->upload_id, 2, *src, std::make_pair(50ull, 99ull));
  ASSERT_TRUE(p1.ok() && p2.ok());
  ASSERT_TRUE(service_->CompleteUpload("bkt", "dst", up->upload_id,
                                       {{1, p1->etag, ""}, {2, p2->etag, ""}})
                  .ok());
  EXPECT_EQ(Read("bkt", "dst"), data);
  EXPECT_EQ(BlobFiles(), 1u);
}

TEST_F(S3ServiceTest, RestartKeepsObjectsAndSweepsOrphans) {
  ASSERT_TRUE(service_->CreateBucket("bkt", "").ok());
  Put("bkt", "big", std::string(100, 'a'));
  Put("bkt", "small", "s");
  // An orphan: a committed blob that no metadata references (a crash
  // between blob commit and metadata commit leaves one).
  auto w = blobs_->NewWriter();
  ASSERT_TRUE((*w)->Append("orphan").ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(BlobFiles(), 2u);
  Open();
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Read("bkt", "big"), std::string(100, 'a'));
  EXPECT_EQ(Read("bkt", "small"), "s");
}

}  // namespace
}  // namespace tarn::s3
