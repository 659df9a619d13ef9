#include "aws/json_protocol.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <utility>

#include "aws/payload.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/worker_pool.h"

namespace tarn::aws {

namespace asio = boost::asio;

namespace {

// A timestamp inside a document: a binary value whose subtype is CBOR's
// epoch-time tag, holding the epoch milliseconds as 8 big-endian bytes.
// Blobs are binary values without a subtype.
constexpr uint64_t kTimestampSubtype = 1;
// Deeper documents are refused: no AWS shape nests anywhere near this, and
// it bounds the recursion of the CBOR reader and both writers.
constexpr int kMaxNesting = 128;
// Bodies (and results) larger than this are decoded (encoded) on the worker
// pool when the handler has one.
constexpr size_t kInlineBytes = 64 * 1024;
constexpr size_t kReadPiece = 256 * 1024;
// The body bound for a target no service is registered for (read only to
// verify its signature).
constexpr size_t kUnknownTargetMaxBytes = 1024 * 1024;

constexpr std::string_view kSerializationException = "SerializationException";
constexpr std::string_view kInternalFailureMessage =
    "The request processing has failed because of an unknown error, exception or failure.";

Status SerializationError(std::string message) {
  return InvalidArgument(std::move(message), std::string(kSerializationException));
}

// ---- timestamps and blobs ---------------------------------------------------

std::optional<UnixMillis> TimestampOf(const Json& j) {
  if (!j.is_binary()) return std::nullopt;
  const Json::binary_t& b = j.get_binary();
  if (!b.has_subtype() || b.subtype() != kTimestampSubtype || b.size() != 8) return std::nullopt;
  uint64_t u = 0;
  for (uint8_t byte : b) u = u << 8 | byte;
  return static_cast<UnixMillis>(u);
}

bool IsTimestamp(const Json& j) { return TimestampOf(j).has_value(); }

// Epoch seconds (JSON's form) to millis; nullopt when out of range.
std::optional<UnixMillis> SecondsToMillis(const Json& v) {
  // +-2^53 ms: past any date anyone means, and exact in a double.
  constexpr double kMaxMillis = 9007199254740992.0;
  double ms;
  if (v.is_number_unsigned()) {
    ms = static_cast<double>(v.get<uint64_t>()) * 1000.0;
  } else if (v.is_number_integer()) {
    ms = static_cast<double>(v.get<int64_t>()) * 1000.0;
  } else {
    ms = v.get<double>() * 1000.0;
  }
  if (!std::isfinite(ms) || std::fabs(ms) > kMaxMillis) return std::nullopt;
  return static_cast<UnixMillis>(std::llround(ms));
}

// ---- JSON text ----------------------------------------------------------------

// True when no array or object in the text nests deeper than max. A cheap
// pre-pass: nlohmann's parser itself is iterative, but what consumes the
// document (and our writers) recurses.
bool JsonNestingWithin(std::string_view text, int max) {
  int depth = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i++];
    if (c == '"') {
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// The length of the UTF-8 sequence a lead byte starts; 0 for a byte that
// cannot start one.
size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  size_t run = 0;  // start of the pending run of bytes copied as they are
  auto flush = [&](size_t upto) { out.append(s.data() + run, upto - run); };
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      flush(i);
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
      run = ++i;
      continue;
    }
    // A multi-byte sequence: copied when valid UTF-8, else one U+FFFD per
    // bad lead byte.
    size_t len = Utf8Length(c);
    if (len != 0 && i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      i += len;
      continue;
    }
    flush(i);
    out += "\\ufffd";
    run = ++i;
  }
  flush(i);
  out += '"';
}

namespace {

void AppendTimestampSeconds(std::string& out, UnixMillis t) {
  // Exact decimal seconds with millisecond precision: 1441215410.867.
  uint64_t abs = t < 0 ? 0 - static_cast<uint64_t>(t) : static_cast<uint64_t>(t);
  if (t < 0) out += '-';
  out += std::to_string(abs / 1000);
  if (uint64_t ms = abs % 1000; ms != 0) {
    char frac[5] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                    static_cast<char>('0' + ms % 10), 0};
    out += frac;
  }
}

