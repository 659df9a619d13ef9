#include "server/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/ids.h"

namespace tarn::server {

namespace {

// Format: the two lines an aws CLI credentials profile would hold.
//   aws_access_key_id = TARN...
//   aws_secret_access_key = ...
Result<RootCredentials> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("no credentials file");
  RootCredentials c;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    std::string k = trim(line.substr(0, eq)), v = trim(line.substr(eq + 1));
    if (k == "aws_access_key_id") c.access_key_id = v;
    if (k == "aws_secret_access_key") c.secret_access_key = v;
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return InvalidArgument(path + " does not hold aws_access_key_id and aws_secret_access_key");
  }
  return c;
}

Status WriteFileDurably(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("creating " + tmp, errno);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return ErrnoStatus("writing " + tmp, err);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("renaming " + tmp, errno);
  std::string dir = path.substr(0, path.find_last_of('/'));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

}  // namespace

Result<RootCredentials> LoadOrCreateRootCredentials(const std::string& data_dir) {
  const char* env_id = std::getenv("TARN_ROOT_ACCESS_KEY_ID");
  const char* env_secret = std::getenv("TARN_ROOT_SECRET_ACCESS_KEY");
  if (env_id && *env_id && env_secret && *env_secret) {
    RootCredentials c{env_id, env_secret, false, true};
    return c;
  }
  if ((env_id && *env_id) != (env_secret && *env_secret)) {
    return InvalidArgument(
        "set both TARN_ROOT_ACCESS_KEY_ID and TARN_ROOT_SECRET_ACCESS_KEY, or neither");
  }
  const std::string path = data_dir + "/credentials";
  Result<RootCredentials> saved = ReadFile(path);
  if (saved.ok()) return saved;
  if (saved.status().code() != Code::kNotFound) return saved.status();
  RootCredentials c;
  c.access_key_id = "TARN" + RandomUpperAlnum(16);
  c.secret_access_key = RandomSecret(40);
  c.generated = true;
  return c;
}

Status SaveRootCredentials(const std::string& data_dir, const RootCredentials& credentials) {
  return WriteFileDurably(data_dir + "/credentials",
                          "aws_access_key_id = " + credentials.access_key_id +
                              "\naws_secret_access_key = " + credentials.secret_access_key +
                              "\n");
}

}  // namespace tarn::server
