// The JSON protocol's codecs (aws/json_protocol.h, aws/json_reader.h) and
// the Kinesis PutRecords fast path (services/kinesis/put_records.h). The
// first byte picks the check (mod 4); the rest is a request body.
//
//   '0' DecodeJsonBody, JSON wire: failures are SerializationException
//       (or ResourceExhausted); a document survives EncodeJsonBody and a
//       second decode unchanged.
//   '1' The same over the CBOR wire (both encoders must cope with what it
//       decodes, blobs and timestamps included).
//   '2' JsonReader against nlohmann: a document the reader walks to its end
//       (objects, arrays, strings, nulls) decodes with DecodeJsonBody to the
//       very same document.
//   '3' DecodePutRecordsFast against the document path: what the fast path
//       accepts, ParsePutRecords accepts with the same stream, keys, data
//       and explicit hash keys; every record is within Kinesis's limits.
#include <string>
#include <string_view>

#include "aws/json_protocol.h"
#include "aws/json_reader.h"
#include "fuzz_check.h"
#include "services/kinesis/put_records.h"

namespace tarn::aws {
namespace {

void CheckDecodeError(const Status& s, std::string_view body) {
  FUZZ_CHECK((s.code() == Code::kInvalidArgument && s.aws_code() == "SerializationException") ||
                 s.code() == Code::kResourceExhausted,
             s.ToString());
}

void RoundTrip(std::string_view body, JsonWire wire) {
  Result<Json> doc = DecodeJsonBody(body, wire);
  if (!doc.ok()) return CheckDecodeError(doc.status(), body);
  const std::string again = EncodeJsonBody(*doc, wire);
  Result<Json> doc2 = DecodeJsonBody(again, wire);
  FUZZ_CHECK(doc2.ok(), doc2.status().ToString() + " re-decoding " + again);
  FUZZ_CHECK(*doc2 == *doc, again);
  // The other wire's encoder must cope with anything either decoder makes.
  (void)EncodeJsonBody(*doc, wire == JsonWire::kJson ? JsonWire::kCbor : JsonWire::kJson);
}

// Walks one value with the reader, building the document it describes;
// false where the reader stops (a number or boolean, or bad input).
bool Walk(JsonReader& r, Json* out, int depth) {
  switch (r.Peek()) {
    case JsonReader::Kind::kObject: {
      if (!r.EnterObject()) return false;
      *out = Json::object();
      std::string_view name;
      while (r.NextMember(&name)) {
        std::string key(name);
        Json value;
        if (!Walk(r, &value, depth + 1)) return false;
        (*out)[key] = std::move(value);  // the last of duplicates wins, as in nlohmann
      }
      return !r.failed();
    }
    case JsonReader::Kind::kArray: {
      if (!r.EnterArray()) return false;
      *out = Json::array();
      while (r.NextElement()) {
        Json value;
        if (!Walk(r, &value, depth + 1)) return false;
        out->push_back(std::move(value));
      }
      return !r.failed();
    }
    case JsonReader::Kind::kString: {
      std::string_view s;
      if (!r.ReadString(&s)) return false;
      *out = std::string(s);
      return true;
    }
    case JsonReader::Kind::kNull:
      *out = nullptr;
      return r.ReadNull();
    default:
      return false;
  }
}

void ReaderAgainstDocument(std::string_view body) {
  JsonReader r(body);
  Json walked;
  if (!Walk(r, &walked, 0) || !r.AtEnd()) return;
  Result<Json> doc = DecodeJsonBody(body, JsonWire::kJson);
  FUZZ_CHECK(doc.ok(), "the reader accepted what DecodeJsonBody refuses: " + doc.status().ToString());
  FUZZ_CHECK(*doc == walked, walked.dump() + " vs " + doc->dump());
}

}  // namespace
}  // namespace tarn::aws

namespace tarn::kinesis {
namespace {

void PutRecordsFastAgainstDocument(std::string_view body) {
  std::optional<PutRecordsRequest> fast = DecodePutRecordsFast(body);
  if (!fast) return;
  Result<aws::Json> doc = aws::DecodeJsonObject(body, aws::JsonWire::kJson);
  FUZZ_CHECK(doc.ok(), "fast path accepted an undecodable body: " + doc.status().ToString());
  Result<PutRecordsRequest> slow = ParsePutRecords(*doc);
  FUZZ_CHECK(slow.ok(), "fast path accepted what validation refuses: " + slow.status().ToString());
  FUZZ_CHECK(fast->stream_name == slow->stream_name && fast->stream_arn == slow->stream_arn,
             fast->stream_name + " / " + fast->stream_arn);
  std::vector<PutEntry> a = fast->Entries(), b = slow->Entries();
  FUZZ_CHECK(a.size() == b.size() && !a.empty() && a.size() <= kMaxPutRecords,
             std::to_string(a.size()) + " vs " + std::to_string(b.size()));
  for (size_t i = 0; i < a.size(); ++i) {
    FUZZ_CHECK(a[i].partition_key == b[i].partition_key, a[i].partition_key);
    FUZZ_CHECK(a[i].data == b[i].data, a[i].data);
    FUZZ_CHECK(a[i].explicit_hash_key.has_value() == b[i].explicit_hash_key.has_value(), "hash key");
    if (a[i].explicit_hash_key) {
      FUZZ_CHECK(a[i].explicit_hash_key->ToString() == b[i].explicit_hash_key->ToString(),
                 a[i].explicit_hash_key->ToString());
    }
    FUZZ_CHECK(!a[i].partition_key.empty() && a[i].partition_key.size() <= 1024 &&
                   a[i].partition_key.size() + a[i].data.size() <= kMaxRecordBytes,
               a[i].partition_key);
  }
}

}  // namespace
}  // namespace tarn::kinesis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0: tarn::aws::RoundTrip(body, tarn::aws::JsonWire::kJson); break;
    case 1: tarn::aws::RoundTrip(body, tarn::aws::JsonWire::kCbor); break;
    case 2: tarn::aws::ReaderAgainstDocument(body); break;
    case 3: tarn::kinesis::PutRecordsFastAgainstDocument(body); break;
  }
  return 0;
}
