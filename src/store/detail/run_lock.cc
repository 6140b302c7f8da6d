#include "store/detail/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace telsync::store_detail {
namespace {

class FileRunLock final : public RunLock {
 public:
  explicit FileRunLock(int fd) : fd_(fd) {}
  ~FileRunLock() override {
    (void)::ftruncate(fd_, 0);  // no holder any more
    (void)::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string RunLockNote(int64_t now) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "?");
  const std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return "pid " + std::to_string(::getpid()) + " on " + host + ", since " + when;
}

Result<std::unique_ptr<RunLock>> LockRunFile(const std::string& store_path,
                                             const std::string& tenant, const std::string& profile,
                                             bool wait, int64_t now) {
  const std::string dir = store_path + "-locks";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::Unavailable(Errno("cannot create the run lock directory " + dir));
  }
  const std::string file = dir + "/" + tenant + "~" + profile + ".lock";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error::Unavailable(Errno("cannot open the run lock " + file));
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error = errno;
    std::string note;
    if (error == EWOULDBLOCK) {
      char buffer[512];
      const ssize_t n = ::pread(fd, buffer, sizeof buffer, 0);
      if (n > 0) note.assign(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    if (error != EWOULDBLOCK) {
      errno = error;
      return Error::Unavailable(Errno("cannot lock " + file));
    }
    return Error::Conflict(note.empty() ? "held by another process" : note);
  }
  const std::string note = RunLockNote(now);
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, note.data(), note.size(), 0) != static_cast<ssize_t>(note.size())) {
    // The note only explains; the lock is held all the same.
  }
  return std::unique_ptr<RunLock>(std::make_unique<FileRunLock>(fd));
}

}  // namespace telsync::store_detail
