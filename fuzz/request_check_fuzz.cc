// Request validation (aws/model_checker.h) as the services use it, on any
// JSON a client can send. The first byte picks the check (mod 4); the rest
// is a request body, decoded as the JSON wire decodes it.
//
//   '0' Glue's TableInput, '1' Glue's PartitionInput, '2' Firehose's
//       ExtendedS3DestinationConfiguration, '3' Kinesis' PutRecords.
//
// Every check either passes or fails with the service's validation error or
// SerializationException; a violation list names at most ten. What a
// Firehose check accepts compiles into delivery settings or is refused with
// a reason, never with an internal error.
#include <string>
#include <string_view>

#include "aws/json_protocol.h"
#include "fuzz_check.h"
#include "services/firehose/destination_config.h"
#include "services/glue/glue_validate.h"
#include "services/kinesis/put_records.h"

namespace tarn {
namespace {

using Json = nlohmann::json;

size_t Count(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

void CheckFinding(const Status& st, std::string_view validation_code) {
  if (st.ok()) return;
  FUZZ_CHECK(st.code() == Code::kInvalidArgument, st.ToString());
  FUZZ_CHECK(st.aws_code() == validation_code || st.aws_code() == "SerializationException",
             st.ToString());
  if (st.aws_code() == validation_code) {
    FUZZ_CHECK(Count(st.message(), "failed to satisfy constraint") <= 10, st.message());
  }
}

}  // namespace
}  // namespace tarn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn;
  if (size < 1) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  Result<Json> doc = aws::DecodeJsonBody(body, aws::JsonWire::kJson);
  if (!doc.ok() || !doc->is_object()) return 0;
  switch (data[0] % 4) {
    case 0:
    case 1: {
      glue::Checker c(*doc, data[0] % 4 == 0 ? "tableInput." : "partitionInput.");
      Json out = *doc;
      if (data[0] % 4 == 0) {
        glue::CheckTableInput(c, out);
      } else {
        glue::CheckPartitionInput(c, out);
      }
      CheckFinding(c.Finish(), "InvalidInputException");
      break;
    }
    case 2: {
      firehose::Checker c(*doc, "extendedS3DestinationConfiguration.");
      firehose::CheckExtendedS3Destination(c, false);
      const Status st = c.Finish();
      CheckFinding(st, "InvalidArgumentException");
      if (st.ok()) {
        auto settings = firehose::CompileDestination(c.out(), firehose::CompileOptions{});
        FUZZ_CHECK(settings.ok() || settings.status().code() != Code::kInternal,
                   settings.status().ToString());
      }
      break;
    }
    case 3: {
      Result<kinesis::PutRecordsRequest> r = kinesis::ParsePutRecords(*doc);
      if (!r.ok() && r.status().aws_code() != "InvalidArgumentException") {
        CheckFinding(r.status(), "ValidationException");
      }
      break;
    }
  }
  return 0;
}
