// A generator of realistic directories (DESIGN §7): names from many countries, phone
// numbers in many formats (some invalid), duplicates, disabled users, guests, nested
// groups and departments, of any size and seed.
//
// User i of a seed is a pure function of (seed, i, version): a directory of a million
// users is written as a stream without holding it, and version 2 of the same directory
// changes a known fraction of users (for update / pending-delete benches and demos).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace telsync::bench {

struct GenOptions {
  size_t users = 1000;
  uint64_t seed = 1;
  int version = 1;                     // 2+: some users change, some leave, some join
  double invalid_phone_rate = 0.02;    // numbers libphonenumber must reject
  double national_format_rate = 0.03;  // numbers without a country code (strict rejects)
  double duplicate_email_rate = 0.002;
  double disabled_rate = 0.03;
  double missing_name_rate = 0.005;
  double guest_rate = 0.0;
  double change_rate = 0.05;    // per version step: users whose title / phone changes
  double leave_rate = 0.01;     // per version step: users that leave
  std::string drop_department;  // users of this department are not in the directory
};

struct GenUser {
  std::string id;  // a GUID, stable for a user across versions
  std::string given_name, surname, display_name;
  std::string upn, mail, mail_nickname;
  std::string business_phone;  // as a directory holds it (formatted, maybe invalid)
  std::string mobile_phone;
  std::string business_e164;  // the E.164 form when the number is valid in strict mode, else ""
  std::string mobile_e164;
  std::string department, job_title, city, country, office;
  std::string extension;  // 4 digits or ""
  bool enabled = true;
  bool guest = false;
  std::vector<std::string> groups;  // display names
};

class DirectoryGenerator {
 public:
  explicit DirectoryGenerator(GenOptions options) : options_(std::move(options)) {}

  // False when user i is not in this version of the directory (it left).
  bool Present(size_t i) const;
  GenUser User(size_t i) const;
  // Indices of the users in this version: [0, users) minus the leavers, plus joiners.
  size_t End() const;

  const GenOptions& options() const { return options_; }

 private:
  GenOptions options_;
};

// Writes the directory as Microsoft Graph's /users answer with $expand=memberOf.
void WriteGraphJson(const DirectoryGenerator& gen, std::ostream& out);
// CSV with a header (AD-style names: objectGUID, sAMAccountName, givenName, sn, ...).
void WriteCsv(const DirectoryGenerator& gen, std::ostream& out);
// LDIF in Active Directory's shape (objectGUID base64, userAccountControl, memberOf DNs).
void WriteLdif(const DirectoryGenerator& gen, std::ostream& out);

}  // namespace telsync::bench
