// Root credentials: one access key pair per server, from the environment
// (TARN_ROOT_ACCESS_KEY_ID / TARN_ROOT_SECRET_ACCESS_KEY) or generated on
// first start and saved 0600 in <data>/credentials.
#pragma once

#include <string>

#include "common/status.h"

namespace tarn::server {

struct RootCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  bool generated = false;  // created by this start (print them once)
  bool from_environment = false;
};

// Environment first; else the saved file; else a new pair (generated ==
// true) that is not saved yet: the caller saves it with
// SaveRootCredentials once the server is up and about to print it, so a
// start that fails later (port taken, say) does not leave a saved pair that
// was never shown.
Result<RootCredentials> LoadOrCreateRootCredentials(const std::string& data_dir);

// Writes <data_dir>/credentials (0600) durably: temp file, fsync, rename,
// fsync of the directory.
Status SaveRootCredentials(const std::string& data_dir, const RootCredentials& credentials);

}  // namespace tarn::server
