#include "services/s3/s3_xml.h"

#include <pugixml.hpp>

#include <charconv>
#include <cstring>

#include "services/s3/s3_headers.h"

namespace tarn::s3 {

namespace {

Status MalformedXml(std::string_view detail = {}) {
  std::string m =
      "The XML you provided was not well-formed or did not validate against our published schema";
  if (!detail.empty()) {
    m += " (";
    m += detail;
    m += ")";
  }
  return InvalidArgument(std::move(m), "MalformedXML");
}

Status Load(pugi::xml_document& doc, std::string_view xml, const char* root) {
  // parse_ws_pcdata_single: an element whose whole text is blanks keeps it
  // (<Key> </Key> names the object " "); pugixml drops it by default.
  pugi::xml_parse_result r =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                      pugi::encoding_utf8);
  if (!r) return MalformedXml(r.description());
  if (std::strcmp(doc.document_element().name(), root) != 0) {
    return MalformedXml(std::string("expected root element ") + root);
  }
  return Status::OK();
}

// Child text, whether or not the child exists.
std::string Text(const pugi::xml_node& node, const char* child) {
  return node.child(child).text().as_string();
}

}  // namespace

Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  TARN_RETURN_IF_ERROR(Load(doc, xml, "CompleteMultipartUpload"));
  std::vector<CompletedPart> parts;
  for (pugi::xml_node p : doc.document_element().children("Part")) {
    CompletedPart cp;
    std::string num = Text(p, "PartNumber");
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), cp.part_number);
    if (ec != std::errc() || ptr != num.data() + num.size()) return MalformedXml("bad PartNumber");
    if (!p.child("ETag")) return MalformedXml("Part without ETag");
    cp.etag = std::string(UnquoteEtag(Text(p, "ETag")));
    for (const char* c : {"ChecksumCRC32", "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256"}) {
      if (p.child(c)) cp.checksum_value = Text(p, c);
    }
    parts.push_back(std::move(cp));
  }
  if (parts.empty()) return MalformedXml("no parts");
  return parts;
}

Result<DeleteRequest> ParseDeleteObjects(std::string_view xml) {
  pugi::xml_document doc;
  TARN_RETURN_IF_ERROR(Load(doc, xml, "Delete"));
  DeleteRequest req;
  pugi::xml_node root = doc.document_element();
  std::string quiet = Text(root, "Quiet");
  req.quiet = quiet == "true" || quiet == "True" || quiet == "TRUE";
  for (pugi::xml_node o : root.children("Object")) {
    if (!o.child("Key")) return MalformedXml("Object without Key");
    req.keys.push_back(Text(o, "Key"));
  }
  if (req.keys.empty()) return MalformedXml("no objects");
  if (req.keys.size() > static_cast<size_t>(kMaxDeleteObjects)) {
    return MalformedXml("more than 1000 objects");
  }
  return req;
}

Result<KeyValues> ParseTagging(std::string_view xml) {
  pugi::xml_document doc;
  TARN_RETURN_IF_ERROR(Load(doc, xml, "Tagging"));
  pugi::xml_node set = doc.document_element().child("TagSet");
  if (!set) return MalformedXml("no TagSet");
  KeyValues tags;
  for (pugi::xml_node t : set.children("Tag")) {
    if (!t.child("Key")) return MalformedXml("Tag without Key");
    tags.emplace_back(Text(t, "Key"), Text(t, "Value"));
  }
  return tags;
}

Result<std::string> ParseCreateBucketConfiguration(std::string_view xml) {
  pugi::xml_document doc;
  TARN_RETURN_IF_ERROR(Load(doc, xml, "CreateBucketConfiguration"));
  return Text(doc.document_element(), "LocationConstraint");
}

}  // namespace tarn::s3
