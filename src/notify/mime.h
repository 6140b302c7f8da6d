// MailMessage: an RFC 5322 / MIME e-mail as telsync sends it (F20): a UTF-8 text body and
// optional attachments (the XLSX report).
//
// Render() gives the bytes to hand to an SMTP server: CRLF line ends, non-ASCII header
// text as RFC 2047 encoded words, the body and attachments in base64 (so no line is ever
// too long and no byte is mangled by a relay), a Date and a unique Message-ID. Addresses
// are checked before rendering: a header injection ("a@b\r\nBcc: x") is refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace telsync {

struct MailAttachment {
  std::string filename;      // "telsync-run-12.xlsx"
  std::string content_type;  // "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
  std::string bytes;
};

struct MailMessage {
  std::string from;             // "telsync <telsync@example.com>" or a bare address
  std::vector<std::string> to;  // bare addresses
  std::vector<std::string> cc;
  std::string subject;
  std::string text;  // UTF-8
  std::vector<MailAttachment> attachments;
};

// The message as sent. `now` (unix seconds) stamps the Date header; `host` goes into the
// Message-ID. Errors: an invalid from/to/cc address, or no recipient.
Result<std::string> RenderMail(const MailMessage& message, int64_t now, std::string_view host);

// Base64 (RFC 4648 §4, with padding), broken into lines of 76 characters by CRLF when
// `wrap` is set (MIME bodies).
std::string Base64(std::string_view bytes, bool wrap);

// An RFC 2047 "encoded word" for header text that is not plain printable ASCII; plain
// text is returned as it is.
std::string EncodeHeaderText(std::string_view text);

}  // namespace telsync
