#include "aws/payload.h"

#include <charconv>
#include <cstring>
#include <optional>

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::aws {

namespace asio = boost::asio;

namespace {

Status ChunkSignatureMismatch() {
  return Unauthenticated(
      "The request signature we calculated does not match the signature you provided. Check "
      "your key and signing method. (aws-chunked chunk signature)",
      "SignatureDoesNotMatch");
}

Status BadRequest(std::string message) {
  return InvalidArgument(std::move(message), "InvalidRequest");
}

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer ||
         mode == PayloadMode::kStreamingUnsignedTrailer;
}

}  // namespace

// The reader's state. It is also the decoder's sink: decoded bytes are moved
// to the front of the caller's buffer, which the raw body was read into (the
// decoded form is never longer than the encoded one, so they never overlap
// badly), and chunk signatures are checked as chunks end.
struct PayloadReader::Impl final : ChunkedSink {
  Impl(http::BodyReader& b) : body(b) {}

  http::BodyReader& body;
  PayloadMode mode = PayloadMode::kUnsigned;
  Status sticky;  // first error; returned by every later call
  bool finished = false;

  // Signing material, copied from the AuthContext (verify is false without one).
  bool verify = false;
  std::string signing_key, amz_date, scope;
  std::string previous_signature;

  // kSignedHash
  std::optional<Digest> body_digest;
  std::string expected_sha256_hex;
  std::optional<AuthContext> deferred_auth;  // needs_body_hash: verified at the end

  // Streaming.
  std::optional<ChunkedDecoder> decoder;
  std::optional<uint64_t> decoded_length;
  std::optional<Digest> chunk_digest;
  std::string declared_signature;
  std::optional<Digest> trailer_digest;
  bool trailer_signature_seen = false;
  std::vector<std::pair<std::string, std::string>> trailers;

  // Where OnData() puts decoded bytes during one Feed().
  char* out = nullptr;
  size_t out_len = 0;

  Status OnChunkStart(uint64_t size, std::string_view signature) override {
    if (decoded_length && size > *decoded_length - std::min(*decoded_length,
                                                             decoder->decoded_bytes())) {
      return BadRequest("The aws-chunked body is longer than x-amz-decoded-content-length (" +
                        std::to_string(*decoded_length) + " bytes)");
    }
    if (verify && !signature.empty()) {
      declared_signature.assign(signature);
      chunk_digest.emplace(DigestKind::kSha256);
    }
    return Status::OK();
  }

  Status OnData(std::string_view data) override {
    // Hash first: the move may overwrite the source (it overlaps the output).
    if (chunk_digest) chunk_digest->Update(data);
    std::memmove(out + out_len, data.data(), data.size());
    out_len += data.size();
    return Status::OK();
  }

  Status OnChunkEnd() override {
    if (!chunk_digest) return Status::OK();
    std::string data_hash = HexEncode(chunk_digest->Final());
    chunk_digest.reset();
    std::string expected =
        ChunkSignature(signing_key, amz_date, scope, previous_signature, data_hash);
    if (!ConstantTimeEquals(expected, ToLower(declared_signature))) return ChunkSignatureMismatch();
    previous_signature = std::move(expected);
    return Status::OK();
  }

