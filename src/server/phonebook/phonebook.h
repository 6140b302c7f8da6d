// The company phonebook for desk phones (issue 17 §4): the tenant's searchable users with
// their extension and numbers, in each vendor's remote-phonebook XML.
//
//   yealink      <YealinkIPPhoneDirectory><DirectoryEntry><Name/><Telephone/>...  (Yealink's
//                remote phonebook: one Telephone per number)
//   grandstream  <AddressBook><Contact><LastName/><FirstName/><Phone type="Work">
//                <phonenumber/><accountindex>0</accountindex></Phone>...  (Grandstream's XML
//                downloadable phonebook, GXP series; type Work / Mobile)
//   cisco        <CiscoIPPhoneDirectory><Title/><Prompt/><DirectoryEntry><Name/><Telephone/>
//                (Cisco IP Phone Services: one number per DirectoryEntry, at most 32 entries
//                per object, so larger books come in pages with a "Next" soft key whose URL
//                is the next page)
//
// Every value is XML-escaped (& < > " '). Pure functions: the HTTP side is routes.h.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/pbx.h"

namespace telsync::phonebook {

enum class Format { kYealink, kGrandstream, kCisco };
// "yealink" | "grandstream" | "cisco"; nullopt otherwise.
std::optional<Format> ParseFormat(std::string_view name);

// One person of the phonebook.
struct Entry {
  std::string name;  // display name, or first + last, or the username
  std::string first_name;
  std::string last_name;
  std::string extension;
  std::string landline;
  std::string mobile;
};

// The users a phonebook lists (searchable, not pending deletion), sorted by name.
std::vector<Entry> Entries(const std::vector<PbxUser>& users);

// Cisco's limit of DirectoryEntry elements per CiscoIPPhoneDirectory object.
inline constexpr size_t kCiscoPageSize = 32;

// The XML document. For Cisco, `page` (1-based) selects 32 numbers, and `next_url` (the URL
// of page + 1, "" when this is the last page) becomes a "Next" soft key.
std::string Render(Format format, const std::vector<Entry>& entries, const std::string& title,
                   size_t page = 1, const std::string& next_url = "");
// How many Cisco pages the entries take (at least 1).
size_t CiscoPages(const std::vector<Entry>& entries);

// `text` with & < > " ' as character entities.
std::string XmlEscape(std::string_view text);

}  // namespace telsync::phonebook
