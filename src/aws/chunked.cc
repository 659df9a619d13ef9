#include "aws/chunked.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::aws {

namespace {

constexpr std::string_view kSignatureExtension = "chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";
constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Status Framing(std::string_view what) {
  return InvalidArgument("Malformed aws-chunked body: " + std::string(what), "InvalidRequest");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return HexDigit(c) >= 0; });
}

// RFC 9110 token characters, which header names are made of.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

ChunkedDecoder::ChunkedDecoder(ChunkedOptions options) : options_(options) {
  line_.reserve(std::min<size_t>(options_.max_size_line + 1, 512));
}

Status ChunkedDecoder::Fail(Status s) {
  state_ = State::kFailed;
  error_ = std::move(s);
  return error_;
}

Status ChunkedDecoder::Feed(std::string_view input, ChunkedSink& sink) {
  size_t i = 0;
  while (i < input.size()) {
    switch (state_) {
      case State::kFailed:
        return error_;

      case State::kSizeLine:
      case State::kTrailerLine: {
        const bool size_line = state_ == State::kSizeLine;
        size_t nl = input.find('\n', i);
        size_t end = nl == std::string_view::npos ? input.size() : nl;
        size_t len = end - i;
        // The CR and LF count against the limits too; a line that cannot end
        // in time is refused before it is buffered.
        if (size_line) {
          if (line_.size() + len > options_.max_size_line + 1) {
            return Fail(Framing("chunk size line longer than " +
                                std::to_string(options_.max_size_line) + " bytes"));
          }
        } else if (trailer_bytes_ + line_.size() + len + 1 > options_.max_trailer_bytes) {
          return Fail(Framing("trailers longer than " + std::to_string(options_.max_trailer_bytes) +
                              " bytes"));
        }
        line_.append(input.data() + i, len);
        i = end;
        if (nl == std::string_view::npos) break;
        i++;  // the LF
        if (!size_line) trailer_bytes_ += line_.size() + 1;
        if (line_.empty() || line_.back() != '\r') {
          return Fail(Framing(size_line ? "chunk size line not terminated by CRLF"
                                        : "trailer line not terminated by CRLF"));
        }
        line_.pop_back();
        if (line_.find('\r') != std::string::npos) return Fail(Framing("stray CR in a line"));
        Status s = size_line ? ProcessSizeLine(sink) : ProcessTrailerLine(sink);
        line_.clear();
        if (!s.ok()) return Fail(std::move(s));
        break;
      }

      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size() - i));
        Status s = sink.OnData(input.substr(i, n));
        i += n;
        remaining_ -= n;
        decoded_bytes_ += n;
        if (!s.ok()) return Fail(std::move(s));
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }

      case State::kDataCr:
        if (input[i] != '\r') return Fail(Framing("chunk data longer than its declared size"));
        i++;
        state_ = State::kDataLf;
        break;

      case State::kDataLf: {
        if (input[i] != '\n') return Fail(Framing("chunk data not followed by CRLF"));
        i++;
        Status s = sink.OnChunkEnd();
        if (!s.ok()) return Fail(std::move(s));
        state_ = State::kSizeLine;
        break;
      }

      case State::kDone:
        return Fail(Framing("data after the end of the body"));
    }
  }
  return state_ == State::kFailed ? error_ : Status::OK();
}

Status ChunkedDecoder::ProcessSizeLine(ChunkedSink& sink) {
  std::string_view line = line_;
  size_t semi = line.find(';');
  std::string_view hex = line.substr(0, semi);
  if (hex.empty() || hex.size() > 16) {
    return Framing("chunk size must be 1 to 16 hex digits");
  }
  uint64_t size = 0;
  for (char c : hex) {
    int d = HexDigit(c);
    if (d < 0) return Framing("chunk size is not hexadecimal");
    size = size << 4 | static_cast<uint64_t>(d);
  }
  std::string_view signature;
  if (semi != std::string_view::npos) {
    std::string_view ext = line.substr(semi + 1);
    if (!options_.signed_chunks) return Framing("chunk extension in an unsigned body");
    if (ext.substr(0, kSignatureExtension.size()) != kSignatureExtension) {
      return Framing("unknown chunk extension; expected chunk-signature");
    }
    signature = ext.substr(kSignatureExtension.size());
    if (signature.size() != 64 || !IsHex(signature)) {
      return Framing("chunk-signature must be 64 hex digits");
    }
  } else if (options_.signed_chunks) {
    return Framing("chunk without chunk-signature in a signed body");
  }
  TARN_RETURN_IF_ERROR(sink.OnChunkStart(size, signature));
  if (size == 0) {
    TARN_RETURN_IF_ERROR(sink.OnChunkEnd());
    state_ = State::kTrailerLine;
  } else {
    remaining_ = size;
    state_ = State::kData;
  }
  return Status::OK();
}

Status ChunkedDecoder::ProcessTrailerLine(ChunkedSink& sink) {
  if (line_.empty()) {
    state_ = State::kDone;
    return Status::OK();
  }
  if (trailer_signature_seen_) return Framing("trailer after x-amz-trailer-signature");
  if (++trailer_count_ > options_.max_trailers) {
    return Framing("more than " + std::to_string(options_.max_trailers) + " trailers");
  }
  size_t colon = line_.find(':');
  if (colon == std::string::npos || colon == 0) return Framing("trailer line without a name");
  for (size_t k = 0; k < colon; k++) {
    char& c = line_[k];
    if (!IsTokenChar(c)) return Framing("invalid character in a trailer name");
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view name(line_.data(), colon);
  std::string_view value = Trim(std::string_view(line_).substr(colon + 1));
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return Framing("control character in a trailer");
  }
  if (name == kTrailerSignatureName) {
    trailer_signature_seen_ = true;
    return sink.OnTrailerSignature(value);
  }
  return sink.OnTrailer(name, value);
}

Status ChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kDone) return Status::OK();
  return Fail(InvalidArgument(
      "The request body ended before the end of its aws-chunked encoding (truncated upload)",
      "IncompleteBody"));
}

std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view data_sha256_hex) {
  std::string sts;
  sts.reserve(64 + amz_date.size() + scope.size() + 3 * 65);
  sts += "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts += amz_date;
  sts += '\n';
  sts += scope;
  sts += '\n';
  sts += previous_signature;
  sts += '\n';
  sts += kEmptySha256Hex;
  sts += '\n';
  sts += data_sha256_hex;
  return HexEncode(HmacSha256(signing_key, sts));
}

std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view previous_signature,
                             std::string_view trailer_sha256_hex) {
  std::string sts;
  sts.reserve(64 + amz_date.size() + scope.size() + 2 * 65);
  sts += "AWS4-HMAC-SHA256-TRAILER\n";
  sts += amz_date;
  sts += '\n';
  sts += scope;
  sts += '\n';
  sts += previous_signature;
  sts += '\n';
  sts += trailer_sha256_hex;
  return HexEncode(HmacSha256(signing_key, sts));
}

}  // namespace tarn::aws
