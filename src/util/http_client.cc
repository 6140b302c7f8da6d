#include "util/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace telsync {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

struct Transfer {
  HttpResponse* response = nullptr;
  const BodyChunkSink* on_body = nullptr;
  bool aborted = false;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  // A new status line (a redirect or 100-continue) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->on_body != nullptr) {
    if (!(*t->on_body)(std::string_view(data, n))) {
      t->aborted = true;
      return 0;  // tells curl to stop
    }
    return n;
  }
  t->response->body.append(data, n);
  return n;
}

// Plain words for curl's failures; the host is named, never the path or query.
std::string Describe(CURLcode code, const std::string& origin, const char* detail) {
  std::string why;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      why = "the host name cannot be resolved (DNS)";
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
      why = "the proxy host name cannot be resolved";
      break;
    case CURLE_COULDNT_CONNECT:
      why = "the connection was refused or the host is unreachable";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      why = "no answer in time (timeout)";
      break;
    case CURLE_SSL_CONNECT_ERROR:
      why = "the TLS handshake failed";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      why =
          "the server's TLS certificate is not trusted (set source.ca_file to the CA that "
          "signed it)";
      break;
    case CURLE_SSL_CACERT_BADFILE:
      why = "the CA file cannot be read";
      break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      why = "the connection was cut before the whole answer arrived";
      break;
    default:
      why = curl_easy_strerror(code);
  }
  std::string message = "cannot reach " + origin + ": " + why;
  if (detail != nullptr && detail[0] != '\0' && code != CURLE_PARTIAL_FILE) {
    message += " (" + std::string(detail) + ")";
  }
  return message;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<double> HttpResponse::RetryAfterSeconds(double now_unix) const {
  const auto value = Header("Retry-After");
  if (!value || value->empty()) return std::nullopt;
  bool digits = true;
  for (char c : *value) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
  if (digits) {
    if (value->size() > 9) return std::nullopt;
    return std::strtod(value->c_str(), nullptr);
  }
  const time_t when = curl_getdate(value->c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const double delta = static_cast<double>(when) - now_unix;
  return delta < 0 ? 0.0 : delta;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::Get(const std::string& url, const Headers& headers) {
  return Perform(url, headers, nullptr, nullptr);
}

Result<HttpResponse> HttpClient::Get(const std::string& url, const Headers& headers,
                                     const BodyChunkSink& on_body) {
  return Perform(url, headers, nullptr, &on_body);
}

Result<HttpResponse> HttpClient::PostForm(const std::string& url, const Headers& form,
                                          const Headers& headers) {
  std::string body;
  for (const auto& [key, value] : form) {
    if (!body.empty()) body += '&';
    body += Encode(key) + "=" + Encode(value);
  }
  Headers all = headers;
  all.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return Perform(url, all, &body, nullptr);
}

Result<HttpResponse> HttpClient::Send(const std::string& method, const std::string& url,
                                      const Headers& headers, const std::string* body) {
  Headers all = headers;
  all.emplace_back("Expect", "");  // no 100-continue round trip before a larger body
  return Perform(url, all, body, nullptr, method.c_str());
}

Result<HttpResponse> HttpClient::Perform(const std::string& url, const Headers& headers,
                                         const std::string* post_body, const BodyChunkSink* on_body,
                                         const char* method) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Error::Internal("cannot initialise libcurl");
  curl_easy_reset(curl);  // keeps the connection cache, clears the last request's options
  HttpResponse response;
  Transfer transfer{&response, on_body, false};
  char detail[CURL_ERROR_SIZE] = {0};
  curl_slist* list = nullptr;
  for (const auto& [key, value] : headers) {
    // "Name:" with nothing after it removes a header curl would add (Expect).
    list = curl_slist_append(list, (value.empty() ? key + ":" : key + ": " + value).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str());
  if (post_body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  if (method != nullptr && std::string_view(method) != "GET" &&
      (post_body == nullptr || std::string_view(method) != "POST")) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  // The error buffer may echo a header value in rare curl versions; clear it with the handle.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (code == CURLE_WRITE_ERROR && transfer.aborted) {
    return Error::Unavailable("the transfer from " + Origin(url) + " was stopped by the reader");
  }
  if (code != CURLE_OK) return Error::Unavailable(Describe(code, Origin(url), detail));
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string HttpClient::Encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string HttpClient::Origin(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t end = url.find_first_of("/?#", start);
  std::string origin(url.substr(0, end));
  // Drop user:password@ if someone put credentials in a URL.
  const size_t at = origin.find('@', start);
  if (at != std::string::npos) origin.erase(start, at - start + 1);
  return origin;
}

}  // namespace telsync
