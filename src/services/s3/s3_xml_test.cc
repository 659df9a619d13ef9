#include <gtest/gtest.h>

#include "services/s3/s3_xml.h"

namespace tarn::s3 {
namespace {

TEST(S3Xml, CompleteMultipartUploadParsesPartsAndUnquotesEtags) {
  Result<std::vector<CompletedPart>> parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><PartNumber>1</PartNumber><ETag>\"aaa\"</ETag></Part>"
      "<Part><ETag>&quot;bbb&quot;</ETag><PartNumber>2</PartNumber>"
      "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
      "</CompleteMultipartUpload>");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].etag, "aaa");
  EXPECT_EQ((*parts)[1].part_number, 2);
  EXPECT_EQ((*parts)[1].etag, "bbb");
  EXPECT_EQ((*parts)[1].checksum_value, "AAAAAA==");
}

TEST(S3Xml, MalformedBodiesAreMalformedXml) {
  for (const char* xml : {"", "<CompleteMultipartUpload>", "<Other/>",
                          "<CompleteMultipartUpload></CompleteMultipartUpload>",
                          "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag>"
                          "</Part></CompleteMultipartUpload>",
                          "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
                          "</CompleteMultipartUpload>"}) {
    Result<std::vector<CompletedPart>> r = ParseCompleteMultipartUpload(xml);
    ASSERT_FALSE(r.ok()) << xml;
    EXPECT_EQ(r.status().aws_code(), "MalformedXML");
  }
}

TEST(S3Xml, DeleteObjectsQuietAndKeys) {
  Result<DeleteRequest> r = ParseDeleteObjects(
      "<Delete><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object>"
      "<Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->quiet);
  ASSERT_EQ(r->keys.size(), 2u);
  EXPECT_EQ(r->keys[0], "a & b");
  EXPECT_FALSE(ParseDeleteObjects("<Delete></Delete>").ok());
}

// Found by fuzz/s3_xml_fuzz: text made only of blanks was dropped, so
// deleting the object " " deleted "" instead, and a tag " " became "".
TEST(S3Xml, BlankTextIsKept) {
  Result<DeleteRequest> r = ParseDeleteObjects(
      "<Delete>\n  <Object><Key> </Key></Object>\n  <Object><Key>\n\t</Key></Object>\n</Delete>");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->keys.size(), 2u);
  EXPECT_EQ(r->keys[0], " ");
  EXPECT_EQ(r->keys[1], "\n\t");
  Result<KeyValues> t = ParseTagging(
      "<Tagging><TagSet><Tag><Key>&#10;</Key><Value>  </Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].first, "\n");
  EXPECT_EQ((*t)[0].second, "  ");
}

TEST(S3Xml, TaggingRoundTripsKeysAndValues) {
  Result<KeyValues> t = ParseTagging(
      "<Tagging><TagSet><Tag><Key>k1</Key><Value>v1</Value></Tag>"
      "<Tag><Key>k2</Key><Value></Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].second, "v1");
  EXPECT_EQ((*t)[1].second, "");
  EXPECT_FALSE(ParseTagging("<Tagging/>").ok());
}

TEST(S3Xml, CreateBucketConfiguration) {
  Result<std::string> loc = ParseCreateBucketConfiguration(
      "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
      "</CreateBucketConfiguration>");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(*loc, "eu-west-1");
}

}  // namespace
}  // namespace tarn::s3
