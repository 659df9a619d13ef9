// Text encodings used by the AWS protocols: hex, base64, URI encoding as
// SigV4 defines it, and small string helpers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tarn {

std::string HexEncode(std::string_view bytes);  // lowercase
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; rejects anything else.
std::optional<std::string> Base64Decode(std::string_view text);
// Base64Decode appending to *out; false (and *out as it was) when text is
// not padded base64.
bool Base64DecodeAppend(std::string_view text, std::string* out);

// RFC 3986 encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9
// - . _ ~) pass, everything else becomes %XX in uppercase hex. When
// keep_slash is true, '/' passes too (used for S3 object key paths).
std::string UriEncode(std::string_view s, bool keep_slash);
// Decodes %XX; when plus_as_space, '+' becomes ' ' (form encoding).
// nullopt on a malformed escape.
std::optional<std::string> UriDecode(std::string_view s, bool plus_as_space = false);

std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s);  // spaces and tabs at both ends
std::vector<std::string_view> Split(std::string_view s, char sep);
bool IsValidUtf8(std::string_view s);

// Escapes & < > " ' for XML text and attributes.
std::string XmlEscape(std::string_view s);

}  // namespace tarn