  Status OnTrailer(std::string_view name, std::string_view value) override {
    if (mode == PayloadMode::kStreamingSigned) {
      return BadRequest(
          "Trailing headers need x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
          "or STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    }
    if (trailer_digest) {
      trailer_digest->Update(name);
      trailer_digest->Update(":");
      trailer_digest->Update(value);
      trailer_digest->Update("\n");
    }
    trailers.emplace_back(std::string(name), std::string(value));
    return Status::OK();
  }

  Status OnTrailerSignature(std::string_view signature) override {
    if (mode != PayloadMode::kStreamingSignedTrailer) {
      return BadRequest("x-amz-trailer-signature in a body whose trailers are not signed");
    }
    trailer_signature_seen = true;
    if (!verify) return Status::OK();
    std::string expected = TrailerSignature(signing_key, amz_date, scope, previous_signature,
                                            HexEncode(trailer_digest->Final()));
    trailer_digest.reset();
    if (!ConstantTimeEquals(expected, ToLower(signature))) return ChunkSignatureMismatch();
    return Status::OK();
  }

  Status Fail(Status s) {
    sticky = std::move(s);
    return sticky;
  }

  // The pass-through modes, at the end of the body.
  Status FinishPlain() {
    if (!body_digest) return Status::OK();
    std::string actual = HexEncode(body_digest->Final());
    body_digest.reset();
    if (deferred_auth) return VerifyWithBodyHash(*deferred_auth, actual);
    if (!ConstantTimeEquals(actual, expected_sha256_hex)) {
      return InvalidArgument(
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          "XAmzContentSHA256Mismatch");
    }
    return Status::OK();
  }

  // The streaming modes, once the decoder has read the closing empty line.
  asio::awaitable<Status> FinishStreaming() {
    char extra[16];
    auto r = co_await body.Read(std::span<char>(extra, sizeof extra));
    if (!r.ok()) co_return r.status();
    if (*r != 0) co_return BadRequest("Data after the end of the aws-chunked body");
    if (decoded_length && decoder->decoded_bytes() != *decoded_length) {
      co_return InvalidArgument(
          "The aws-chunked body carried " + std::to_string(decoder->decoded_bytes()) +
              " bytes, fewer than x-amz-decoded-content-length (" +
              std::to_string(*decoded_length) + ")",
          "IncompleteBody");
    }
    if (mode == PayloadMode::kStreamingSignedTrailer && !trailer_signature_seen) {
      co_return BadRequest("The aws-chunked body has no x-amz-trailer-signature");
    }
    co_return Status::OK();
  }
};

PayloadReader::PayloadReader(http::BodyReader& body, const http::Request& request,
                             const AuthContext* auth)
    : impl_(std::make_unique<Impl>(body)) {
  Impl& m = *impl_;
  if (auth) {
    m.mode = auth->payload_mode;
    m.verify = true;
    m.signing_key = auth->signing_key;
    m.amz_date = auth->amz_date;
    m.scope = auth->scope;
    m.previous_signature = auth->seed_signature;
    m.expected_sha256_hex = auth->payload_sha256_hex;
    if (auth->needs_body_hash) m.deferred_auth = *auth;
  } else if (const std::string* v = request.headers.Get("x-amz-content-sha256")) {
    // Unauthenticated (tests): decode and check what can be checked without a key.
    std::string_view s = Trim(*v);
    if (s == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
      m.mode = PayloadMode::kStreamingSigned;
    } else if (s == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
      m.mode = PayloadMode::kStreamingSignedTrailer;
    } else if (s == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
      m.mode = PayloadMode::kStreamingUnsignedTrailer;
    } else if (s.size() == 64) {
      m.mode = PayloadMode::kSignedHash;
      m.expected_sha256_hex = ToLower(s);
    }
  }

  if (m.mode == PayloadMode::kSignedHash) {
    m.body_digest.emplace(DigestKind::kSha256);
  } else if (IsStreaming(m.mode)) {
    ChunkedOptions options;
    options.signed_chunks = m.mode != PayloadMode::kStreamingUnsignedTrailer;
    m.decoder.emplace(options);
    if (m.mode == PayloadMode::kStreamingSignedTrailer && m.verify) {
      m.trailer_digest.emplace(DigestKind::kSha256);
    }
    if (const std::string* v = request.headers.Get("x-amz-decoded-content-length")) {
      std::string_view s = Trim(*v);
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
        m.sticky = InvalidArgument("x-amz-decoded-content-length is not a number",
                                   "InvalidArgument");
      } else {
        m.decoded_length = n;
      }
    }
  }
}

PayloadReader::~PayloadReader() = default;

asio::awaitable<Result<size_t>> PayloadReader::Read(std::span<char> buf) {
  Impl& m = *impl_;
  if (!m.sticky.ok()) co_return m.sticky;
  if (m.finished) co_return size_t{0};
  if (buf.empty()) co_return Internal("PayloadReader::Read with an empty buffer");

  if (!m.decoder) {
    auto r = co_await m.body.Read(buf);
    if (!r.ok()) co_return m.Fail(r.status());
    if (*r == 0) {
      Status s = m.FinishPlain();
      if (!s.ok()) co_return m.Fail(std::move(s));
      m.finished = true;
      co_return size_t{0};
    }
    if (m.body_digest) m.body_digest->Update(std::string_view(buf.data(), *r));
    bytes_read_ += *r;
    co_return *r;
  }

  // aws-chunked: read raw bytes into buf and decode them in place until some
  // payload comes out (size lines and signatures alone produce none).
  while (true) {
    if (m.decoder->done()) {
      Status s = co_await m.FinishStreaming();
      if (!s.ok()) co_return m.Fail(std::move(s));
      m.finished = true;
      co_return size_t{0};
    }
    auto r = co_await m.body.Read(buf);
    if (!r.ok()) co_return m.Fail(r.status());
    if (*r == 0) co_return m.Fail(m.decoder->Finish());
    m.out = buf.data();
    m.out_len = 0;
    Status s = m.decoder->Feed(std::string_view(buf.data(), *r), m);
    if (!s.ok()) co_return m.Fail(std::move(s));
    if (m.out_len > 0) {
      bytes_read_ += m.out_len;
      co_return m.out_len;
    }
  }
}

asio::awaitable<Status> PayloadReader::Drain() {
  std::vector<char> scratch(16 * 1024);
  while (true) {
    auto r = co_await Read(std::span<char>(scratch));
    if (!r.ok()) co_return r.status();
    if (*r == 0) co_return Status::OK();
  }
}

const std::vector<std::pair<std::string, std::string>>& PayloadReader::trailers() const {
  return impl_->trailers;
}

}  // namespace tarn::aws
