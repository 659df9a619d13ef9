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

// Environment first; else the saved file; else a new pair, saved durably.
Result<RootCredentials> LoadOrCreateRootCredentials(const std::string& data_dir);

}  // namespace tarn::server
