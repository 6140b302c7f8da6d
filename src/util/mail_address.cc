#include "util/mail_address.h"

namespace telsync {
namespace {

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

Result<std::string> MailAddress(std::string_view text) {
  std::string_view address = text;
  if (const size_t open = text.find('<'); open != std::string_view::npos) {
    const size_t close = text.find('>', open);
    if (close == std::string_view::npos || close != text.size() - 1) {
      return Error::Invalid("e-mail address " + std::string(text) + ": '<' without a closing '>'");
    }
    address = text.substr(open + 1, close - open - 1);
  }
  while (!address.empty() && address.front() == ' ') address.remove_prefix(1);
  while (!address.empty() && address.back() == ' ') address.remove_suffix(1);
  if (address.empty()) return Error::Invalid("e-mail address is empty");
  for (const char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') {
      return Error::Invalid("e-mail address " + Quoted(address) +
                            ": contains a space, a control character or one of <>,;");
    }
  }
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return Error::Invalid("e-mail address " + Quoted(address) + ": needs local@domain");
  }
  return std::string(address);
}

}  // namespace telsync
