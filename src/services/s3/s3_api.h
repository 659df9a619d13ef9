// S3Api: binds S3's REST operations (rest-xml protocol) to S3Service.
//
// It finds the bucket and key (path-style or virtual-host-style), picks the
// operation from the method, the subresources in the query and a few
// headers, parses headers and XML bodies, runs the service call on the
// worker pool, and renders the response or the S3 <Error> document.
// Operations S3 has and tarn does not implement answer 501 NotImplemented
// naming the operation.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "common/worker_pool.h"
#include "http/handler.h"
#include "services/s3/s3_service.h"

namespace tarn::s3 {

struct ApiOptions {
  // Host suffixes under which "<bucket>.<suffix>" addresses a bucket
  // (virtual-host style), e.g. "localhost" or "s3.localhost".
  std::vector<std::string> virtual_host_suffixes = {"s3.localhost", "localhost",
                                                     "s3.amazonaws.com"};
  std::string owner_id;    // canonical user id shown as Owner
  std::string owner_name = "tarn";
};

// Where an S3 request points.
struct S3Address {
  std::string bucket;  // empty for service-level requests (ListBuckets)
  std::string key;     // empty for bucket-level requests
};

// Bucket and key from the Host header and the request path. InvalidURI
// (400) when the path is not valid percent-encoding.
Result<S3Address> ResolveAddress(const http::Request& request, const ApiOptions& options);

class S3Api {
 public:
  S3Api(S3Service* service, WorkerPool* pool, ApiOptions options);

  // Answers one authenticated S3 request. Never throws; errors become S3
  // error responses (or a closed connection once a response has begun).
  boost::asio::awaitable<void> Handle(http::Request& request, http::BodyReader& body,
                                      http::ResponseWriter& out, const aws::AuthContext* auth,
                                      const std::string& request_id);

 private:
  struct Call;
  boost::asio::awaitable<Status> Dispatch(Call& call);

  boost::asio::awaitable<Status> ListBuckets(Call& call);
  boost::asio::awaitable<Status> CreateBucket(Call& call);
  boost::asio::awaitable<Status> HeadBucket(Call& call);
  boost::asio::awaitable<Status> DeleteBucket(Call& call);
  boost::asio::awaitable<Status> GetBucketLocation(Call& call);
  boost::asio::awaitable<Status> GetBucketVersioning(Call& call);
  boost::asio::awaitable<Status> ListObjects(Call& call, bool v2);
  boost::asio::awaitable<Status> ListObjectVersions(Call& call);
  boost::asio::awaitable<Status> DeleteObjects(Call& call);
  boost::asio::awaitable<Status> PutObject(Call& call);
  boost::asio::awaitable<Status> GetObject(Call& call, bool head);
  boost::asio::awaitable<Status> DeleteObject(Call& call);
  boost::asio::awaitable<Status> CopyObject(Call& call);
  boost::asio::awaitable<Status> PutObjectTagging(Call& call);
  boost::asio::awaitable<Status> GetObjectTagging(Call& call);
  boost::asio::awaitable<Status> DeleteObjectTagging(Call& call);
  boost::asio::awaitable<Status> CreateMultipartUpload(Call& call);
  boost::asio::awaitable<Status> UploadPart(Call& call);
  boost::asio::awaitable<Status> UploadPartCopy(Call& call);
  boost::asio::awaitable<Status> CompleteMultipartUpload(Call& call);
  boost::asio::awaitable<Status> AbortMultipartUpload(Call& call);
  boost::asio::awaitable<Status> ListParts(Call& call);
  boost::asio::awaitable<Status> ListMultipartUploads(Call& call);

  // Streams the request payload into a new BodySink.
  boost::asio::awaitable<Result<std::unique_ptr<BodySink>>> ReceiveBody(Call& call,
                                                                        std::string algorithm);
  // Reads a small request body (XML) whole; MalformedXML past the limit.
  boost::asio::awaitable<Result<std::string>> ReadSmallBody(Call& call);
  // Sends [first, first + length) of an object.
  boost::asio::awaitable<Status> SendObjectBytes(Call& call, const ObjectReader& reader,
                                                 uint64_t first, uint64_t length);
  boost::asio::awaitable<Status> SendXml(Call& call, int status, std::string xml);

  S3Service* service_;
  WorkerPool* pool_;
  ApiOptions options_;
};

}  // namespace tarn::s3
