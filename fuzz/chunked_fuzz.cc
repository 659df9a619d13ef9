// The aws-chunked decoder (aws/chunked.h): the input is a request body as
// an SDK streams it with STREAMING-[UNSIGNED-]...-PAYLOAD[-TRAILER].
//
// Each input is decoded signed and unsigned, with the default limits and
// with tight ones, and each of those fed whole, in random slices and one
// byte at a time. Checks: no crash, leak or UB; the events (chunk starts,
// data, chunk ends, trailers) and the final status are the same whatever
// the slicing; data never comes in empty pieces and adds up to the size
// each chunk declared; decoded_bytes() counts exactly the data reported;
// signatures are 64 hex digits in signed bodies and absent in unsigned ones;
// trailer names are lowercase tokens and values trimmed and free of
// control characters; Finish() is OK exactly when done(), a byte after
// done() is refused, and every error carries InvalidRequest or
// IncompleteBody.
#include <string>
#include <string_view>
#include <vector>

#include "aws/chunked.h"
#include "fuzz_check.h"

namespace tarn::aws {
namespace {

using fuzz::Choices;

enum class Slicing { kWhole, kRandom, kBytes };

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// Records events as lines; consecutive data pieces are joined, so the
// transcript does not depend on how the input was sliced.
class TranscriptSink : public ChunkedSink {
 public:
  explicit TranscriptSink(bool signed_chunks) : signed_(signed_chunks) {}

  Status OnChunkStart(uint64_t size, std::string_view signature) override {
    FUZZ_CHECK(!in_chunk_, "chunk start inside a chunk");
    FUZZ_CHECK(!trailers_, "chunk start after the final chunk");
    FUZZ_CHECK(signed_ ? IsHex64(signature) : signature.empty(), signature);
    in_chunk_ = true;
    declared_ = size;
    received_ = 0;
    if (size == 0) trailers_ = true;
    Flush();
    log_ += "start " + std::to_string(size) + " " + std::string(signature) + "\n";
    return Status::OK();
  }
  Status OnData(std::string_view data) override {
    FUZZ_CHECK(in_chunk_, "data outside a chunk");
    FUZZ_CHECK(!data.empty(), "empty data piece");
    received_ += data.size();
    total_ += data.size();
    FUZZ_CHECK(received_ <= declared_, "more data than the chunk declared");
    data_ += data;
    return Status::OK();
  }
  Status OnChunkEnd() override {
    FUZZ_CHECK(in_chunk_, "chunk end outside a chunk");
    FUZZ_CHECK(received_ == declared_,
               std::to_string(received_) + " of " + std::to_string(declared_));
    in_chunk_ = false;
    Flush();
    log_ += "end\n";
    return Status::OK();
  }
  Status OnTrailer(std::string_view name, std::string_view value) override {
    CheckTrailer(name, value);
    log_ += "trailer " + std::string(name) + ": " + std::string(value) + "\n";
    return Status::OK();
  }
  Status OnTrailerSignature(std::string_view signature) override {
    CheckTrailer("x-amz-trailer-signature", signature);
    FUZZ_CHECK(!trailer_signature_, "a second trailer signature");
    trailer_signature_ = true;
    log_ += "trailer-signature " + std::string(signature) + "\n";
    return Status::OK();
  }

  std::string Transcript() {
    Flush();
    return log_;
  }
  uint64_t total() const { return total_; }

 private:
  void CheckTrailer(std::string_view name, std::string_view value) {
    FUZZ_CHECK(trailers_ && !in_chunk_, "trailer before the final chunk ended");
    FUZZ_CHECK(!trailer_signature_, "trailer after the trailer signature");
    FUZZ_CHECK(!name.empty(), "empty trailer name");
    for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z') && c > ' ' && c != ':', name);
    if (!value.empty()) {
      FUZZ_CHECK(value.front() != ' ' && value.front() != '\t', value);
      FUZZ_CHECK(value.back() != ' ' && value.back() != '\t', value);
    }
    for (unsigned char c : value) FUZZ_CHECK((c >= 0x20 && c != 0x7f) || c == '\t', value);
  }
  void Flush() {
    if (data_.empty()) return;
    log_ += "data " + std::to_string(data_.size()) + " " + data_ + "\n";
    data_.clear();
  }

  bool signed_;
  bool in_chunk_ = false;
  bool trailers_ = false;
  bool trailer_signature_ = false;
  uint64_t declared_ = 0;
  uint64_t received_ = 0;
  uint64_t total_ = 0;
  std::string data_;
  std::string log_;
};

void CheckError(const Status& s) {
  FUZZ_CHECK(s.code() == Code::kInvalidArgument, s.ToString());
  FUZZ_CHECK(s.aws_code() == "InvalidRequest" || s.aws_code() == "IncompleteBody", s.ToString());
}

std::string Decode(std::string_view body, const ChunkedOptions& options, Slicing slicing,
                   Choices& choices) {
  ChunkedDecoder decoder(options);
  TranscriptSink sink(options.signed_chunks);
  Status status;
  size_t i = 0;
  while (i < body.size()) {
    size_t n = body.size() - i;
    if (slicing == Slicing::kBytes) n = 1;
    if (slicing == Slicing::kRandom) n = std::min(n, choices.Between(0, 200));
    status = decoder.Feed(body.substr(i, n), sink);
    i += n;
    if (!status.ok()) break;
  }
  FUZZ_CHECK(decoder.decoded_bytes() == sink.total(), "decoded_bytes() disagrees with the data");
  FUZZ_CHECK(sink.total() <= body.size(), "more data than input");
  std::string out = sink.Transcript();
  if (status.ok()) {
    bool done = decoder.done();
    status = decoder.Finish();
    FUZZ_CHECK(status.ok() == done, status.ToString());
    if (done) {
      Status after = decoder.Feed("x", sink);
      FUZZ_CHECK(!after.ok(), "a byte after the end was accepted");
      CheckError(after);
    }
  } else {
    Status again = decoder.Feed("0", sink);
    FUZZ_CHECK(again.ToString() == status.ToString(), "the error is not sticky");
    FUZZ_CHECK(decoder.Finish().ToString() == status.ToString(), "Finish() forgot the error");
  }
  if (!status.ok()) CheckError(status);
  return out + "status " + status.ToString() + "\n";
}

}  // namespace
}  // namespace tarn::aws

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn::aws;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  tarn::fuzz::Choices choices(body);
  ChunkedOptions tight;
  tight.max_size_line = 90;
  tight.max_trailer_bytes = 200;
  tight.max_trailers = 3;
  for (ChunkedOptions options : {ChunkedOptions{}, tight}) {
    for (bool signed_chunks : {true, false}) {
      options.signed_chunks = signed_chunks;
      std::string whole = Decode(body, options, Slicing::kWhole, choices);
      std::string sliced = Decode(body, options, Slicing::kRandom, choices);
      FUZZ_CHECK(whole == sliced, "whole vs sliced, " + tarn::fuzz::FirstDifference(whole, sliced));
      std::string bytes = Decode(body, options, Slicing::kBytes, choices);
      FUZZ_CHECK(whole == bytes,
                 "whole vs byte by byte, " + tarn::fuzz::FirstDifference(whole, bytes));
    }
  }
  return 0;
}
