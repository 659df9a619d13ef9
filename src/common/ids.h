// Random identifiers from the OS's CSPRNG.
#pragma once

#include <string>

namespace tarn {

// n random bytes.
std::string RandomBytes(size_t n);
// 2n lowercase hex characters.
std::string RandomHex(size_t n_bytes);
// Characters from [A-Z0-9], as AWS access key ids after their prefix.
std::string RandomUpperAlnum(size_t n);
// Base64-ish secret of [A-Za-z0-9+/], as AWS secret keys.
std::string RandomSecret(size_t n);
// A request id: 16 uppercase hex characters, as S3's x-amz-request-id.
std::string NewRequestId();

}  // namespace tarn
