#include "services/s3/s3_api.h"

#include <algorithm>
#include <charconv>

#include "aws/payload.h"
#include "aws/rest_xml.h"
#include "common/encoding.h"
#include "common/log.h"
#include "services/s3/s3_headers.h"
#include "services/s3/s3_xml.h"

namespace tarn::s3 {

namespace asio = boost::asio;
using aws::XmlWriter;
using aws::kS3Xmlns;

namespace {

constexpr size_t kSmallBodyLimit = 2 << 20;   // XML request bodies
constexpr size_t kBodyChunk = 1 << 20;        // streaming unit for bodies
constexpr std::string_view kDefaultContentType = "binary/octet-stream";

constexpr std::string_view kChecksumAlgorithms[] = {"CRC32", "CRC32C", "SHA1", "SHA256"};

std::string ChecksumHeader(std::string_view alg) { return "x-amz-checksum-" + ToLower(alg); }

std::string Quote(std::string_view etag) {
  std::string q = "\"";
  q += etag;
  q += '"';
  return q;
}

Result<int> ParseInt(std::string_view s, std::string_view name, int min, int max) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) {
    return InvalidArgument("Provided " + std::string(name) + " not an integer or within integer range",
                           "InvalidArgument");
  }
  return v;
}

// S3 subresources tarn knows but does not implement: name -> operation
// suffix. The operation is the method's verb plus the suffix.
const std::pair<std::string_view, std::string_view> kBucketSubresources[] = {
    {"accelerate", "BucketAccelerateConfiguration"},
    {"acl", "BucketAcl"},
    {"analytics", "BucketAnalyticsConfiguration"},
    {"cors", "BucketCors"},
    {"encryption", "BucketEncryption"},
    {"intelligent-tiering", "BucketIntelligentTieringConfiguration"},
    {"inventory", "BucketInventoryConfiguration"},
    {"lifecycle", "BucketLifecycleConfiguration"},
    {"logging", "BucketLogging"},
    {"metadataTable", "BucketMetadataTableConfiguration"},
    {"metrics", "BucketMetricsConfiguration"},
    {"notification", "BucketNotificationConfiguration"},
    {"object-lock", "ObjectLockConfiguration"},
    {"ownershipControls", "BucketOwnershipControls"},
    {"policy", "BucketPolicy"},
    {"policyStatus", "BucketPolicyStatus"},
    {"publicAccessBlock", "PublicAccessBlock"},
    {"replication", "BucketReplication"},
    {"requestPayment", "BucketRequestPayment"},
    {"tagging", "BucketTagging"},
    {"website", "BucketWebsite"},
};

const std::pair<std::string_view, std::string_view> kObjectSubresources[] = {
    {"acl", "ObjectAcl"},
    {"attributes", "ObjectAttributes"},
    {"legal-hold", "ObjectLegalHold"},
    {"retention", "ObjectRetention"},
    {"torrent", "ObjectTorrent"},
};

std::string Verb(std::string_view method) {
  if (method == "GET" || method == "HEAD") return "Get";
  if (method == "PUT") return "Put";
  if (method == "DELETE") return "Delete";
  return "Post";
}

Status NotImplementedOp(std::string_view operation) {
  return Unimplemented("tarn does not implement the S3 operation " + std::string(operation) +
                           " yet.",
                       "NotImplemented");
}

Status MethodNotAllowed(std::string_view method) {
  return Status(Code::kInvalidArgument,
                "The specified method (" + std::string(method) +
                    ") is not allowed against this resource.",
                "MethodNotAllowed");
}

}  // namespace

// ------------------------------------------------------------- addressing

