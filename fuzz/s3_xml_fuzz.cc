// S3's XML request bodies (services/s3/s3_xml.h). The first byte picks the
// parser (mod 4): '0' CompleteMultipartUpload, '1' DeleteObjects, '2'
// Tagging, '3' CreateBucketConfiguration; the rest is the body.
//
// Checks: no crash, leak or UB; every failure is MalformedXML
// (kInvalidArgument); a success has the documented shape (at least one part;
// 1 to 1000 keys); and what was parsed
// survives a round trip: written back as XML with tarn's XmlEscape (as the
// responses that echo keys and tags write it) and parsed again, it is the
// same.
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "fuzz_check.h"
#include "services/s3/s3_xml.h"

namespace tarn::s3 {
namespace {

void CheckMalformed(const Status& s) {
  FUZZ_CHECK(s.code() == Code::kInvalidArgument && s.aws_code() == "MalformedXML", s.ToString());
}

std::string Element(std::string_view name, std::string_view text) {
  return "<" + std::string(name) + ">" + XmlEscape(text) + "</" + std::string(name) + ">";
}

void CompleteMultipartUpload(std::string_view xml) {
  auto r = ParseCompleteMultipartUpload(xml);
  if (!r.ok()) return CheckMalformed(r.status());
  FUZZ_CHECK(!r->empty(), "no parts");
  std::string again = "<CompleteMultipartUpload>";
  for (const CompletedPart& p : *r) {
    // Clients send ETags quoted, as S3 returned them.
    again += "<Part>" + Element("PartNumber", std::to_string(p.part_number)) +
             Element("ETag", "\"" + p.etag + "\"") + "</Part>";
  }
  again += "</CompleteMultipartUpload>";
  auto r2 = ParseCompleteMultipartUpload(again);
  FUZZ_CHECK(r2.ok() && r2->size() == r->size(), again);
  for (size_t i = 0; i < r->size(); i++) {
    FUZZ_CHECK((*r2)[i].part_number == (*r)[i].part_number && (*r2)[i].etag == (*r)[i].etag, again);
  }
}

void DeleteObjects(std::string_view xml) {
  auto r = ParseDeleteObjects(xml);
  if (!r.ok()) return CheckMalformed(r.status());
  FUZZ_CHECK(!r->keys.empty() && r->keys.size() <= 1000, std::to_string(r->keys.size()));
  std::string again = "<Delete>";
  if (r->quiet) again += "<Quiet>true</Quiet>";
  for (const std::string& key : r->keys) again += "<Object>" + Element("Key", key) + "</Object>";
  again += "</Delete>";
  auto r2 = ParseDeleteObjects(again);
  FUZZ_CHECK(r2.ok() && r2->quiet == r->quiet && r2->keys == r->keys, again);
}

void Tagging(std::string_view xml) {
  auto r = ParseTagging(xml);
  if (!r.ok()) return CheckMalformed(r.status());
  std::string again = "<Tagging><TagSet>";
  for (const auto& [k, v] : *r)
    again += "<Tag>" + Element("Key", k) + Element("Value", v) + "</Tag>";
  again += "</TagSet></Tagging>";
  auto r2 = ParseTagging(again);
  FUZZ_CHECK(r2.ok() && *r2 == *r, again);
}

void CreateBucketConfiguration(std::string_view xml) {
  auto r = ParseCreateBucketConfiguration(xml);
  if (!r.ok()) return CheckMalformed(r.status());
  std::string again = "<CreateBucketConfiguration>" + Element("LocationConstraint", *r) +
                      "</CreateBucketConfiguration>";
  auto r2 = ParseCreateBucketConfiguration(again);
  FUZZ_CHECK(r2.ok() && *r2 == *r, again);
}

}  // namespace
}  // namespace tarn::s3

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view xml(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0: tarn::s3::CompleteMultipartUpload(xml); break;
    case 1: tarn::s3::DeleteObjects(xml); break;
    case 2: tarn::s3::Tagging(xml); break;
    case 3: tarn::s3::CreateBucketConfiguration(xml); break;
  }
  return 0;
}
