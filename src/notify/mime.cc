#include "notify/mime.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <random>

#include "util/mail_address.h"

namespace telsync {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool IsPlainHeaderText(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  // A literal "=?" would be read as the start of an encoded word.
  return text.find("=?") == std::string_view::npos;
}

std::string RfcDate(int64_t now) {
  const std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char out[64];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return out;
}

// A boundary and Message-ID part that cannot occur in base64 text or in each other.
std::string UniqueToken() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char out[64];
  std::snprintf(out, sizeof out, "%016llx.%llu", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(++counter));
  return out;
}

// "Name <addr>" with the display name encoded when needed; a bare address as it is.
Result<std::string> HeaderAddress(std::string_view text) {
  auto address = MailAddress(text);
  if (!address.ok()) return address.error();
  const size_t open = text.find('<');
  if (open == std::string_view::npos) return *address;
  std::string_view name = text.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.empty()) return "<" + *address + ">";
  std::string shown =
      IsPlainHeaderText(name) && name.find_first_of("\",;:<>@") == std::string_view::npos
          ? std::string(name)
          : EncodeHeaderText(name);
  if (shown == name && name.find(' ') != std::string_view::npos) shown = "\"" + shown + "\"";
  return shown + " <" + *address + ">";
}

}  // namespace

std::string Base64(std::string_view bytes, bool wrap) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4 + bytes.size() / 57 * 2 + 4);
  size_t line = 0;
  auto put = [&](char c) {
    out.push_back(c);
    if (wrap && ++line == 76) {
      out += "\r\n";
      line = 0;
    }
  };
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    put(kAlphabet[(n >> 18) & 63]);
    put(kAlphabet[(n >> 12) & 63]);
    put(kAlphabet[(n >> 6) & 63]);
    put(kAlphabet[n & 63]);
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    put(kAlphabet[(n >> 18) & 63]);
    put(kAlphabet[(n >> 12) & 63]);
    put(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    put('=');
  }
  if (wrap && line != 0) out += "\r\n";
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  if (IsPlainHeaderText(text)) return std::string(text);
  // Encoded words are at most 75 characters: split the text into chunks of whole UTF-8
  // characters of at most 45 bytes (60 base64 characters), joined by folding whitespace.
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.size(), start + 45);
    while (end < text.size() && end > start &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;  // do not cut a UTF-8 character in two
    }
    if (end == start) end = std::min(text.size(), start + 45);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(start, end - start), false) + "?=";
    start = end;
  }
  return out;
}

Result<std::string> RenderMail(const MailMessage& message, int64_t now, std::string_view host) {
  if (message.to.empty() && message.cc.empty()) return Error::Invalid("a mail needs a recipient");
  auto from = HeaderAddress(message.from);
  if (!from.ok()) return Error::Invalid("from: " + from.error().message);
  auto list = [](const std::vector<std::string>& addresses,
                 const char* what) -> Result<std::string> {
    std::string out;
    for (const auto& a : addresses) {
      auto h = HeaderAddress(a);
      if (!h.ok()) return Error::Invalid(std::string(what) + ": " + h.error().message);
      if (!out.empty()) out += ",\r\n ";
      out += *h;
    }
    return out;
  };
  auto to = list(message.to, "to");
  if (!to.ok()) return to.error();
  auto cc = list(message.cc, "cc");
  if (!cc.ok()) return cc.error();

  const std::string boundary = "telsync-" + UniqueToken();
  std::string out;
  out += "From: " + *from + "\r\n";
  if (!to->empty()) out += "To: " + *to + "\r\n";
  if (!cc->empty()) out += "Cc: " + *cc + "\r\n";
  out += "Subject: " + EncodeHeaderText(message.subject) + "\r\n";
  out += "Date: " + RfcDate(now) + "\r\n";
  out += "Message-ID: <" + UniqueToken() + "@" + std::string(host.empty() ? "telsync" : host) +
         ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  const std::string text_part =
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      Base64(message.text, true);
  if (message.attachments.empty()) {
    out += text_part;
    return out;
  }
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a MIME message.\r\n";
  out += "--" + boundary + "\r\n" + text_part;
  for (const auto& a : message.attachments) {
    // The filename is ours (telsync-run-N.xlsx), but quote-safe anyway.
    std::string name;
    for (const char c : a.filename) {
      if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) name.push_back(c);
    }
    out += "--" + boundary + "\r\n";
    out += "Content-Type: " + a.content_type + "; name=\"" + name + "\"\r\n";
    out += "Content-Transfer-Encoding: base64\r\n";
    out += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n";
    out += Base64(a.bytes, true);
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace telsync
