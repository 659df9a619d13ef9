// Parsers for S3's XML request bodies (pugixml). Each returns MalformedXML
// (400) for anything that is not the documented shape.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "services/s3/s3_service.h"
#include "services/s3/s3_types.h"

namespace tarn::s3 {

// <CompleteMultipartUpload><Part><PartNumber/><ETag/>[<ChecksumCRC32/>...]</Part>...
Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view xml);

struct DeleteRequest {
  bool quiet = false;
  std::vector<std::string> keys;
};
// <Delete><Quiet/><Object><Key/>[<VersionId/>]</Object>...</Delete>
Result<DeleteRequest> ParseDeleteObjects(std::string_view xml);

// <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>
Result<KeyValues> ParseTagging(std::string_view xml);

// <CreateBucketConfiguration><LocationConstraint/></...>; "" when absent.
Result<std::string> ParseCreateBucketConfiguration(std::string_view xml);

}  // namespace tarn::s3