Result<S3Address> ResolveAddress(const http::Request& req, const ApiOptions& options) {
  S3Address a;
  std::optional<std::string> path = UriDecode(req.path);
  if (!path || path->empty() || (*path)[0] != '/') {
    return InvalidArgument("Couldn't parse the specified URI.", "InvalidURI");
  }
  std::string_view host = req.headers.GetOr("host", "");
  // Strip the port; keep IPv6 literals intact.
  if (!host.empty() && host.front() != '[') {
    size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  std::string host_lower = ToLower(host);
  // A host that is itself one of the suffixes is path-style: "s3.localhost"
  // must not read as bucket "s3" under "localhost" (botocore sends
  // GetBucketLocation path-style to the bare endpoint).
  const bool bare_endpoint =
      std::find(options.virtual_host_suffixes.begin(), options.virtual_host_suffixes.end(),
                host_lower) != options.virtual_host_suffixes.end();
  for (const std::string& suffix : options.virtual_host_suffixes) {
    if (bare_endpoint) break;
    if (host_lower.size() > suffix.size() + 1 &&
        host_lower.compare(host_lower.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        host_lower[host_lower.size() - suffix.size() - 1] == '.') {
      a.bucket = host_lower.substr(0, host_lower.size() - suffix.size() - 1);
      a.key = path->substr(1);
      return a;
    }
  }
  std::string_view rest = std::string_view(*path).substr(1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    a.bucket = std::string(rest);
  } else {
    a.bucket = std::string(rest.substr(0, slash));
    a.key = std::string(rest.substr(slash + 1));
  }
  return a;
}

// ------------------------------------------------------------------- Call

struct S3Api::Call {
  Call(http::Request& r, http::BodyReader& body, http::ResponseWriter& o,
       const aws::AuthContext* a, std::string id)
      : req(r), out(o), payload(body, r, a), auth(a), request_id(std::move(id)) {}

  http::Request& req;
  http::ResponseWriter& out;
  aws::PayloadReader payload;
  const aws::AuthContext* auth;
  std::string request_id;
  S3Address addr;
  std::vector<std::pair<std::string, std::string>> query;
  std::string operation = "Unknown";

  const std::string* Param(std::string_view name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  bool Has(std::string_view name) const { return Param(name) != nullptr; }
  std::string ParamOr(std::string_view name, std::string_view fallback = {}) const {
    const std::string* v = Param(name);
    return v ? *v : std::string(fallback);
  }
  const std::string* Header(std::string_view name) const { return req.headers.Get(name); }

  http::Headers BaseHeaders() const {
    http::Headers h;
    h.Add("x-amz-request-id", request_id);
    h.Add("x-amz-id-2", request_id);
    return h;
  }
  std::string Resource() const {
    std::string r = "/" + addr.bucket;
    if (!addr.key.empty()) r += "/" + addr.key;
    return r;
  }
};

S3Api::S3Api(S3Service* service, WorkerPool* pool, ApiOptions options)
    : service_(service), pool_(pool), options_(std::move(options)) {}

asio::awaitable<void> S3Api::Handle(http::Request& request, http::BodyReader& body,
                                    http::ResponseWriter& out, const aws::AuthContext* auth,
                                    const std::string& request_id) {
  Call call(request, body, out, auth, request_id);
  Status st;
  Result<S3Address> addr = ResolveAddress(request, options_);
  if (!addr.ok()) {
    st = addr.status();
  } else {
    call.addr = std::move(*addr);
    for (std::string_view kv : Split(request.query, '&')) {
      if (kv.empty()) continue;
      size_t eq = kv.find('=');
      std::optional<std::string> k = UriDecode(kv.substr(0, eq), true);
      std::optional<std::string> v =
          eq == std::string_view::npos ? std::string() : UriDecode(kv.substr(eq + 1), true);
      if (!k || !v) {
        st = InvalidArgument("Couldn't parse the specified URI.", "InvalidURI");
        break;
      }
      call.query.emplace_back(std::move(*k), std::move(*v));
    }
    if (st.ok()) st = co_await Dispatch(call);
  }
  if (st.ok()) co_return;
  std::string code = aws::S3ErrorCode(st);
  if (st.code() == Code::kInternal || st.code() == Code::kIOError ||
      st.code() == Code::kCorruption || st.code() == Code::kResourceExhausted) {
    TARN_LOG(Error, "s3 request failed")
        .Kv("op", call.operation)
        .Kv("request_id", request_id)
        .Kv("error", st.ToString());
  }
  if (out.begun()) co_return;  // the server closes the connection
  int status = aws::S3HttpStatus(code);
  http::Headers h = call.BaseHeaders();
  h.Add("Content-Type", "application/xml");
  // Nothing more to do if the error itself cannot be sent: the writer has
  // failed and the server closes the connection.
  (void)co_await out.Send(status, std::move(h), aws::RenderS3Error(code, aws::S3ErrorMessage(st),
                                                                  call.Resource(), request_id));
}

// --------------------------------------------------------------- dispatch

asio::awaitable<Status> S3Api::Dispatch(Call& c) {
  const std::string& m = c.req.method;
  const bool get = m == "GET", head = m == "HEAD", put = m == "PUT", del = m == "DELETE",
             post = m == "POST";

  if (c.addr.bucket.empty()) {
    c.operation = "ListBuckets";
    if (get) co_return co_await ListBuckets(c);
    co_return MethodNotAllowed(m);
  }

  if (c.addr.key.empty()) {
    for (const auto& [sub, suffix] : kBucketSubresources) {
      if (c.Has(sub)) {
        c.operation = Verb(m) + std::string(suffix);
        co_return NotImplementedOp(c.operation);
      }
    }
    if (get) {
      if (c.Has("location")) {
        c.operation = "GetBucketLocation";
        co_return co_await GetBucketLocation(c);
      }
      if (c.Has("versioning")) {
        c.operation = "GetBucketVersioning";
        co_return co_await GetBucketVersioning(c);
      }
      if (c.Has("versions")) {
        c.operation = "ListObjectVersions";
        co_return co_await ListObjectVersions(c);
      }
      if (c.Has("uploads")) {
        c.operation = "ListMultipartUploads";
        co_return co_await ListMultipartUploads(c);
      }
      bool v2 = c.ParamOr("list-type") == "2";
      c.operation = v2 ? "ListObjectsV2" : "ListObjects";
      co_return co_await ListObjects(c, v2);
    }
    if (head) {
      c.operation = "HeadBucket";
      co_return co_await HeadBucket(c);
    }
    if (put) {
      if (c.Has("versioning")) {
        c.operation = "PutBucketVersioning";
        co_return NotImplementedOp(c.operation);
      }
      c.operation = "CreateBucket";
      co_return co_await CreateBucket(c);
    }
    if (del) {
      c.operation = "DeleteBucket";
      co_return co_await DeleteBucket(c);
    }
    if (post && c.Has("delete")) {
      c.operation = "DeleteObjects";
      co_return co_await DeleteObjects(c);
    }
    co_return MethodNotAllowed(m);
  }

  for (const auto& [sub, suffix] : kObjectSubresources) {
    if (c.Has(sub)) {
      c.operation = Verb(m) + std::string(suffix);
      co_return NotImplementedOp(c.operation);
    }
  }
  const bool has_upload = c.Has("uploadId");
  if (put) {
    if (c.Has("tagging")) {
      c.operation = "PutObjectTagging";
      co_return co_await PutObjectTagging(c);
    }
    if (has_upload && c.Has("partNumber")) {
      // No co_await inside ?: here: GCC 12 miscompiles it (evaluates the
      // wrong branch).
      if (c.Header("x-amz-copy-source")) {
        c.operation = "UploadPartCopy";
        co_return co_await UploadPartCopy(c);
      }
      c.operation = "UploadPart";
      co_return co_await UploadPart(c);
    }
    if (c.Header("x-amz-copy-source")) {
      c.operation = "CopyObject";
      co_return co_await CopyObject(c);
    }
    c.operation = "PutObject";
    co_return co_await PutObject(c);
  }
  if (get || head) {
    if (get && has_upload) {
      c.operation = "ListParts";
      co_return co_await ListParts(c);
    }
    if (get && c.Has("tagging")) {
      c.operation = "GetObjectTagging";
      co_return co_await GetObjectTagging(c);
    }
    c.operation = head ? "HeadObject" : "GetObject";
    co_return co_await GetObject(c, head);
  }
  if (del) {
    if (has_upload) {
      c.operation = "AbortMultipartUpload";
      co_return co_await AbortMultipartUpload(c);
    }
    if (c.Has("tagging")) {
      c.operation = "DeleteObjectTagging";
      co_return co_await DeleteObjectTagging(c);
    }
    c.operation = "DeleteObject";
    co_return co_await DeleteObject(c);
  }
  if (post) {
    if (c.Has("uploads")) {
      c.operation = "CreateMultipartUpload";
      co_return co_await CreateMultipartUpload(c);
    }
    if (has_upload) {
      c.operation = "CompleteMultipartUpload";
      co_return co_await CompleteMultipartUpload(c);
    }
    if (c.Has("restore")) {
      c.operation = "RestoreObject";
      co_return NotImplementedOp(c.operation);
    }
    if (c.Has("select")) {
      c.operation = "SelectObjectContent";
      co_return NotImplementedOp(c.operation);
    }
  }
  co_return MethodNotAllowed(m);
}

// ---------------------------------------------------------------- helpers

asio::awaitable<Status> S3Api::SendXml(Call& c, int status, std::string xml) {
  http::Headers h = c.BaseHeaders();
  h.Add("Content-Type", "application/xml");
  co_return co_await c.out.Send(status, std::move(h), xml);
}

asio::awaitable<Result<std::string>> S3Api::ReadSmallBody(Call& c) {
  std::string body;
  char buf[16384];
  while (true) {
    Result<size_t> n = co_await c.payload.Read(std::span<char>(buf, sizeof buf));
    if (!n.ok()) co_return n.status();
    if (*n == 0) break;
    if (body.size() + *n > kSmallBodyLimit) {
      co_return InvalidArgument("Your request was too big.", "MaxMessageLengthExceeded");
    }
    body.append(buf, *n);
  }
  co_return body;
}

asio::awaitable<Result<std::unique_ptr<BodySink>>> S3Api::ReceiveBody(Call& c,
                                                                      std::string algorithm) {
  // The HTTP layer reports a missing Content-Length as 0; S3 wants it said.
  // An aws-chunked body's length is x-amz-decoded-content-length.
  const std::string* payload_hash = c.Header("x-amz-content-sha256");
  const bool streaming = payload_hash && payload_hash->rfind("STREAMING-", 0) == 0;
  if ((!c.Header("content-length") && !c.Header("transfer-encoding")) ||
      (streaming && !c.Header("x-amz-decoded-content-length"))) {
    co_return Status(Code::kInvalidArgument, "You must provide the Content-Length HTTP header.",
                     "MissingContentLength");
  }
  Result<std::unique_ptr<BodySink>> sink = service_->NewBody(algorithm);
  if (!sink.ok()) co_return sink.status();
  std::unique_ptr<BodySink> body = std::move(*sink);
  uint64_t expected = c.req.content_length.value_or(kBodyChunk);
  std::string buf(static_cast<size_t>(std::min<uint64_t>(std::max<uint64_t>(expected, 1), kBodyChunk)),
                  '\0');
  while (true) {
    // Fill the buffer before handing it to the disk: fewer, larger writes.
    size_t filled = 0;
    bool eof = false;
    while (filled < buf.size()) {
      Result<size_t> n =
          co_await c.payload.Read(std::span<char>(buf.data() + filled, buf.size() - filled));
      if (!n.ok()) co_return n.status();
      if (*n == 0) {
        eof = true;
        break;
      }
      filled += *n;
    }
    if (filled > 0) {
      std::string_view piece(buf.data(), filled);
      Status st;
      if (body->WouldSpill(filled)) {
        st = co_await pool_->Run([&] { return body->Append(piece); });
      } else {
        st = body->Append(piece);
      }
      if (!st.ok()) co_return st;
    }
    if (eof) break;
  }
  co_return std::move(body);
}

asio::awaitable<Status> S3Api::SendObjectBytes(Call& c, const ObjectReader& reader,
                                               uint64_t first, uint64_t length) {
  std::string buf;
  for (const ObjectReader::Piece& piece : reader.Pieces(first, length)) {
    if (!piece.file) {
      Status st = co_await c.out.Write(piece.memory);
      if (!st.ok()) co_return st;
      continue;
    }
    for (uint64_t off = 0; off < piece.length;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kBodyChunk, piece.length - off));
      if (buf.size() < n) buf.resize(n);
      Result<size_t> got = co_await pool_->Run(
          [&] { return piece.file->Read(piece.offset + off, n, buf.data()); });
      if (!got.ok()) co_return got.status();
      if (*got != n) co_return Corruption("blob is shorter than its extent");
      Status st = co_await c.out.Write(std::string_view(buf.data(), n));
      if (!st.ok()) co_return st;
      off += n;
    }
  }
  co_return Status::OK();
}

// Request headers that become stored object headers and user metadata.
static Status ReadObjectHeaders(const http::Request& req, ContentHeaders* h, KeyValues* meta) {
  h->content_type = req.headers.GetOr("content-type", "");
  h->content_encoding = req.headers.GetOr("content-encoding", "");
  // aws-chunked is transport framing, not a property of the object.
  if (h->content_encoding == "aws-chunked") {
    h->content_encoding.clear();
  } else if (h->content_encoding.rfind("aws-chunked,", 0) == 0) {
    h->content_encoding = std::string(Trim(h->content_encoding.substr(12)));
  }
  h->content_disposition = req.headers.GetOr("content-disposition", "");
  h->content_language = req.headers.GetOr("content-language", "");
  h->cache_control = req.headers.GetOr("cache-control", "");
  h->expires = req.headers.GetOr("expires", "");
  size_t total = 0;
  for (const auto& [name, value] : req.headers.fields()) {
    if (name.size() > 11 && http::EqualsIgnoreCase(name.substr(0, 11), "x-amz-meta-")) {
      std::string key = ToLower(name.substr(11));
      total += key.size() + value.size();
      meta->emplace_back(std::move(key), value);
    }
  }
  if (total > kMaxUserMetadataBytes) {
    return InvalidArgument("Your metadata headers exceed the maximum allowed metadata size.",
                           "MetadataTooLarge");
  }
  return Status::OK();
}

// The additional checksum a request asks for: its algorithm and, when the
// value travels in a header, the value.
static Result<std::pair<std::string, std::string>> RequestedChecksum(const http::Request& req) {
  std::string alg(req.headers.GetOr("x-amz-sdk-checksum-algorithm", ""));
  std::string value;
  for (std::string_view a : kChecksumAlgorithms) {
    if (const std::string* v = req.headers.Get(ChecksumHeader(a))) {
      alg = std::string(a);
      value = *v;
    }
  }
  if (const std::string* trailer = req.headers.Get("x-amz-trailer")) {
    for (std::string_view a : kChecksumAlgorithms) {
      if (http::EqualsIgnoreCase(Trim(*trailer), ChecksumHeader(a))) alg = std::string(a);
    }
  }
  TARN_ASSIGN_OR_RETURN(std::string normalized, NormalizeChecksumAlgorithm(alg));
  return std::make_pair(normalized, value);
}

// The checksum value sent in an aws-chunked trailer, if any.
static std::string TrailerChecksum(const aws::PayloadReader& payload, const std::string& alg) {
  if (alg.empty()) return "";
  std::string name = ChecksumHeader(alg);
  for (const auto& [k, v] : payload.trailers()) {
    if (k == name) return v;
  }
  return "";
}

static void AddChecksumHeader(http::Headers& h, const Checksum& c) {
  if (!c.empty()) h.Add(ChecksumHeader(c.algorithm), c.value);
}

// ---------------------------------------------------------------- buckets

asio::awaitable<Status> S3Api::ListBuckets(Call& c) {
  Result<std::vector<BucketInfo>> buckets = co_await pool_->Run([&] { return service_->ListBuckets(); });
  if (!buckets.ok()) co_return buckets.status();
  XmlWriter w;
  w.Open("ListAllMyBucketsResult", kS3Xmlns);
  w.Open("Owner").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
  w.Open("Buckets");
  for (const BucketInfo& b : *buckets) {
    w.Open("Bucket").Element("Name", b.name).Element("CreationDate", FormatIso8601(b.created)).Close();
  }
  w.Close();
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::CreateBucket(Call& c) {
  Result<std::string> body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return body.status();
  std::string location;
  if (!Trim(*body).empty()) {
    Result<std::string> loc = ParseCreateBucketConfiguration(*body);
    if (!loc.ok()) co_return loc.status();
    location = *loc;
  }
  Status st = co_await pool_->Run([&] { return service_->CreateBucket(c.addr.bucket, location); });
  if (!st.ok()) co_return st;
  http::Headers h = c.BaseHeaders();
  h.Add("Location", "/" + c.addr.bucket);
  co_return co_await c.out.Send(200, std::move(h), "");
}

asio::awaitable<Status> S3Api::HeadBucket(Call& c) {
  Result<BucketInfo> b = co_await pool_->Run([&] { return service_->GetBucket(c.addr.bucket); });
  if (!b.ok()) co_return b.status();
  http::Headers h = c.BaseHeaders();
  h.Add("x-amz-bucket-region", b->region);
  co_return co_await c.out.Send(200, std::move(h), "");
}

asio::awaitable<Status> S3Api::DeleteBucket(Call& c) {
  Status st = co_await pool_->Run([&] { return service_->DeleteBucket(c.addr.bucket); });
  if (!st.ok()) co_return st;
  co_return co_await c.out.Send(204, c.BaseHeaders(), "");
}

asio::awaitable<Status> S3Api::GetBucketLocation(Call& c) {
  Result<BucketInfo> b = co_await pool_->Run([&] { return service_->GetBucket(c.addr.bucket); });
  if (!b.ok()) co_return b.status();
  XmlWriter w;
  // us-east-1 is reported as an empty constraint, as S3 does.
  w.Open("LocationConstraint", kS3Xmlns).Text(b->region == "us-east-1" ? "" : b->region);
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::GetBucketVersioning(Call& c) {
  Result<BucketInfo> b = co_await pool_->Run([&] { return service_->GetBucket(c.addr.bucket); });
  if (!b.ok()) co_return b.status();
  // A bucket that was never versioned has no Status element.
  XmlWriter w;
  w.Open("VersioningConfiguration", kS3Xmlns);
  co_return co_await SendXml(c, 200, w.Finish());
}

// ---------------------------------------------------------------- listing

namespace {

// Continuation tokens are opaque to clients: "k" + key resumes after a
// key, "p" + prefix resumes after everything under a CommonPrefix.
std::string EncodeToken(const ListEntry& last) {
  return Base64Encode((last.is_prefix ? "p" : "k") + last.key);
}

Status DecodeToken(std::string_view token, ListRequest* req) {
  std::optional<std::string> raw = Base64Decode(token);
  if (!raw || raw->empty() || ((*raw)[0] != 'k' && (*raw)[0] != 'p')) {
    return InvalidArgument("The continuation token provided is incorrect", "InvalidArgument");
  }
  req->after_is_prefix = (*raw)[0] == 'p';
  req->after = raw->substr(1);
  return Status::OK();
}

}  // namespace

asio::awaitable<Status> S3Api::ListObjects(Call& c, bool v2) {
  ListRequest req;
  req.prefix = c.ParamOr("prefix");
  req.delimiter = c.ParamOr("delimiter");
  const std::string encoding = c.ParamOr("encoding-type");
  if (!encoding.empty() && encoding != "url") {
    co_return InvalidArgument("Invalid Encoding Method specified in Request", "InvalidArgument");
  }
  if (c.Has("max-keys")) {
    Result<int> mk = ParseInt(c.ParamOr("max-keys"), "max-keys", 0, 1 << 30);
    if (!mk.ok()) co_return mk.status();
    req.max_keys = std::min(*mk, kMaxKeysPerPage);
  }
  const std::string token = c.ParamOr("continuation-token");
  const std::string start_after = c.ParamOr("start-after");
  const std::string marker = c.ParamOr("marker");
  if (v2) {
    if (c.Has("continuation-token")) {
      Status st = DecodeToken(token, &req);
      if (!st.ok()) co_return st;
    } else {
      req.after = start_after;
    }
  } else {
    req.after = marker;
  }
  Result<ListResult> res =
      co_await pool_->Run([&] { return service_->ListObjects(c.addr.bucket, req); });
  if (!res.ok()) co_return res.status();

  const bool url = encoding == "url";
  auto enc = [&](std::string_view s) { return url ? UriEncode(s, true) : std::string(s); };
  const bool fetch_owner = !v2 || c.ParamOr("fetch-owner") == "true";

  XmlWriter w;
  w.Open("ListBucketResult", kS3Xmlns);
  w.Element("Name", c.addr.bucket);
  w.Element("Prefix", enc(req.prefix));
  if (v2) {
    if (c.Has("continuation-token")) w.Element("ContinuationToken", token);
    if (c.Has("start-after")) w.Element("StartAfter", enc(start_after));
    w.Element("KeyCount", static_cast<int64_t>(res->entries.size()));
  } else {
    w.Element("Marker", enc(marker));
  }
  w.Element("MaxKeys", req.max_keys);
  if (!req.delimiter.empty()) w.Element("Delimiter", enc(req.delimiter));
  if (url) w.Element("EncodingType", "url");
  w.Bool("IsTruncated", res->truncated);
  if (res->truncated && !res->entries.empty()) {
    if (v2) {
      w.Element("NextContinuationToken", EncodeToken(res->entries.back()));
    } else if (!req.delimiter.empty()) {
      // V1 clients continue from NextMarker only when a delimiter is used;
      // otherwise from the last key.
      w.Element("NextMarker", enc(res->entries.back().key));
    }
  }
  for (const ListEntry& e : res->entries) {
    if (e.is_prefix) continue;
    w.Open("Contents");
    w.Element("Key", enc(e.key));
    w.Element("LastModified", FormatIso8601(e.meta.last_modified));
    w.Element("ETag", Quote(e.meta.etag));
    if (!e.meta.checksum.empty()) w.Element("ChecksumAlgorithm", e.meta.checksum.algorithm);
    w.Element("Size", static_cast<int64_t>(e.meta.size));
    if (fetch_owner) {
      w.Open("Owner").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
    }
    w.Element("StorageClass", "STANDARD");
    w.Close();
  }
  for (const ListEntry& e : res->entries) {
    if (e.is_prefix) w.Open("CommonPrefixes").Element("Prefix", enc(e.key)).Close();
  }
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::ListObjectVersions(Call& c) {
  // tarn buckets are never versioned: every object is version "null" and
  // the latest, which is what tools that empty buckets expect.
  ListRequest req;
  req.prefix = c.ParamOr("prefix");
  req.delimiter = c.ParamOr("delimiter");
  req.after = c.ParamOr("key-marker");
  const std::string encoding = c.ParamOr("encoding-type");
  if (c.Has("max-keys")) {
    Result<int> mk = ParseInt(c.ParamOr("max-keys"), "max-keys", 0, 1 << 30);
    if (!mk.ok()) co_return mk.status();
    req.max_keys = std::min(*mk, kMaxKeysPerPage);
  }
  Result<ListResult> res =
      co_await pool_->Run([&] { return service_->ListObjects(c.addr.bucket, req); });
  if (!res.ok()) co_return res.status();
  const bool url = encoding == "url";
  auto enc = [&](std::string_view s) { return url ? UriEncode(s, true) : std::string(s); };
  XmlWriter w;
  w.Open("ListVersionsResult", kS3Xmlns);
  w.Element("Name", c.addr.bucket);
  w.Element("Prefix", enc(req.prefix));
  w.Element("KeyMarker", enc(req.after));
  w.Element("VersionIdMarker", c.ParamOr("version-id-marker"));
  if (res->truncated && !res->entries.empty()) {
    w.Element("NextKeyMarker", enc(res->entries.back().key));
    w.Element("NextVersionIdMarker", "null");
  }
  w.Element("MaxKeys", req.max_keys);
  if (!req.delimiter.empty()) w.Element("Delimiter", enc(req.delimiter));
  if (url) w.Element("EncodingType", "url");
  w.Bool("IsTruncated", res->truncated);
  for (const ListEntry& e : res->entries) {
    if (e.is_prefix) continue;
    w.Open("Version");
    w.Element("Key", enc(e.key));
    w.Element("VersionId", "null");
    w.Bool("IsLatest", true);
    w.Element("LastModified", FormatIso8601(e.meta.last_modified));
    w.Element("ETag", Quote(e.meta.etag));
    w.Element("Size", static_cast<int64_t>(e.meta.size));
    w.Element("StorageClass", "STANDARD");
    w.Open("Owner").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
    w.Close();
  }
  for (const ListEntry& e : res->entries) {
    if (e.is_prefix) w.Open("CommonPrefixes").Element("Prefix", enc(e.key)).Close();
  }
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::DeleteObjects(Call& c) {
  Result<std::string> body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return body.status();
  if (const std::string* md5 = c.Header("content-md5")) {
    std::optional<std::string> want = Base64Decode(*md5);
    if (!want || *want != Md5(*body)) {
      co_return InvalidArgument("The Content-MD5 you specified did not match what we received.",
                                "BadDigest");
    }
  }
  Result<DeleteRequest> req = ParseDeleteObjects(*body);
  if (!req.ok()) co_return req.status();
  // Bucket errors fail the whole request; key errors are reported per key.
  Result<BucketInfo> bucket = co_await pool_->Run([&] { return service_->GetBucket(c.addr.bucket); });
  if (!bucket.ok()) co_return bucket.status();
  std::vector<Status> results = co_await pool_->Run([&] {
    std::vector<Status> out;
    out.reserve(req->keys.size());
    for (const std::string& key : req->keys) out.push_back(service_->DeleteObject(c.addr.bucket, key));
    return out;
  });
  XmlWriter w;
  w.Open("DeleteResult", kS3Xmlns);
  for (size_t i = 0; i < req->keys.size(); i++) {
    if (results[i].ok()) {
      if (!req->quiet) w.Open("Deleted").Element("Key", req->keys[i]).Close();
    } else {
      std::string code = aws::S3ErrorCode(results[i]);
      w.Open("Error")
          .Element("Key", req->keys[i])
          .Element("Code", code)
          .Element("Message", results[i].message())
          .Close();
    }
  }
  co_return co_await SendXml(c, 200, w.Finish());
}

// ---------------------------------------------------------------- objects

asio::awaitable<Status> S3Api::PutObject(Call& c) {
  PutObjectInput in;
  in.bucket = c.addr.bucket;
  in.key = c.addr.key;
  // Fail fast on what the head alone shows, before reading a body.
  Status st = ValidateKey(in.key);
  if (!st.ok()) co_return st;
  st = ReadObjectHeaders(c.req, &in.headers, &in.user_metadata);
  if (!st.ok()) co_return st;
  if (const std::string* tagging = c.Header("x-amz-tagging")) {
    Result<KeyValues> tags = ParseTagQuery(*tagging);
    if (!tags.ok()) co_return tags.status();
    in.tags = std::move(*tags);
    st = ValidateTags(in.tags);
    if (!st.ok()) co_return st;
  }
  Result<std::pair<std::string, std::string>> checksum = RequestedChecksum(c.req);
  if (!checksum.ok()) co_return checksum.status();
  in.expect.content_md5 = c.req.headers.GetOr("content-md5", "");
  in.expect.checksum_value = checksum->second;
  if (c.req.content_length && *c.req.content_length > kMaxSinglePutSize + (64 << 20)) {
    co_return InvalidArgument("Your proposed upload exceeds the maximum allowed size",
                              "EntityTooLarge");
  }
  // A missing bucket is answered before the body is received, as S3 does.
  Result<BucketInfo> target = co_await pool_->Run([&] { return service_->GetBucket(in.bucket); });
  if (!target.ok()) co_return target.status();
  Result<std::unique_ptr<BodySink>> body = co_await ReceiveBody(c, checksum->first);
  if (!body.ok()) co_return body.status();
  if (in.expect.checksum_value.empty()) {
    in.expect.checksum_value = TrailerChecksum(c.payload, checksum->first);
  }
  Result<ObjectMeta> meta = co_await pool_->Run([&] {
    return service_->PutObject(std::move(in), std::move(*body));
  });
  if (!meta.ok()) co_return meta.status();
  http::Headers h = c.BaseHeaders();
  h.Add("ETag", Quote(meta->etag));
  AddChecksumHeader(h, meta->checksum);
  co_return co_await c.out.Send(200, std::move(h), "");
}

asio::awaitable<Status> S3Api::GetObject(Call& c, bool head) {
  // Buckets are never versioned: "null" is the only version there is.
  if (const std::string* v = c.Param("versionId"); v && *v != "null") {
    co_return InvalidArgument("Invalid version id specified", "InvalidArgument");
  }
  if (c.Has("partNumber") && c.Header("range")) {
    co_return InvalidArgument("Cannot specify both Range header and partNumber query parameter.",
                              "InvalidRequest");
  }
  Result<StoredObject> obj =
      co_await pool_->Run([&] { return service_->GetObject(c.addr.bucket, c.addr.key); });
  if (!obj.ok()) co_return obj.status();
  const ObjectMeta& m = obj->meta;

  switch (EvaluatePreconditions(c.req.headers, "", m.etag, m.last_modified)) {
    case Precondition::kFailed:
      co_return FailedPrecondition("At least one of the pre-conditions you specified did not hold",
                                   "PreconditionFailed");
    case Precondition::kNotModified: {
      http::Headers h = c.BaseHeaders();
      h.Add("ETag", Quote(m.etag));
      h.Add("Last-Modified", FormatHttpDate(m.last_modified));
      http::ResponseHead rh;
      rh.status = 304;
      rh.headers = std::move(h);
      Status st = co_await c.out.Begin(std::move(rh));
      if (!st.ok()) co_return st;
      co_return co_await c.out.Finish();
    }
    case Precondition::kProceed:
      break;
  }

  uint64_t first = 0, length = m.size;
  bool partial = false;
  int parts_count = static_cast<int>(m.part_sizes.size());
  if (const std::string* pn = c.Param("partNumber")) {
    Result<int> part = ParseInt(*pn, "partNumber", 1, kMaxPartNumber);
    if (!part.ok()) co_return part.status();
    if (m.part_sizes.empty()) {
      if (*part != 1) {
        co_return Status(Code::kInvalidArgument, "The requested partnumber is not satisfiable",
                         "InvalidPartNumber");
      }
      // Part 1 of a single-PUT object is the whole object, answered as a
      // range (206 + Content-Range), as S3 does.
      partial = m.size > 0;
    } else {
      if (*part > parts_count) {
        co_return Status(Code::kInvalidArgument, "The requested partnumber is not satisfiable",
                         "InvalidPartNumber");
      }
      for (int i = 0; i < *part - 1; i++) first += m.part_sizes[i];
      length = m.part_sizes[*part - 1];
      partial = true;
    }
  } else if (const std::string* range = c.Header("range")) {
    Result<std::optional<ByteRange>> r = ParseRange(*range, m.size);
    if (!r.ok()) co_return r.status();
    if (*r) {
      first = (*r)->first;
      length = (*r)->length();
      partial = true;
    }
  }

  http::Headers h = c.BaseHeaders();
  h.Add("ETag", Quote(m.etag));
  h.Add("Last-Modified", FormatHttpDate(m.last_modified));
  h.Add("Accept-Ranges", "bytes");
  auto header_or_override = [&](const char* name, const char* param, const std::string& stored,
                                std::string_view fallback = {}) {
    if (const std::string* o = c.Param(param)) {
      h.Add(name, *o);
    } else if (!stored.empty()) {
      h.Add(name, stored);
    } else if (!fallback.empty()) {
      h.Add(name, std::string(fallback));
    }
  };
  header_or_override("Content-Type", "response-content-type", m.headers.content_type,
                     kDefaultContentType);
  header_or_override("Content-Encoding", "response-content-encoding", m.headers.content_encoding);
  header_or_override("Content-Disposition", "response-content-disposition",
                     m.headers.content_disposition);
  header_or_override("Content-Language", "response-content-language", m.headers.content_language);
  header_or_override("Cache-Control", "response-cache-control", m.headers.cache_control);
  header_or_override("Expires", "response-expires", m.headers.expires);
  for (const auto& [k, v] : m.user_metadata) h.Add("x-amz-meta-" + k, v);
  if (!m.tags.empty()) h.Add("x-amz-tagging-count", std::to_string(m.tags.size()));
  if (parts_count > 0 && c.Has("partNumber")) h.Add("x-amz-mp-parts-count", std::to_string(parts_count));
  if (!partial && !m.checksum.empty() &&
      http::EqualsIgnoreCase(c.req.headers.GetOr("x-amz-checksum-mode", ""), "ENABLED")) {
    AddChecksumHeader(h, m.checksum);
    h.Add("x-amz-checksum-type", m.checksum.type);
  }
  if (partial) {
    h.Add("Content-Range", "bytes " + std::to_string(first) + "-" +
                               std::to_string(first + length - 1) + "/" + std::to_string(m.size));
  }

  std::unique_ptr<ObjectReader> reader;
  if (!head && length > 0) {
    // An inline body is already in memory: opening it touches no disk, so it
    // skips the worker hop (two thread switches, a large part of a small GET).
    // No co_await inside ?: (GCC 12, see Dispatch).
    Result<std::unique_ptr<ObjectReader>> r = std::unique_ptr<ObjectReader>();
    if (obj->is_inline) {
      r = service_->OpenReader(*obj);
    } else {
      r = co_await pool_->Run([&] { return service_->OpenReader(*obj); });
    }
    if (!r.ok()) co_return r.status();
    reader = std::move(*r);
  }
  // The first chunk is read before the status line goes out, so a blob the
  // disk cannot read answers 500 InternalError rather than a 200 cut short
  // (docs/failure-model.md); a failure further in can only close the
  // connection early.
  std::string lead;
  if (reader && !obj->is_inline) {
    lead.resize(static_cast<size_t>(std::min<uint64_t>(kBodyChunk, length)));
    Result<size_t> got =
        co_await pool_->Run([&] { return reader->ReadAt(first, lead.data(), lead.size()); });
    if (!got.ok()) co_return got.status();
    if (*got != lead.size()) co_return Corruption("blob is shorter than its extent");
  }
  http::ResponseHead rh;
  rh.status = partial ? 206 : 200;
  rh.headers = std::move(h);
  rh.content_length = length;
  Status st = co_await c.out.Begin(std::move(rh));
  if (!st.ok()) co_return st;
  if (!lead.empty()) {
    st = co_await c.out.Write(lead);
    if (!st.ok()) co_return st;
  }
  if (reader && lead.size() < length) {
    st = co_await SendObjectBytes(c, *reader, first + lead.size(), length - lead.size());
    if (!st.ok()) co_return st;
  }
  co_return co_await c.out.Finish();
}

asio::awaitable<Status> S3Api::DeleteObject(Call& c) {
  Status st = co_await pool_->Run([&] { return service_->DeleteObject(c.addr.bucket, c.addr.key); });
  if (!st.ok()) co_return st;
  co_return co_await c.out.Send(204, c.BaseHeaders(), "");
}

asio::awaitable<Status> S3Api::CopyObject(Call& c) {
  Result<CopySource> src = ParseCopySource(*c.Header("x-amz-copy-source"));
  if (!src.ok()) co_return src.status();
  if (!src->version_id.empty() && src->version_id != "null") {
    co_return InvalidArgument("Invalid version id specified", "InvalidArgument");
  }
  CopyObjectInput in;
  in.src_bucket = src->bucket;
  in.src_key = src->key;
  in.bucket = c.addr.bucket;
  in.key = c.addr.key;
  std::string directive(c.req.headers.GetOr("x-amz-metadata-directive", "COPY"));
  std::string tag_directive(c.req.headers.GetOr("x-amz-tagging-directive", "COPY"));
  if ((directive != "COPY" && directive != "REPLACE") ||
      (tag_directive != "COPY" && tag_directive != "REPLACE")) {
    co_return InvalidArgument("Unknown metadata directive.", "InvalidArgument");
  }
  in.replace_metadata = directive == "REPLACE";
  in.replace_tags = tag_directive == "REPLACE";
  if (in.replace_metadata) {
    Status st = ReadObjectHeaders(c.req, &in.headers, &in.user_metadata);
    if (!st.ok()) co_return st;
  }
  if (in.replace_tags) {
    Result<KeyValues> tags = ParseTagQuery(c.req.headers.GetOr("x-amz-tagging", ""));
    if (!tags.ok()) co_return tags.status();
    in.tags = std::move(*tags);
  }
  // Conditions on the source.
  Result<StoredObject> source =
      co_await pool_->Run([&] { return service_->GetObject(in.src_bucket, in.src_key); });
  if (!source.ok()) co_return source.status();
  if (EvaluatePreconditions(c.req.headers, "x-amz-copy-source-", source->meta.etag,
                            source->meta.last_modified) != Precondition::kProceed) {
    co_return FailedPrecondition("At least one of the pre-conditions you specified did not hold",
                                 "PreconditionFailed");
  }
  Result<ObjectMeta> meta = co_await pool_->Run([&] { return service_->CopyObject(in); });
  if (!meta.ok()) co_return meta.status();
  XmlWriter w;
  w.Open("CopyObjectResult", kS3Xmlns)
      .Element("LastModified", FormatIso8601(meta->last_modified))
      .Element("ETag", Quote(meta->etag));
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::PutObjectTagging(Call& c) {
  Result<std::string> body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return body.status();
  Result<KeyValues> tags = ParseTagging(*body);
  if (!tags.ok()) co_return tags.status();
  Status st = co_await pool_->Run(
      [&] { return service_->PutObjectTags(c.addr.bucket, c.addr.key, *tags); });
  if (!st.ok()) co_return st;
  co_return co_await c.out.Send(200, c.BaseHeaders(), "");
}

asio::awaitable<Status> S3Api::GetObjectTagging(Call& c) {
  Result<StoredObject> obj =
      co_await pool_->Run([&] { return service_->GetObject(c.addr.bucket, c.addr.key); });
  if (!obj.ok()) co_return obj.status();
  XmlWriter w;
  w.Open("Tagging", kS3Xmlns).Open("TagSet");
  for (const auto& [k, v] : obj->meta.tags) w.Open("Tag").Element("Key", k).Element("Value", v).Close();
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::DeleteObjectTagging(Call& c) {
  Status st = co_await pool_->Run(
      [&] { return service_->PutObjectTags(c.addr.bucket, c.addr.key, {}); });
  if (!st.ok()) co_return st;
  co_return co_await c.out.Send(204, c.BaseHeaders(), "");
}

// -------------------------------------------------------------- multipart

asio::awaitable<Status> S3Api::CreateMultipartUpload(Call& c) {
  UploadInfo u;
  u.bucket = c.addr.bucket;
  u.key = c.addr.key;
  Status st = ReadObjectHeaders(c.req, &u.headers, &u.user_metadata);
  if (!st.ok()) co_return st;
  if (const std::string* tagging = c.Header("x-amz-tagging")) {
    Result<KeyValues> tags = ParseTagQuery(*tagging);
    if (!tags.ok()) co_return tags.status();
    u.tags = std::move(*tags);
  }
  u.checksum_algorithm = c.req.headers.GetOr("x-amz-checksum-algorithm", "");
  Result<UploadInfo> created = co_await pool_->Run([&] { return service_->CreateUpload(u); });
  if (!created.ok()) co_return created.status();
  XmlWriter w;
  w.Open("InitiateMultipartUploadResult", kS3Xmlns)
      .Element("Bucket", c.addr.bucket)
      .Element("Key", c.addr.key)
      .Element("UploadId", created->upload_id);
  http::Headers h = c.BaseHeaders();
  h.Add("Content-Type", "application/xml");
  if (!created->checksum_algorithm.empty()) {
    h.Add("x-amz-checksum-algorithm", created->checksum_algorithm);
  }
  co_return co_await c.out.Send(200, std::move(h), w.Finish());
}

asio::awaitable<Status> S3Api::UploadPart(Call& c) {
  Result<int> part = ParseInt(c.ParamOr("partNumber"), "partNumber", 1, kMaxPartNumber);
  if (!part.ok()) co_return part.status();
  const std::string upload_id = c.ParamOr("uploadId");
  // Check the upload before accepting a body for it.
  Result<UploadInfo> upload = co_await pool_->Run(
      [&] { return service_->GetUpload(c.addr.bucket, c.addr.key, upload_id); });
  if (!upload.ok()) co_return upload.status();
  Result<std::pair<std::string, std::string>> checksum = RequestedChecksum(c.req);
  if (!checksum.ok()) co_return checksum.status();
  std::string alg = checksum->first.empty() ? upload->checksum_algorithm : checksum->first;
  BodyExpectations expect;
  expect.content_md5 = c.req.headers.GetOr("content-md5", "");
  expect.checksum_value = checksum->second;
  Result<std::unique_ptr<BodySink>> body = co_await ReceiveBody(c, alg);
  if (!body.ok()) co_return body.status();
  if (expect.checksum_value.empty()) expect.checksum_value = TrailerChecksum(c.payload, alg);
  Result<PartInfo> p = co_await pool_->Run([&] {
    return service_->UploadPart(c.addr.bucket, c.addr.key, upload_id, *part, expect,
                                std::move(*body));
  });
  if (!p.ok()) co_return p.status();
  http::Headers h = c.BaseHeaders();
  h.Add("ETag", Quote(p->etag));
  AddChecksumHeader(h, p->checksum);
  co_return co_await c.out.Send(200, std::move(h), "");
}

asio::awaitable<Status> S3Api::UploadPartCopy(Call& c) {
  Result<int> part = ParseInt(c.ParamOr("partNumber"), "partNumber", 1, kMaxPartNumber);
  if (!part.ok()) co_return part.status();
  Result<CopySource> src = ParseCopySource(*c.Header("x-amz-copy-source"));
  if (!src.ok()) co_return src.status();
  std::optional<std::pair<uint64_t, uint64_t>> range;
  if (const std::string* r = c.Header("x-amz-copy-source-range")) {
    Result<ByteRange> br = ParseCopySourceRange(*r);
    if (!br.ok()) co_return br.status();
    range = std::make_pair(br->first, br->last);
  }
  const std::string upload_id = c.ParamOr("uploadId");
  Result<StoredObject> source =
      co_await pool_->Run([&] { return service_->GetObject(src->bucket, src->key); });
  if (!source.ok()) co_return source.status();
  if (EvaluatePreconditions(c.req.headers, "x-amz-copy-source-", source->meta.etag,
                            source->meta.last_modified) != Precondition::kProceed) {
    co_return FailedPrecondition("At least one of the pre-conditions you specified did not hold",
                                 "PreconditionFailed");
  }
  Result<PartInfo> p = co_await pool_->Run([&] {
    return service_->UploadPartCopy(c.addr.bucket, c.addr.key, upload_id, *part, *source, range);
  });
  if (!p.ok()) co_return p.status();
  XmlWriter w;
  w.Open("CopyPartResult", kS3Xmlns)
      .Element("LastModified", FormatIso8601(p->last_modified))
      .Element("ETag", Quote(p->etag));
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::CompleteMultipartUpload(Call& c) {
  Result<std::string> body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return body.status();
  Result<std::vector<CompletedPart>> parts = ParseCompleteMultipartUpload(*body);
  if (!parts.ok()) co_return parts.status();
  const std::string upload_id = c.ParamOr("uploadId");
  Result<ObjectMeta> meta = co_await pool_->Run([&] {
    return service_->CompleteUpload(c.addr.bucket, c.addr.key, upload_id, *parts);
  });
  if (!meta.ok()) co_return meta.status();
  XmlWriter w;
  w.Open("CompleteMultipartUploadResult", kS3Xmlns);
  w.Element("Location", "/" + c.addr.bucket + "/" + UriEncode(c.addr.key, true));
  w.Element("Bucket", c.addr.bucket);
  w.Element("Key", c.addr.key);
  w.Element("ETag", Quote(meta->etag));
  if (!meta->checksum.empty()) {
    w.Element("Checksum" + meta->checksum.algorithm, meta->checksum.value);
  }
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::AbortMultipartUpload(Call& c) {
  const std::string upload_id = c.ParamOr("uploadId");
  Status st = co_await pool_->Run(
      [&] { return service_->AbortUpload(c.addr.bucket, c.addr.key, upload_id); });
  if (!st.ok()) co_return st;
  co_return co_await c.out.Send(204, c.BaseHeaders(), "");
}

asio::awaitable<Status> S3Api::ListParts(Call& c) {
  const std::string upload_id = c.ParamOr("uploadId");
  int max_parts = 1000, marker = 0;
  if (c.Has("max-parts")) {
    Result<int> v = ParseInt(c.ParamOr("max-parts"), "max-parts", 0, 1 << 30);
    if (!v.ok()) co_return v.status();
    max_parts = std::min(*v, 1000);
  }
  if (c.Has("part-number-marker")) {
    Result<int> v = ParseInt(c.ParamOr("part-number-marker"), "part-number-marker", 0, 1 << 30);
    if (!v.ok()) co_return v.status();
    marker = *v;
  }
  Result<UploadInfo> upload = co_await pool_->Run(
      [&] { return service_->GetUpload(c.addr.bucket, c.addr.key, upload_id); });
  if (!upload.ok()) co_return upload.status();
  bool truncated = false;
  Result<std::vector<PartInfo>> parts = co_await pool_->Run(
      [&] { return service_->ListParts(upload_id, marker, max_parts, &truncated); });
  if (!parts.ok()) co_return parts.status();
  XmlWriter w;
  w.Open("ListPartsResult", kS3Xmlns);
  w.Element("Bucket", c.addr.bucket).Element("Key", c.addr.key).Element("UploadId", upload_id);
  w.Open("Initiator").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
  w.Open("Owner").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
  w.Element("StorageClass", "STANDARD");
  w.Element("PartNumberMarker", marker);
  if (!parts->empty()) w.Element("NextPartNumberMarker", parts->back().part_number);
  w.Element("MaxParts", max_parts);
  w.Bool("IsTruncated", truncated);
  if (!upload->checksum_algorithm.empty()) w.Element("ChecksumAlgorithm", upload->checksum_algorithm);
  for (const PartInfo& p : *parts) {
    w.Open("Part");
    w.Element("PartNumber", p.part_number);
    w.Element("LastModified", FormatIso8601(p.last_modified));
    w.Element("ETag", Quote(p.etag));
    w.Element("Size", static_cast<int64_t>(p.size));
    if (!p.checksum.empty()) w.Element("Checksum" + p.checksum.algorithm, p.checksum.value);
    w.Close();
  }
  co_return co_await SendXml(c, 200, w.Finish());
}

asio::awaitable<Status> S3Api::ListMultipartUploads(Call& c) {
  const std::string prefix = c.ParamOr("prefix");
  const std::string key_marker = c.ParamOr("key-marker");
  const std::string id_marker = c.ParamOr("upload-id-marker");
  int max_uploads = 1000;
  if (c.Has("max-uploads")) {
    Result<int> v = ParseInt(c.ParamOr("max-uploads"), "max-uploads", 0, 1 << 30);
    if (!v.ok()) co_return v.status();
    max_uploads = std::min(*v, 1000);
  }
  bool truncated = false;
  Result<std::vector<UploadInfo>> uploads = co_await pool_->Run([&] {
    return service_->ListUploads(c.addr.bucket, prefix, key_marker, id_marker, max_uploads,
                                 &truncated);
  });
  if (!uploads.ok()) co_return uploads.status();
  XmlWriter w;
  w.Open("ListMultipartUploadsResult", kS3Xmlns);
  w.Element("Bucket", c.addr.bucket);
  w.Element("KeyMarker", key_marker);
  w.Element("UploadIdMarker", id_marker);
  if (!uploads->empty()) {
    w.Element("NextKeyMarker", uploads->back().key);
    w.Element("NextUploadIdMarker", uploads->back().upload_id);
  }
  w.Element("Prefix", prefix);
  w.Element("MaxUploads", max_uploads);
  w.Bool("IsTruncated", truncated);
  for (const UploadInfo& u : *uploads) {
    w.Open("Upload");
    w.Element("Key", u.key);
    w.Element("UploadId", u.upload_id);
    w.Open("Initiator").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
    w.Open("Owner").Element("ID", options_.owner_id).Element("DisplayName", options_.owner_name).Close();
    w.Element("StorageClass", "STANDARD");
    w.Element("Initiated", FormatIso8601(u.initiated));
    if (!u.checksum_algorithm.empty()) w.Element("ChecksumAlgorithm", u.checksum_algorithm);
    w.Close();
  }
  co_return co_await SendXml(c, 200, w.Finish());
}

}  // namespace tarn::s3
