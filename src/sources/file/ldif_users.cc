// Streaming reader of LDIF user exports (RFC 2849 content records; see file_formats.h).
#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "sources/file/file_formats.h"
#include "util/text.h"

namespace telsync::file_formats {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// One logical line of a record: the attribute, its value and the line it started on.
struct Line {
  std::string text;
  size_t number = 0;
};

class RecordParser {
 public:
  RecordParser(const std::string& name, const ObjectSink& sink, const ProblemSink& on_problem,
               ReadResult& result)
      : name_(name), sink_(sink), on_problem_(on_problem), result_(result) {}

  void Parse(const std::vector<Line>& lines) {
    if (lines.empty()) return;
    SourceObject user;
    std::vector<std::string> object_classes;
    bool has_guid = false;
    const size_t first_line = lines.front().number;
    for (const auto& line : lines) {
      const size_t colon = line.text.find(':');
      if (colon == std::string::npos || colon == 0) {
        return Bad(line.number, "expected 'attribute: value', got a line without ':'");
      }
      std::string attribute = line.text.substr(0, colon);
      const size_t options = attribute.find(';');  // "cn;lang-sv": the options are dropped
      if (options != std::string::npos) attribute.resize(options);
      std::string_view rest = std::string_view(line.text).substr(colon + 1);
      std::string value;
      bool binary = false;
      if (!rest.empty() && rest.front() == ':') {
        rest.remove_prefix(1);
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        auto decoded = DecodeBase64(rest);
        if (!decoded) {
          return Bad(line.number,
                     "attribute " + attribute + ": the base64 value cannot be decoded");
        }
        value = std::move(*decoded);
        binary = true;
      } else if (!rest.empty() && rest.front() == '<') {
        return Bad(line.number,
                   "attribute " + attribute + ": values read from URLs (':<') are not supported");
      } else {
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        value = std::string(rest);
      }
      if (EqualsNoCase(attribute, "changetype")) {
        return Bad(first_line,
                   "change records (changetype) are not supported; export content "
                   "records");
      }
      if (EqualsNoCase(attribute, "objectGUID")) {
        if (binary) {
          auto guid = GuidFromBytes(value);
          if (!guid) {
            return Bad(line.number, "objectGUID is not 16 bytes");
          }
          value = std::move(*guid);
        }
        user.id = value;
        has_guid = true;
      } else if (EqualsNoCase(attribute, "entryUUID")) {
        if (!has_guid) user.id = value;
      } else if (EqualsNoCase(attribute, "objectClass")) {
        object_classes.push_back(value);
      } else if (EqualsNoCase(attribute, "memberOf")) {
        const std::string group = FirstRdnValue(value);
        if (!group.empty()) user.groups.push_back(group);
      } else if (EqualsNoCase(attribute, "userAccountControl")) {
        char* stop = nullptr;
        const long long uac = std::strtoll(value.c_str(), &stop, 10);
        if (stop != value.c_str() && (uac & 0x2) != 0) user.enabled = false;  // ACCOUNTDISABLE
      }
      // Binary values other than objectGUID (photos, SIDs) are not text: leave them out.
      if (binary && !IsValidUtf8(value)) continue;
      user.Add(attribute, std::move(value));
    }
    if (!IsUser(object_classes)) return;  // groups, OUs, computers: not users, not problems
    if (user.id.empty()) {
      const std::string dn(user.First("dn"));
      return Bad(first_line, "no objectGUID or entryUUID" + (dn.empty() ? "" : " for " + dn));
    }
    ++result_.objects;
    sink_(std::move(user));
  }

 private:
  static bool IsUser(const std::vector<std::string>& classes) {
    if (classes.empty()) return true;  // an export of users only may leave objectClass out
    bool person = false;
    for (const auto& c : classes) {
      if (EqualsNoCase(c, "computer")) return false;  // AD computers derive from user
      for (const char* u : {"user", "person", "inetOrgPerson", "organizationalPerson"}) {
        if (EqualsNoCase(c, u)) person = true;
      }
    }
    return person;
  }

  void Bad(size_t line, const std::string& reason) {
    ++result_.bad_records;
    if (on_problem_) on_problem_(name_ + ":" + std::to_string(line), reason);
  }

  const std::string& name_;
  const ObjectSink& sink_;
  const ProblemSink& on_problem_;
  ReadResult& result_;
};

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  static const std::array<int8_t, 256> kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::optional<std::string> GuidFromBytes(std::string_view bytes) {
  if (bytes.size() != 16) return std::nullopt;
  // Data1 (4 bytes), Data2 and Data3 (2 bytes each) are little-endian; Data4 is as stored.
  static constexpr int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto b = static_cast<unsigned char>(bytes[kOrder[i]]);
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

std::string FirstRdnValue(std::string_view dn) {
  const size_t equals = dn.find('=');
  if (equals == std::string_view::npos) return std::string(dn);
  std::string value;
  for (size_t i = equals + 1; i < dn.size(); ++i) {
    const char c = dn[i];
    if (c == '\\' && i + 1 < dn.size()) {
      const char next = dn[i + 1];
      const bool hex = i + 2 < dn.size() && std::isxdigit(static_cast<unsigned char>(next)) &&
                       std::isxdigit(static_cast<unsigned char>(dn[i + 2]));
      if (hex) {  // \2C: a byte in hex (RFC 4514)
        value += static_cast<char>(std::stoi(std::string(dn.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        value += next;
        ++i;
      }
      continue;
    }
    if (c == ',' || c == '+') break;
    value += c;
  }
  const size_t begin = value.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return value.substr(begin, value.find_last_not_of(' ') - begin + 1);
}

ReadResult ReadLdif(std::istream& in, const std::string& name, const ObjectSink& sink,
                    const ProblemSink& on_problem) {
  ReadResult result;
  RecordParser parser(name, sink, on_problem, result);
  std::vector<Line> record;
  std::string physical;
  size_t number = 0;
  bool in_comment = false;  // a folded comment continues on the next line
  bool first_line = true;
  while (std::getline(in, physical)) {
    ++number;
    if (!physical.empty() && physical.back() == '\r') physical.pop_back();
    if (first_line) {
      first_line = false;
      if (physical.rfind("\xEF\xBB\xBF", 0) == 0) physical.erase(0, 3);
      if (physical.rfind("version:", 0) == 0) continue;  // "version: 1" precedes the records
    }
    if (physical.empty()) {
      parser.Parse(record);
      record.clear();
      in_comment = false;
      continue;
    }
    if (physical[0] == ' ') {  // a folded line continues the previous one (RFC 2849 note 2)
      if (in_comment) continue;
      if (record.empty()) {
        ++result.bad_records;
        if (on_problem)
          on_problem(name + ":" + std::to_string(number),
                     "a continuation line without a line to continue");
        continue;
      }
      record.back().text.append(physical, 1, std::string::npos);
      continue;
    }
    in_comment = physical[0] == '#';
    if (in_comment) continue;
    record.push_back({std::move(physical), number});
    physical.clear();
  }
  if (in.bad()) {
    result.error = Error::Invalid("cannot read the file to its end");
    return result;
  }
  parser.Parse(record);
  result.complete = true;
  return result;
}

}  // namespace telsync::file_formats
