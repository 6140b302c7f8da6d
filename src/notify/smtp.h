// SmtpSender: hands rendered mails to an SMTP server with libcurl (F20, R6).
//
// smtp:// with STARTTLS (required by default: a server that does not offer it is an
// error, never a silent plain-text fallback), smtps:// for implicit TLS, AUTH when a
// username is set, certificate checks on unless the config turns them off. A mail is
// tried `attempts` times with a doubling wait; the result says how many tries it took
// and, on failure, why in plain words. The password never appears in a result or a log.
//
// Not thread-safe: one sender per thread. The curl handle is reused, so a run's mails
// share one connection where the server allows it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/profile.h"
#include "util/result.h"

namespace telsync {

struct SendResult {
  bool ok = false;
  int attempts = 0;
  std::string error;  // the last failure, plain words; "" when ok
};

class SmtpSender {
 public:
  // `sleep` waits between tries (seconds); tests pass one that does not sleep.
  explicit SmtpSender(SmtpConfig config, std::function<void(int)> sleep = {});
  ~SmtpSender();
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;

  // Sends `message` (RenderMail's bytes) from config.from's address to `recipients`.
  SendResult Send(const std::vector<std::string>& recipients, const std::string& message);

 private:
  Status SendOnce(const std::vector<std::string>& recipients, const std::string& message);

  SmtpConfig config_;
  std::function<void(int)> sleep_;
  void* curl_ = nullptr;  // CURL*, reused across mails
};

}  // namespace telsync
