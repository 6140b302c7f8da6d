#include "server/phonebook/phonebook.h"

#include <algorithm>
#include <utility>

#include "model/fields.h"

namespace telsync::phonebook {
namespace {

// Cisco lists one number per entry: the extension, then landline and mobile.
std::vector<std::pair<std::string, std::string>> CiscoRows(const std::vector<Entry>& entries) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Entry& e : entries) {
    if (!e.extension.empty()) rows.emplace_back(e.name, e.extension);
    if (!e.landline.empty()) rows.emplace_back(e.name, e.landline);
    if (!e.mobile.empty()) rows.emplace_back(e.name + " (mobile)", e.mobile);
  }
  return rows;
}

void Element(std::string& out, const char* indent, const char* name, std::string_view value) {
  out += indent;
  out += '<';
  out += name;
  out += '>';
  out += XmlEscape(value);
  out += "</";
  out += name;
  out += ">\n";
}

}  // namespace

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "yealink") return Format::kYealink;
  if (name == "grandstream") return Format::kGrandstream;
  if (name == "cisco") return Format::kCisco;
  return std::nullopt;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab / newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::vector<Entry> Entries(const std::vector<PbxUser>& users) {
  std::vector<Entry> out;
  for (const PbxUser& u : users) {
    if (!u.searchable || u.state != UserState::kActive) continue;
    Entry e;
    e.first_name = std::string(u.fields.Get(Field::kFirstName));
    e.last_name = std::string(u.fields.Get(Field::kLastName));
    e.name = std::string(u.fields.Get(Field::kDisplayName));
    if (e.name.empty()) {
      e.name =
          e.first_name + (e.first_name.empty() || e.last_name.empty() ? "" : " ") + e.last_name;
    }
    if (e.name.empty()) e.name = std::string(u.fields.Get(Field::kUsername));
    e.extension = std::string(u.fields.Get(Field::kExtension));
    e.landline = std::string(u.fields.Get(Field::kLandline));
    e.mobile = std::string(u.fields.Get(Field::kMobile));
    if (e.extension.empty() && e.landline.empty() && e.mobile.empty()) continue;  // no number
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

size_t CiscoPages(const std::vector<Entry>& entries) {
  const size_t rows = CiscoRows(entries).size();
  return std::max<size_t>(1, (rows + kCiscoPageSize - 1) / kCiscoPageSize);
}

std::string Render(Format format, const std::vector<Entry>& entries, const std::string& title,
                   size_t page, const std::string& next_url) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  switch (format) {
    case Format::kYealink:
      out += "<YealinkIPPhoneDirectory>\n";
      for (const Entry& e : entries) {
        out += "  <DirectoryEntry>\n";
        Element(out, "    ", "Name", e.name);
        for (const std::string* number : {&e.extension, &e.landline, &e.mobile}) {
          if (!number->empty()) Element(out, "    ", "Telephone", *number);
        }
        out += "  </DirectoryEntry>\n";
      }
      out += "</YealinkIPPhoneDirectory>\n";
      break;
    case Format::kGrandstream:
      out += "<AddressBook>\n  <version>1</version>\n";
      for (const Entry& e : entries) {
        out += "  <Contact>\n";
        // A contact without a first and last name shows its display name.
        Element(out, "    ", "LastName",
                e.last_name.empty() && e.first_name.empty() ? e.name : e.last_name);
        Element(out, "    ", "FirstName", e.first_name);
        const std::pair<const char*, const std::string*> phones[] = {
            {"Work", &e.extension}, {"Work", &e.landline}, {"Mobile", &e.mobile}};
        for (const auto& [type, number] : phones) {
          if (number->empty()) continue;
          out += std::string("    <Phone type=\"") + type + "\">\n";
          Element(out, "      ", "phonenumber", *number);
          out += "      <accountindex>0</accountindex>\n    </Phone>\n";
        }
        out += "  </Contact>\n";
      }
      out += "</AddressBook>\n";
      break;
    case Format::kCisco: {
      const auto rows = CiscoRows(entries);
      const size_t pages = std::max<size_t>(1, (rows.size() + kCiscoPageSize - 1) / kCiscoPageSize);
      out += "<CiscoIPPhoneDirectory>\n";
      Element(out, "  ", "Title", title);
      Element(out, "  ", "Prompt",
              "Page " + std::to_string(std::min(page, pages)) + " of " + std::to_string(pages));
      const size_t first = (std::max<size_t>(page, 1) - 1) * kCiscoPageSize;
      for (size_t i = first; i < rows.size() && i < first + kCiscoPageSize; ++i) {
        out += "  <DirectoryEntry>\n";
        Element(out, "    ", "Name", rows[i].first);
        Element(out, "    ", "Telephone", rows[i].second);
        out += "  </DirectoryEntry>\n";
      }
      out += "  <SoftKeyItem>\n";
      Element(out, "    ", "Name", "Dial");
      Element(out, "    ", "URL", "SoftKey:Dial");
      Element(out, "    ", "Position", "1");
      out += "  </SoftKeyItem>\n";
      if (!next_url.empty()) {
        out += "  <SoftKeyItem>\n";
        Element(out, "    ", "Name", "Next");
        Element(out, "    ", "URL", next_url);
        Element(out, "    ", "Position", "2");
        out += "  </SoftKeyItem>\n";
      }
      out += "  <SoftKeyItem>\n";
      Element(out, "    ", "Name", "Exit");
      Element(out, "    ", "URL", "SoftKey:Exit");
      Element(out, "    ", "Position", "3");
      out += "  </SoftKeyItem>\n";
      out += "</CiscoIPPhoneDirectory>\n";
      break;
    }
  }
  return out;
}

}  // namespace telsync::phonebook