void AppendDouble(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

template <typename T>
void AppendInteger(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void WriteJson(const Json& j, std::string& out) {
  using V = Json::value_t;
  switch (j.type()) {
    case V::null:
    case V::discarded: out += "null"; return;
    case V::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case V::number_integer: AppendInteger(out, j.get<int64_t>()); return;
    case V::number_unsigned: AppendInteger(out, j.get<uint64_t>()); return;
    case V::number_float: AppendDouble(out, j.get<double>()); return;
    case V::string: AppendJsonString(out, j.get_ref<const std::string&>()); return;
    case V::binary:
      if (auto t = TimestampOf(j)) {
        AppendTimestampSeconds(out, *t);
      } else {
        const Json::binary_t& b = j.get_binary();
        out += '"';
        out += Base64Encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        out += '"';
      }
      return;
    case V::array: {
      out += '[';
      bool first = true;
      for (const Json& item : j) {
        if (!first) out += ',';
        first = false;
        WriteJson(item, out);
      }
      out += ']';
      return;
    }
    case V::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const Json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, key);
        out += ':';
        WriteJson(value, out);
      }
      out += '}';
      return;
    }
  }
}

// ---- CBOR (RFC 8949) ----------------------------------------------------------
//
// As the AWS Java SDKs speak it (x-amz-cbor-1.1, the default for Kinesis in
// SDK v1 and v2), through Jackson's CBORGenerator: maps and arrays of
// indefinite length, blobs as byte strings (SdkJsonGenerator.writeValue(
// ByteBuffer) -> writeBinary), timestamps as tag 1 over an integer of epoch
// *milliseconds* (SdkCborGenerator.writeValue(Instant): writeTag(1) then
// writeNumber(instant.toEpochMilli()); v1's takes Date.getTime(); and v2's
// AwsCborProtocolFactory reads payload timestamps as UNIX_TIMESTAMP_MILLIS,
// "CBOR uses epoch millis ... rather than epoch seconds"). RFC 8949 puts
// seconds under tag 1; the SDKs do not, so neither do we. (Smithy's
// rpcv2Cbor, application/cbor, does use seconds: a different protocol, not
// accepted here.) We write definite lengths, which Jackson reads as well.

enum CborMajor : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,
};
constexpr uint8_t kIndefinite = 31;
constexpr uint8_t kBreak = 0xff;

void CborHead(std::string& out, uint8_t major, uint64_t arg) {
  const int m = major << 5;
  if (arg < 24) {
    out += static_cast<char>(m | static_cast<int>(arg));
    return;
  }
  int info = 27;  // the argument follows in 1 << (info - 24) bytes
  if (arg <= 0xff) {
    info = 24;
  } else if (arg <= 0xffff) {
    info = 25;
  } else if (arg <= 0xffffffffULL) {
    info = 26;
  }
  out += static_cast<char>(m | info);
  for (int i = (1 << (info - 24)) - 1; i >= 0; --i) {
    out += static_cast<char>((arg >> (8 * i)) & 0xff);
  }
}

void CborInteger(std::string& out, int64_t v) {
  if (v >= 0) {
    CborHead(out, kUnsigned, static_cast<uint64_t>(v));
  } else {
    CborHead(out, kNegative, static_cast<uint64_t>(-1 - v));
  }
}

