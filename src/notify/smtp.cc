#include "notify/smtp.h"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "notify/mime.h"
#include "util/mail_address.h"

namespace telsync {
namespace {

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t room = size * count;
  const size_t left = upload->data->size() - upload->offset;
  const size_t n = std::min(room, left);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// curl's own words, made plain for the common cases an admin can act on.
std::string Explain(CURLcode code, long response, const char* detail) {  // NOLINT(runtime/int)
  std::string why = detail != nullptr && detail[0] != '\0' ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return "cannot connect to the SMTP server (" + why + ")";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "the SMTP server's name does not resolve (" + why + ")";
    case CURLE_USE_SSL_FAILED:
      return "the SMTP server does not offer STARTTLS; set smtp.starttls: optional only if "
             "plain text is acceptable";
    case CURLE_LOGIN_DENIED:
      return "the SMTP server refused the username or password";
    case CURLE_PEER_FAILED_VERIFICATION:
      return "the SMTP server's TLS certificate is not trusted (" + why +
             "); set smtp.ca_file to its CA";
    case CURLE_OPERATION_TIMEDOUT:
      return "the SMTP server did not answer in time";
    default:
      break;
  }
  if (response >= 400) {
    return "the SMTP server answered " + std::to_string(response) + " (" + why + ")";
  }
  return why;
}

}  // namespace

SmtpSender::SmtpSender(SmtpConfig config, std::function<void(int)> sleep)
    : config_(std::move(config)), sleep_(std::move(sleep)) {
  if (!sleep_) {
    sleep_ = [](int seconds) { std::this_thread::sleep_for(std::chrono::seconds(seconds)); };
  }
  curl_ = curl_easy_init();
}

SmtpSender::~SmtpSender() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

SendResult SmtpSender::Send(const std::vector<std::string>& recipients,
                            const std::string& message) {
  SendResult result;
  int wait = std::max(0, config_.retry_seconds);
  const int attempts = std::max(1, config_.attempts);
  for (int i = 0; i < attempts; ++i) {
    if (i > 0) {
      sleep_(wait);
      wait *= 2;
    }
    ++result.attempts;
    Status s = SendOnce(recipients, message);
    if (s.ok()) {
      result.ok = true;
      result.error.clear();
      return result;
    }
    result.error = s.error().message;
    // A refused address or login will not change by trying again.
    if (s.error().code == ErrorCode::kInvalid || s.error().code == ErrorCode::kAuth) break;
  }
  return result;
}

Status SmtpSender::SendOnce(const std::vector<std::string>& recipients,
                            const std::string& message) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Error::Internal("cannot start libcurl");
  if (config_.url.empty()) return Error::Invalid("no SMTP server: set smtp.url");
  auto from = MailAddress(config_.from);
  if (!from.ok()) return Error::Invalid("smtp.from: " + from.error().message);

  curl_slist* rcpt = nullptr;
  for (const auto& r : recipients) {
    auto address = MailAddress(r);
    if (!address.ok()) {
      curl_slist_free_all(rcpt);
      return address.error();
    }
    rcpt = curl_slist_append(rcpt, ("<" + *address + ">").c_str());
  }
  if (rcpt == nullptr) return Error::Invalid("a mail needs a recipient");

  curl_easy_reset(curl);
  char detail[CURL_ERROR_SIZE] = {0};
  Upload upload{&message, 0};
  curl_easy_setopt(curl, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + *from + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(config_.timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds) * 4);
  const bool implicit_tls = config_.url.rfind("smtps://", 0) == 0;
  if (!implicit_tls) {
    if (config_.starttls == "required") {
      curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    } else if (config_.starttls == "optional") {
      curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    }
  }
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, config_.tls_verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, config_.tls_verify ? 2L : 0L);
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.Reveal().c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  long response = 0;  // NOLINT(runtime/int)
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
  curl_slist_free_all(rcpt);
  // The handle keeps option pointers: clear the ones that point at this call's data.
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
  if (code == CURLE_OK) return Ok();
  const std::string why = Explain(code, response, detail);
  if (code == CURLE_LOGIN_DENIED) return Error{ErrorCode::kAuth, why, ""};
  if (code == CURLE_USE_SSL_FAILED || code == CURLE_PEER_FAILED_VERIFICATION) {
    return Error::Invalid(why);  // the configuration, not the moment: no retry helps
  }
  if (response >= 500 && response < 600 && code != CURLE_OPERATION_TIMEDOUT) {
    return Error::Invalid(why);  // a permanent refusal (550 no such user, 554 ...)
  }
  return Error::Unavailable(why);
}

}  // namespace telsync
