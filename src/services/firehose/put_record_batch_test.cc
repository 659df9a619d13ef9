#include "services/firehose/put_record_batch.h"

#include <gtest/gtest.h>

#include "aws/json_protocol.h"
#include "common/encoding.h"
#include "services/firehose/firehose_api.h"

namespace tarn::firehose {
namespace {

std::string Body(const std::vector<std::string>& records, const std::string& name = "s") {
  aws::Json list = aws::Json::array();
  for (const auto& r : records) list.push_back(aws::Json{{"Data", Base64Encode(r)}});
  return aws::Json{{"DeliveryStreamName", name}, {"Records", list}}.dump();
}

TEST(PutRecordBatch, FastPathDecodesTheCommonForm) {
  std::string binary("\x00\xff\n\"", 4);
  auto r = DecodePutRecordBatchFast(Body({"a", "", binary}, "my.stream-1"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->stream_name, "my.stream-1");
  EXPECT_EQ(r->Records(), (std::vector<std::string_view>{"a", "", binary}));
}

TEST(PutRecordBatch, AnythingUnusualTakesTheDocumentPath) {
  std::vector<std::string> bodies = {
      Body({}),                                             // no records
      Body({"a"}, "bad name"),                              // name pattern
      Body({"a"}, std::string(65, 'n')),                    // name length
      R"({"DeliveryStreamName":"s","Records":[{"Data":"!!"}]})",          // not base64
      R"({"DeliveryStreamName":"s","Records":[{"Data":"YQ==","X":1}]})",  // extra member
      R"({"DeliveryStreamName":"s","Records":[{"Data":null}]})",          // null
      R"({"DeliveryStreamName":"s","DeliveryStreamName":"t","Records":[{"Data":"YQ=="}]})",
      R"({"Records":[{"Data":"YQ=="}]})",                                 // no name
      R"({"DeliveryStreamName":"s","Records":[{"Data":"YQ=="}]} x)",      // trailing bytes
      Body(std::vector<std::string>(501, "a")),                           // > 500 records
      Body({std::string(kMaxRecordBytes + 1, 'x')}),                      // > 1,000 KiB
      Body(std::vector<std::string>(5, std::string(1'000'000, 'x'))),     // > 4 MiB in all
  };
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_FALSE(DecodePutRecordBatchFast(bodies[i]).has_value()) << "body " << i;
  }
  EXPECT_TRUE(DecodePutRecordBatchFast(Body(std::vector<std::string>(500, "a"))).has_value());
  EXPECT_TRUE(DecodePutRecordBatchFast(Body({std::string(kMaxRecordBytes, 'x')})).has_value());
}

TEST(PutRecordBatch, EncodedAnswerIsWhatTheCodecWouldWrite) {
  std::vector<std::string> ids = {"00000000000000010000000000000000", "00000000000000010000000000000001"};
  aws::Json responses = aws::Json::array();
  for (const auto& id : ids) responses.push_back(aws::Json{{"RecordId", id}});
  for (bool encrypted : {false, true}) {
    aws::Json doc = {{"FailedPutCount", 0}, {"Encrypted", encrypted}, {"RequestResponses", responses}};
    EXPECT_EQ(EncodePutRecordBatchResult(ids, encrypted), aws::EncodeJsonBody(doc, aws::JsonWire::kJson));
  }
}

}  // namespace
}  // namespace tarn::firehose