void CborText(std::string& out, std::string_view s) {
  if (IsValidUtf8(s)) {
    CborHead(out, kText, s.size());
    out += s;
    return;
  }
  // The JSON writer's replacement: one U+FFFD per byte that does not start a
  // valid sequence.
  std::string fixed;
  fixed.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = Utf8Length(c);
    if (len != 0 && i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      fixed.append(s.substr(i, len));
      i += len;
    } else {
      fixed += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  CborHead(out, kText, fixed.size());
  out += fixed;
}

void WriteCbor(const Json& j, std::string& out) {
  using V = Json::value_t;
  switch (j.type()) {
    case V::null:
    case V::discarded: out += '\xf6'; return;
    case V::boolean: out += j.get<bool>() ? '\xf5' : '\xf4'; return;
    case V::number_integer: CborInteger(out, j.get<int64_t>()); return;
    case V::number_unsigned: CborHead(out, kUnsigned, j.get<uint64_t>()); return;
    case V::number_float: {
      uint64_t bits;
      double v = j.get<double>();
      std::memcpy(&bits, &v, sizeof bits);
      out += '\xfb';
      for (int i = 7; i >= 0; --i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
      return;
    }
    case V::string: CborText(out, j.get_ref<const std::string&>()); return;
    case V::binary:
      if (auto t = TimestampOf(j)) {
        CborHead(out, kTag, 1);
        CborInteger(out, *t);
      } else {
        const Json::binary_t& b = j.get_binary();
        CborHead(out, kBytes, b.size());
        out.append(reinterpret_cast<const char*>(b.data()), b.size());
      }
      return;
    case V::array:
      CborHead(out, kArray, j.size());
      for (const Json& item : j) WriteCbor(item, out);
      return;
    case V::object:
      CborHead(out, kMap, j.size());
      for (const auto& [key, value] : j.get_ref<const Json::object_t&>()) {
        CborText(out, key);
        WriteCbor(value, out);
      }
      return;
  }
}

double HalfToDouble(uint16_t h) {
  int exp = (h >> 10) & 0x1f;
  int mant = h & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else if (exp != 31) {
    v = std::ldexp(mant + 1024, exp - 25);
  } else {
    v = mant == 0 ? std::numeric_limits<double>::infinity()
                  : std::numeric_limits<double>::quiet_NaN();
  }
  return (h & 0x8000) ? -v : v;
}

// Decodes one CBOR data item into a Json document. Strict where a bad
// input could hurt (lengths, nesting, UTF-8, map keys), lenient where it
// cannot (any tag is accepted and dropped, except tag 1 over a number,
// which becomes a timestamp). Never reads past the input.
class CborReader {
 public:
  explicit CborReader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  Result<Json> ReadDocument() {
    Json out;
    TARN_RETURN_IF_ERROR(ReadItem(out, 0));
    if (p_ != end_) return Malformed("unexpected bytes after the CBOR item");
    return out;
  }

 private:
  static Status Malformed(std::string what) {
    return SerializationError("malformed CBOR request body: " + what);
  }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  Status ReadHead(uint8_t& major, uint8_t& info, uint64_t& arg) {
    if (p_ == end_) return Malformed("truncated");
    auto b = static_cast<uint8_t>(*p_++);
    major = b >> 5;
    info = b & 0x1f;
    arg = 0;
    if (info < 24) {
      arg = info;
    } else if (info <= 27) {
      size_t n = size_t{1} << (info - 24);
      if (remaining() < n) return Malformed("truncated");
      for (size_t i = 0; i < n; ++i) arg = arg << 8 | static_cast<uint8_t>(*p_++);
    } else if (info != kIndefinite) {
      return Malformed("reserved additional information");
    }
    return Status::OK();
  }

  bool AtBreak() const { return p_ != end_ && static_cast<uint8_t>(*p_) == kBreak; }

  // A byte or text string whose head was just read: definite, or
  // indefinite as definite chunks of the same major type up to a break.
  Status ReadString(uint8_t major, uint8_t info, uint64_t arg, std::string& out) {
    if (info != kIndefinite) {
      if (arg > remaining()) return Malformed("string longer than the body");
      out.append(p_, static_cast<size_t>(arg));
      p_ += arg;
      return Status::OK();
    }
    for (;;) {
      if (AtBreak()) {
        ++p_;
        return Status::OK();
      }
      uint8_t m = 0, i = 0;
      uint64_t a = 0;
      TARN_RETURN_IF_ERROR(ReadHead(m, i, a));
      if (m != major || i == kIndefinite) return Malformed("bad chunk in an indefinite string");
      if (a > remaining()) return Malformed("string longer than the body");
      out.append(p_, static_cast<size_t>(a));
      p_ += a;
    }
  }

  Status ReadItem(Json& out, int depth) {
    if (depth > kMaxNesting) return Malformed("nested too deeply");
    uint8_t major = 0, info = 0;
    uint64_t arg = 0;
    TARN_RETURN_IF_ERROR(ReadHead(major, info, arg));
    switch (major) {
      case kUnsigned:
        if (info == kIndefinite) return Malformed("indefinite integer");
        out = arg;
        return Status::OK();
      case kNegative:
        if (info == kIndefinite) return Malformed("indefinite integer");
        if (arg > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Malformed("integer out of range");
        }
        out = -1 - static_cast<int64_t>(arg);
        return Status::OK();
      case kBytes: {
        std::string bytes;
        TARN_RETURN_IF_ERROR(ReadString(major, info, arg, bytes));
        out = MakeBlob(bytes);
        return Status::OK();
      }
      case kText: {
        std::string text;
        TARN_RETURN_IF_ERROR(ReadString(major, info, arg, text));
        if (!IsValidUtf8(text)) return Malformed("text string is not valid UTF-8");
        out = std::move(text);
        return Status::OK();
      }
      case kArray: {
        out = Json::array();
        Json::array_t& items = out.get_ref<Json::array_t&>();
        if (info == kIndefinite) {
          while (!AtBreak()) {
            if (p_ == end_) return Malformed("truncated");
            items.emplace_back();
            TARN_RETURN_IF_ERROR(ReadItem(items.back(), depth + 1));
          }
          ++p_;
          return Status::OK();
        }
        // Every item takes at least a byte: never reserve past the input.
        if (arg > remaining()) return Malformed("array longer than the body");
        items.reserve(static_cast<size_t>(arg));
        for (uint64_t i = 0; i < arg; ++i) {
          items.emplace_back();
          TARN_RETURN_IF_ERROR(ReadItem(items.back(), depth + 1));
        }
        return Status::OK();
      }
      case kMap: {
        out = Json::object();
        const bool indefinite = info == kIndefinite;
        if (!indefinite && arg > remaining()) return Malformed("map longer than the body");
        for (uint64_t i = 0; indefinite || i < arg; ++i) {
          if (indefinite && AtBreak()) {
            ++p_;
            break;
          }
          uint8_t km = 0, ki = 0;
          uint64_t ka = 0;
          TARN_RETURN_IF_ERROR(ReadHead(km, ki, ka));
          if (km != kText) return Malformed("map key is not a text string");
          std::string key;
          TARN_RETURN_IF_ERROR(ReadString(km, ki, ka, key));
          if (!IsValidUtf8(key)) return Malformed("map key is not valid UTF-8");
          Json& value = out[std::move(key)];  // a repeated key: the last wins
          value = nullptr;
          TARN_RETURN_IF_ERROR(ReadItem(value, depth + 1));
        }
        return Status::OK();
      }
      case kTag: {
        if (info == kIndefinite) return Malformed("indefinite tag");
        TARN_RETURN_IF_ERROR(ReadItem(out, depth + 1));
        // Tag 1 is the epoch time; the AWS SDKs put epoch milliseconds
        // under it (see json_protocol.h). Other tags are dropped.
        if (arg == 1 && out.is_number()) {
          std::optional<UnixMillis> t;
          if (out.is_number_unsigned()) {
            if (out.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
              t = static_cast<UnixMillis>(out.get<uint64_t>());
            }
          } else if (out.is_number_integer()) {
            t = out.get<int64_t>();
          } else if (double ms = out.get<double>(); std::isfinite(ms) && std::fabs(ms) < 9.0e15) {
            t = static_cast<UnixMillis>(std::llround(ms));
          }
          if (!t) return Malformed("timestamp out of range");
          out = MakeTimestamp(*t);
        }
        return Status::OK();
      }
      case kSimple:
        switch (info) {
          case 20: out = false; return Status::OK();
          case 21: out = true; return Status::OK();
          case 22:
          case 23: out = nullptr; return Status::OK();  // null, undefined
          case 25: return Float(HalfToDouble(static_cast<uint16_t>(arg)), out);
          case 26: {
            float f;
            auto bits = static_cast<uint32_t>(arg);
            std::memcpy(&f, &bits, sizeof f);
            return Float(static_cast<double>(f), out);
          }
          case 27: {
            double d;
            std::memcpy(&d, &arg, sizeof d);
            return Float(d, out);
          }
          case kIndefinite: return Malformed("unexpected break");
          default: return Malformed("unsupported simple value");
        }
    }
    return Malformed("unknown major type");
  }

  // NaN and the infinities are refused: JSON cannot carry them, so a
  // service would see a number over one wire that the other cannot send.
  static Status Float(double v, Json& out) {
    if (!std::isfinite(v)) return Malformed("NaN and infinity are not accepted as numbers");
    out = v;
    return Status::OK();
  }

  const char* p_;
  const char* end_;
};

// True when the document's strings and blobs add up to more than limit
// bytes; stops counting as soon as they do.
bool LargerThan(const Json& j, size_t limit, size_t& total) {
  if (j.is_string()) {
    total += j.get_ref<const std::string&>().size();
  } else if (j.is_binary()) {
    total += j.get_binary().size();
  } else if (j.is_array() || j.is_object()) {
    for (const auto& item : j) {
      total += 8;
      if (LargerThan(item, limit, total)) return true;
    }
  }
  return total > limit;
}

// ---- errors -------------------------------------------------------------------

struct JsonError {
  int http_status = 400;
  std::string code;  // empty: no __type (the 413)
  std::string message;
  Json members = Json::object();  // the error shape's other members
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "... the request time (20150830T123600Z) and the current time
// (20150830T130100Z) ..." (sigv4.cc) -> AWS's JSON-protocol message.
std::string SkewMessage(std::string_view s3_message) {
  auto stamp_after = [&](std::string_view marker) -> std::optional<UnixMillis> {
    size_t at = s3_message.find(marker);
    if (at == std::string_view::npos) return std::nullopt;
    return ParseAmzDate(s3_message.substr(at + marker.size(), 16));
  };
  std::optional<UnixMillis> request_time = stamp_after("request time (");
  std::optional<UnixMillis> now = stamp_after("current time (");
  if (!request_time || !now) return "Signature expired";
  constexpr int64_t kWindow = 15 * 60 * 1000;
  if (*request_time < *now) {
    return "Signature expired: " + FormatAmzDate(*request_time) + " is now earlier than " +
           FormatAmzDate(*now - kWindow) + " (" + FormatAmzDate(*now) + " - 15 min.)";
  }
  return "Signature not yet current: " + FormatAmzDate(*request_time) + " is still later than " +
         FormatAmzDate(*now + kWindow) + " (" + FormatAmzDate(*now) + " + 15 min.)";
}

constexpr std::string_view kBadSignatureMessage =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

// SigV4 and payload statuses (S3's codes, see sigv4.h and payload.h) in
// the JSON protocol's terms; nullopt for a status that is not about auth.
std::optional<JsonError> AuthError(const Status& status) {
  const std::string& code = status.aws_code();
  const std::string& message = status.message();
  if (code == "AccessDenied") {
    if (message.find("not signed") != std::string::npos) {
      return JsonError{400, "MissingAuthenticationTokenException", "Missing Authentication Token"};
    }
    if (message.find("Date or x-amz-date") != std::string::npos) {
      return JsonError{400, "IncompleteSignatureException", message};
    }
    if (StartsWith(message, "Request has expired") ||
        StartsWith(message, "Request is not valid yet")) {
      return JsonError{400, "InvalidSignatureException", message};
    }
    return JsonError{400, "AccessDeniedException", message};
  }
  if (code == "InvalidAccessKeyId") {
    return JsonError{400, "UnrecognizedClientException",
                     "The security token included in the request is invalid."};
  }
  if (code == "SignatureDoesNotMatch" || code == "XAmzContentSHA256Mismatch") {
    return JsonError{400, "InvalidSignatureException", std::string(kBadSignatureMessage)};
  }
  if (code == "RequestTimeTooSkewed") {
    return JsonError{400, "InvalidSignatureException", SkewMessage(message)};
  }
  if (code == "InvalidArgument" && StartsWith(message, "Only one auth mechanism")) {
    return JsonError{400, "InvalidSignatureException",
                     "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                     "HTTP header."};
  }
  if (code == "AuthorizationHeaderMalformed" || code == "AuthorizationQueryParametersError" ||
      code == "InvalidRequest" || code == "InvalidArgument") {
    return JsonError{400, "IncompleteSignatureException", message};
  }
  return std::nullopt;
}

// A status from reading or decoding the body, before the service runs.
JsonError RequestError(const Status& status) {
  if (std::optional<JsonError> auth = AuthError(status)) return *std::move(auth);
  std::string code = JsonErrorCode(status);
  if (code == "InternalFailure") return JsonError{500, code, std::string(kInternalFailureMessage)};
  if (code == "ServiceUnavailable") return JsonError{503, code, status.message()};
  return JsonError{400, std::move(code), status.message()};
}

JsonError ServiceError(const Status& status, const JsonService& service) {
  std::string code = JsonErrorCode(status);
  if (code == "InternalFailure") return JsonError{500, code, std::string(kInternalFailureMessage)};
  if (code == "ServiceUnavailable") return JsonError{503, code, status.message()};
  int http_status = service.ErrorStatus(code);
  JsonError error{http_status, std::move(code), status.message()};
  service.AddErrorMembers(status, error.members);
  return error;
}

std::string ContentType(JsonWire wire, std::string_view json_version) {
  if (wire == JsonWire::kCbor) return "application/x-amz-cbor-1.1";
  return "application/x-amz-json-" + std::string(json_version);
}

asio::awaitable<void> SendBody(http::ResponseWriter& out, int status, std::string body,
                               JsonWire wire, std::string_view json_version,
                               const std::string& request_id, std::string_view error_type) {
  http::Headers h;
  h.Add("Content-Type", ContentType(wire, json_version));
  h.Add("x-amzn-RequestId", request_id);
  h.Add("x-amz-request-id", request_id);
  if (!error_type.empty()) h.Add("x-amzn-ErrorType", std::string(error_type));
  (void)co_await out.Send(status, std::move(h), body);
}

asio::awaitable<void> SendError(http::ResponseWriter& out, const JsonError& error, JsonWire wire,
                                std::string_view json_version, const std::string& request_id) {
  Json doc = error.members;
  if (!error.code.empty()) doc["__type"] = error.code;
  doc["message"] = error.message;
  std::string body = EncodeJsonBody(doc, wire);
  co_await SendBody(out, error.http_status, std::move(body), wire, json_version, request_id,
                    error.code);
}

// A service's error, logged when it is an internal failure.
asio::awaitable<void> SendServiceError(http::ResponseWriter& out, const Status& status,
                                       const JsonService& service, const http::Request& request,
                                       JsonWire wire, std::string_view json_version,
                                       const std::string& request_id) {
  JsonError error = ServiceError(status, service);
  if (error.code == "InternalFailure") {
    TARN_LOG(Error, "json request failed")
        .Kv("target", request.headers.GetOr("X-Amz-Target", ""))
        .Kv("request_id", request_id)
        .Kv("error", status.ToString());
  }
  co_await SendError(out, error, wire, json_version, request_id);
}

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer ||
         mode == PayloadMode::kStreamingUnsignedTrailer;
}

Status TooLarge() { return InvalidArgument("Request Entity Too Large", "RequestEntityTooLarge"); }

// The whole body, at most limit bytes. With needs_body_hash the raw bytes
// are returned and the caller finishes the signature (VerifyWithBody);
// otherwise they come through a PayloadReader, which has checked the
// stated hash or the chunk signatures by the time it returns the end.
asio::awaitable<Result<std::string>> ReadBounded(const http::Request& request,
                                                 http::BodyReader& body, const AuthContext& auth,
                                                 size_t limit) {
  const bool streaming = IsStreaming(auth.payload_mode);
  // An aws-chunked body's Content-Length counts its framing: only a hint.
  if (!streaming && request.content_length && *request.content_length > limit) {
    co_return TooLarge();
  }
  std::unique_ptr<PayloadReader> verified;
  if (!auth.needs_body_hash) verified = std::make_unique<PayloadReader>(body, request, &auth);
  std::string data;
  const size_t expected =
      request.content_length ? std::min<uint64_t>(*request.content_length, limit) : 64 * 1024;
  data.reserve(expected + 1);
  for (;;) {
    const size_t have = data.size();
    const size_t piece =
        std::clamp<size_t>(expected > have ? expected - have + 1 : 0, 4096, kReadPiece);
    data.resize(have + piece);
    std::span<char> buf(data.data() + have, piece);
    Result<size_t> n = Internal("unread");
    if (verified) {
      n = co_await verified->Read(buf);
    } else {
      n = co_await body.Read(buf);
    }
    if (!n.ok()) co_return n.status();
    data.resize(have + *n);
    if (*n == 0) break;
    if (data.size() > limit) co_return TooLarge();
  }
  co_return data;
}

}  // namespace

// ---- public helpers -----------------------------------------------------------

Json MakeBlob(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  return Json::binary(Json::binary_t::container_type(p, p + bytes.size()));
}

Result<std::optional<std::string>> GetBlob(const Json& object, std::string_view member) {
  if (!object.is_object()) return std::optional<std::string>();
  auto it = object.find(member);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) {
    std::optional<std::string> bytes = Base64Decode(it->get_ref<const std::string&>());
    if (!bytes) {
      return SerializationError("Member '" + std::string(member) + "' is not valid base64.");
    }
    return bytes;
  }
  if (it->is_binary() && !IsTimestamp(*it)) {
    const Json::binary_t& b = it->get_binary();
    return std::optional<std::string>(std::in_place, reinterpret_cast<const char*>(b.data()),
                                      b.size());
  }
  return SerializationError("Member '" + std::string(member) + "' must be a blob (base64 string).");
}

Json MakeTimestamp(UnixMillis t) {
  Json::binary_t::container_type bytes(8);
  auto u = static_cast<uint64_t>(t);
  for (int i = 7; i >= 0; --i) {
    bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(u & 0xff);
    u >>= 8;
  }
  return Json::binary(std::move(bytes), kTimestampSubtype);
}

Result<std::optional<UnixMillis>> GetTimestamp(const Json& object, std::string_view member) {
  if (!object.is_object()) return std::optional<UnixMillis>();
  auto it = object.find(member);
  if (it == object.end() || it->is_null()) return std::optional<UnixMillis>();
  if (auto t = TimestampOf(*it)) return std::optional<UnixMillis>(*t);
  if (it->is_number()) {
    if (auto t = SecondsToMillis(*it)) return std::optional<UnixMillis>(*t);
    return SerializationError("Member '" + std::string(member) + "' is out of range.");
  }
  return SerializationError("Member '" + std::string(member) +
                            "' must be a timestamp (epoch seconds).");
}

Result<Json> DecodeJsonBody(std::string_view body, JsonWire wire) {
  if (body.empty()) return Json::object();
  try {
    if (wire == JsonWire::kCbor) return CborReader(body).ReadDocument();
    if (!JsonNestingWithin(body, kMaxNesting)) {
      return SerializationError("The request body is nested too deeply.");
    }
    Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return SerializationError("The request body is not valid JSON.");
    return doc;
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory decoding the request body");
  } catch (const std::exception& e) {
    return SerializationError(std::string("The request body could not be decoded: ") + e.what());
  }
}

Result<Json> DecodeJsonObject(std::string_view body, JsonWire wire) {
  Result<Json> doc = DecodeJsonBody(body, wire);
  if (doc.ok() && !doc->is_object()) {
    return SerializationError("The request body must be a JSON object.");
  }
  return doc;
}

asio::awaitable<Result<std::string>> JsonService::InvokeRaw(const JsonRequest& request,
                                                            std::string) {
  co_return Internal("operation " + request.operation + " takes no raw body");
}

std::string EncodeJsonBody(const Json& document, JsonWire wire) {
  std::string out;
  if (wire == JsonWire::kCbor) {
    WriteCbor(document, out);
  } else {
    WriteJson(document, out);
  }
  return out;
}

Result<JsonWire> WireFromContentType(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  std::string media = ToLower(Trim(content_type.substr(0, semicolon)));
  if (media.empty() || media == "application/x-amz-json-1.0" ||
      media == "application/x-amz-json-1.1" || media == "application/json") {
    return JsonWire::kJson;
  }
  if (media == "application/x-amz-cbor-1.1") return JsonWire::kCbor;
  return InvalidArgument("Unsupported Content-Type '" + std::string(content_type) +
                             "': use application/x-amz-json-1.1 (or 1.0) or "
                             "application/x-amz-cbor-1.1.",
                         "UnknownOperationException");
}

Status UnknownOperation(std::string_view operation) {
  return InvalidArgument("Unknown operation: " + std::string(operation),
                         "UnknownOperationException");
}

std::string JsonErrorCode(const Status& status) {
  if (!status.aws_code().empty()) return status.aws_code();
  switch (status.code()) {
    case Code::kOk: return "";
    case Code::kInvalidArgument: return "ValidationException";
    case Code::kNotFound: return "ResourceNotFoundException";
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition: return "ResourceInUseException";
    case Code::kPermissionDenied: return "AccessDeniedException";
    case Code::kUnauthenticated: return "UnrecognizedClientException";
    case Code::kUnimplemented: return "UnknownOperationException";
    case Code::kResourceExhausted:
    case Code::kAborted:
    case Code::kUnavailable: return "ServiceUnavailable";
    case Code::kIOError:
    case Code::kCorruption:
    case Code::kInternal: return "InternalFailure";
  }
  return "InternalFailure";
}

// ---- the handler --------------------------------------------------------------

void JsonProtocolHandler::Register(JsonService* service) {
  services_[std::string(service->target_prefix())] = service;
}

JsonService* JsonProtocolHandler::Resolve(const http::Request& request,
                                          std::string* operation) const {
  const std::string* target = request.headers.Get("X-Amz-Target");
  if (!target) return nullptr;
  // Prefixes may contain dots (com.amazonaws.cloudtrail.v20131101.
  // CloudTrail_20131101); operation names never do.
  std::string_view t = Trim(*target);
  size_t dot = t.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  auto it = services_.find(t.substr(0, dot));
  if (it == services_.end()) return nullptr;
  if (operation) *operation = std::string(t.substr(dot + 1));
  return it->second;
}

bool JsonProtocolHandler::Handles(const http::Request& request) const {
  return Resolve(request, nullptr) != nullptr;
}

asio::awaitable<void> JsonProtocolHandler::Handle(http::Request& request, http::BodyReader& body,
                                                  http::ResponseWriter& out, AuthContext& auth,
                                                  const std::string& request_id) {
  std::string operation;
  JsonService* service = Resolve(request, &operation);
  const std::string_view version = service ? service->json_version() : std::string_view("1.1");
  Result<JsonWire> wire = WireFromContentType(request.headers.GetOr("Content-Type", ""));
  const JsonWire w = wire.ok() ? *wire : JsonWire::kJson;

  // Every argument of a co_awaited call below is a named object: GCC 12
  // destroys some temporaries in a co_await expression twice.
  std::optional<JsonError> refused;
  if (request.method != "POST") {
    // What AWS's front end answers a GET or PUT at a JSON endpoint.
    refused = JsonError{403, "AccessDeniedException",
                        "Unable to determine service/operation name to be authorized"};
  } else if (!wire.ok()) {
    refused = RequestError(wire.status());
  }
  if (refused) {
    co_await SendError(out, *refused, w, version, request_id);
    co_return;
  }

  // An unknown target is answered only after the signature checks out: an
  // unauthenticated caller learns nothing about which targets exist.
  const bool known = service && !operation.empty();
  const size_t limit = known ? service->max_request_bytes() : kUnknownTargetMaxBytes;
  Result<std::string> payload = co_await ReadBounded(request, body, auth, limit);
  if (!payload.ok()) {
    JsonError error = payload.status().aws_code() == "RequestEntityTooLarge"
                          ? JsonError{413, "", "Request Entity Too Large"}
                          : RequestError(payload.status());
    co_await SendError(out, error, w, version, request_id);
    co_return;
  }

  // Finishing the signature hashes the whole body and decoding walks it:
  // for a large body both go to the pool.
  const bool raw = known && w == JsonWire::kJson && service->TakesRawBody(operation);
  Status verified;
  Result<Json> input = Internal("not decoded");
  auto prepare = [&] {
    verified = VerifyWithBody(auth, *payload);
    if (verified.ok() && known && !raw) input = DecodeJsonObject(*payload, w);
  };
  if (pool_ && payload->size() > kInlineBytes) {
    co_await pool_->Run(prepare);
  } else {
    prepare();
  }
  if (verified.ok() && !known) {
    input = UnknownOperation(request.headers.GetOr("X-Amz-Target", ""));
  } else if (verified.ok() && raw) {
    input = Json();
  }
  if (!verified.ok() || !input.ok()) {
    JsonError error = RequestError(verified.ok() ? input.status() : verified);
    co_await SendError(out, error, w, version, request_id);
    co_return;
  }

  JsonRequest call;
  call.operation = std::move(operation);
  call.input = std::move(*input);
  call.wire = w;
  call.auth = &auth;
  call.request_id = request_id;
  if (raw) {
    Result<std::string> reply = co_await service->InvokeRaw(call, std::move(*payload));
    if (!reply.ok()) {
      co_await SendServiceError(out, reply.status(), *service, request, w, version, request_id);
      co_return;
    }
    co_await SendBody(out, 200, std::move(*reply), w, version, request_id, "");
    co_return;
  }
  payload = std::string();  // the document holds what the service needs
  Result<Json> result = co_await service->Invoke(call);
  if (!result.ok()) {
    co_await SendServiceError(out, result.status(), *service, request, w, version, request_id);
    co_return;
  }

  if (result->is_null()) *result = Json::object();
  const Json& doc = *result;
  std::string encoded;
  size_t counted = 0;
  if (pool_ && LargerThan(doc, kInlineBytes, counted)) {
    encoded = co_await pool_->Run([&] { return EncodeJsonBody(doc, w); });
  } else {
    encoded = EncodeJsonBody(doc, w);
  }
  co_await SendBody(out, 200, std::move(encoded), w, version, request_id, "");
}

asio::awaitable<void> JsonProtocolHandler::RenderAuthError(const Status& status,
                                                           http::ResponseWriter& out,
                                                           const std::string& request_id,
                                                           const http::Request* request) {
  JsonWire wire = JsonWire::kJson;
  std::string_view version = "1.1";
  if (request) {
    Result<JsonWire> w = WireFromContentType(request->headers.GetOr("Content-Type", ""));
    if (w.ok()) wire = *w;
    if (JsonService* service = Resolve(*request, nullptr)) version = service->json_version();
  }
  std::optional<JsonError> auth_error = AuthError(status);
  JsonError error = auth_error ? *std::move(auth_error) : RequestError(status);
  co_await SendError(out, error, wire, version, request_id);
}

}  // namespace tarn::aws
