#include "bench/lib/generator.h"

#include <array>
#include <cstdio>
#include <functional>
#include <string_view>

namespace telsync::bench {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A small deterministic stream of random numbers for one (seed, user, salt).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t i, uint64_t salt)
      : s_(SplitMix(seed * 0x100000001b3ULL ^ SplitMix(i) ^ salt)) {}
  uint64_t Next() { return s_ = SplitMix(s_); }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  double Unit() { return static_cast<double>(Next() >> 11) / static_cast<double>(1ULL << 53); }
  bool Chance(double p) { return Unit() < p; }

 private:
  uint64_t s_;
};

struct Country {
  const char* code;
  const char* city[3];
  std::array<const char*, 12> given;
  std::array<const char*, 12> surname;
  const char* landline;  // '#' = a random digit; every expansion is a valid number
  const char* mobile;
  const char* national_prefix;  // how a local would write the landline without +CC
};

// Names and numbering plans from the countries telsync's customers are in. Every pattern
// was checked with libphonenumber: all expansions are valid numbers.
const Country kCountries[] = {
    {"SE",
     {"Stockholm", "Göteborg", "Malmö"},
     {"Anna", "Erik", "Åsa", "Lars", "Karin", "Örjan", "Maria", "Johan", "Elsa", "Björn", "Ingrid",
      "Sven"},
     {"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
      "Svensson", "Gustafsson", "Lindström", "Åberg"},
     "+46 8 5# ### ###",
     "+46 70 ### ## ##",
     "08-5# ### ###"},
    {"DK",
     {"København", "Aarhus", "Odense"},
     {"Mette", "Søren", "Freja", "Mads", "Ida", "Rasmus", "Line", "Jens", "Sofie", "Niels",
      "Astrid", "Morten"},
     {"Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
      "Rasmussen", "Jørgensen", "Madsen", "Kristensen"},
     "+45 3# ## ## ##",
     "+45 2# ## ## ##",
     "3# ## ## ##"},
    {"NO",
     {"Oslo", "Bergen", "Trondheim"},
     {"Ole", "Kari", "Håkon", "Ingrid", "Øystein", "Silje", "Bjørn", "Marit", "Arne", "Tone",
      "Eirik", "Hilde"},
     {"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Berg", "Haugen", "Hagen", "Bakken",
      "Lie", "Dahl", "Ødegård"},
     "+47 22 ## ## ##",
     "+47 9# ## ## ##",
     "22 ## ## ##"},
    {"FI",
     {"Helsinki", "Espoo", "Tampere"},
     {"Juha", "Aino", "Mikko", "Liisa", "Jukka", "Päivi", "Timo", "Sanna", "Antti", "Tiina",
      "Ville", "Elina"},
     {"Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
      "Koskinen", "Järvinen", "Lehtonen", "Saarinen"},
     "+358 9 6## ####",
     "+358 40 ### ####",
     "09 6## ####"},
    {"DE",
     {"Berlin", "München", "Hamburg"},
     {"Jürgen", "Ursula", "Klaus", "Sabine", "Stefan", "Monika", "Thomas", "Petra", "Uwe", "Birgit",
      "Jörg", "Susanne"},
     {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
      "Hoffmann", "Koch", "Weiß"},
     "+49 30 #### ####",
     "+49 151 #### ####",
     "030 #### ####"},
    {"GB",
     {"London", "Manchester", "Leeds"},
     {"Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Emily", "Jack", "Sophie",
      "Charlie", "Grace"},
     {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "O'Brien",
      "Evans", "Thomas", "Roberts"},
     "+44 20 7### ####",
     "+44 7400 ######",
     "020 7### ####"},
    {"US",
     {"Seattle", "Redmond", "Boston"},
     {"James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David",
      "Elizabeth", "Miguel", "Keisha"},
     {"Smith", "Johnson", "Williams", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
      "Hernandez", "Lopez", "Washington", "Nguyen"},
     "+1 206 3## ####",
     "+1 425 7## ####",
     "206-3##-####"},
    {"FR",
     {"Paris", "Lyon", "Marseille"},
     {"Jean", "Marie", "Pierre", "Françoise", "Michel", "Hélène", "André", "Céline", "Jérôme",
      "Chloé", "François", "Zoé"},
     {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
      "Moreau", "Lefèvre", "Girard"},
     "+33 1 ## ## ## ##",
     "+33 6 1# ## ## ##",
     "01 ## ## ## ##"},
    {"ES",
     {"Madrid", "Barcelona", "Valencia"},
     {"José", "María", "Antonio", "Carmen", "Manuel", "Lucía", "Javier", "Ana", "Sergio", "Núria",
      "Pablo", "Elena"},
     {"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
      "Gómez", "Martín", "Jiménez", "Ruiz"},
     "+34 91 ### ## ##",
     "+34 6## ### ###",
     "91 ### ## ##"},
    {"PL",
     {"Warszawa", "Kraków", "Łódź"},
     {"Piotr", "Anna", "Krzysztof", "Małgorzata", "Tomasz", "Agnieszka", "Paweł", "Katarzyna",
      "Łukasz", "Joanna", "Michał", "Zofia"},
     {"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
      "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski"},
     "+48 22 ### ## ##",
     "+48 601 ### ###",
     "22 ### ## ##"},
    {"NL",
     {"Amsterdam", "Rotterdam", "Utrecht"},
     {"Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess", "Levi", "Sophie", "Bram",
      "Anouk"},
     {"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
      "Smit", "Meijer", "de Boer", "Mulder"},
     "+31 20 ### ####",
     "+31 6 1#######",
     "020 ### ####"},
    {"IN",
     {"Mumbai", "Bengaluru", "Pune"},
     {"Aarav", "Priya", "Vihaan", "Ananya", "Arjun", "Diya", "Rohan", "Isha", "Rahul", "Kavya",
      "Aditya", "Neha"},
     {"Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Mehta", "Joshi",
      "Rao", "Desai"},
     "+91 22 2### ####",
     "+91 98### #####",
     "022 2### ####"},
};

constexpr std::array<std::string_view, 16> kDepartments = {
    "Sales",    "Support",    "Finance",   "Engineering",      "Marketing", "HR",
    "Legal",    "Operations", "Logistics", "Customer Success", "IT",        "Procurement",
    "Research", "Facilities", "Training",  "Management"};
constexpr std::array<std::string_view, 10> kTitles = {
    "Account Manager", "Support Engineer", "Controller",  "Software Engineer", "Marketing Lead",
    "HR Partner",      "Counsel",          "Coordinator", "Team Lead",         "Specialist"};

std::string Expand(const char* pattern, Rng& rng) {
  std::string s(pattern);
  for (char& c : s) {
    if (c == '#') c = static_cast<char>('0' + rng.Below(10));
  }
  return s;
}

std::string Canonical(std::string_view formatted) {
  std::string e164 = "+";
  for (char c : formatted) {
    if (c >= '0' && c <= '9') e164 += c;
  }
  return e164;
}

// ASCII folding for mail addresses: å -> a, ø -> o, ü -> u, ... (what IT departments do).
std::string MailPart(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kFold[] = {
      {"å", "a"},  {"ä", "a"}, {"á", "a"}, {"à", "a"}, {"ö", "o"}, {"ø", "o"}, {"ó", "o"},
      {"ü", "u"},  {"ú", "u"}, {"é", "e"}, {"è", "e"}, {"ç", "c"}, {"ñ", "n"}, {"í", "i"},
      {"ß", "ss"}, {"ł", "l"}, {"ś", "s"}, {"ź", "z"}, {"ż", "z"}, {"ą", "a"}, {"ę", "e"},
      {"ń", "n"},  {"ć", "c"}, {"Å", "a"}, {"Ä", "a"}, {"Ö", "o"}, {"Ø", "o"}, {"Ü", "u"},
      {"É", "e"},  {"Ł", "l"}, {"Ś", "s"}, {"Ż", "z"}, {"Ä", "a"}};
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    bool folded = false;
    for (const auto& [from, to] : kFold) {
      if (name.substr(i, from.size()) == from) {
        out += to;
        i += from.size();
        folded = true;
        break;
      }
    }
    if (folded) continue;
    const char c = name[i++];
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    }
  }
  return out;
}

std::string Guid(uint64_t seed, size_t i) {
  const uint64_t a = SplitMix(seed ^ SplitMix(i * 2 + 1));
  const uint64_t b = SplitMix(a ^ i);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Base64(const unsigned char* data, size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// AD stores objectGUID as 16 bytes with the first three groups little-endian.
std::string GuidBytesBase64(const std::string& guid) {
  unsigned char b[16];
  std::string hex;
  for (char c : guid) {
    if (c != '-') hex += c;
  }
  for (int k = 0; k < 16; ++k)
    b[k] = static_cast<unsigned char>(std::stoi(hex.substr(k * 2, 2), nullptr, 16));
  unsigned char le[16] = {b[3], b[2], b[1],  b[0],  b[5],  b[4],  b[7],  b[6],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]};
  return Base64(le, 16);
}

}  // namespace

bool DirectoryGenerator::Present(size_t i) const {
  if (i >= End()) return false;
  if (!options_.drop_department.empty() && User(i).department == options_.drop_department) {
    return false;
  }
  for (int v = 2; v <= options_.version; ++v) {
    Rng rng(options_.seed, i, 0x1ea7e000 + v);
    if (i < options_.users && rng.Chance(options_.leave_rate)) return false;
  }
  return true;
}

size_t DirectoryGenerator::End() const {
  // Each version adds as many joiners as the leave rate removes.
  const double joiners = static_cast<double>(options_.users) * options_.leave_rate *
                         static_cast<double>(options_.version - 1);
  return options_.users + static_cast<size_t>(joiners);
}

GenUser DirectoryGenerator::User(size_t i) const {
  Rng rng(options_.seed, i, 0);
  const Country& c = kCountries[rng.Below(std::size(kCountries))];
  GenUser u;
  u.id = Guid(options_.seed, i);
  u.given_name = c.given[rng.Below(c.given.size())];
  u.surname = c.surname[rng.Below(c.surname.size())];
  u.display_name = u.given_name + " " + u.surname;
  // Unique local part: names repeat, the index does not.
  u.mail_nickname = MailPart(u.given_name) + "." + MailPart(u.surname) + std::to_string(i);
  u.upn = u.mail_nickname + "@contoso.example";
  // Mixed case, as people type it: matching must be case-insensitive (SPEC lessons).
  u.mail =
      MailPart(u.given_name) + "." + MailPart(u.surname) + std::to_string(i) + "@contoso.example";
  if (rng.Chance(0.5)) u.mail[0] = static_cast<char>(u.mail[0] - 'a' + 'A');
  u.city = c.city[rng.Below(3)];
  u.country = c.code;
  u.department = std::string(kDepartments[rng.Below(kDepartments.size())]);
  u.job_title = std::string(kTitles[rng.Below(kTitles.size())]);
  u.office = u.city + " " + std::to_string(1 + rng.Below(9));
  u.extension = std::to_string(1000 + (i % 9000));
  u.groups = {"All Phone Users", "Dept " + u.department};

  // Phones: valid numbers in several real-world formats; some national or broken ones.
  const std::string land = Expand(c.landline, rng);
  const std::string mob = Expand(c.mobile, rng);
  const size_t style = rng.Below(4);
  auto styled = [&](const std::string& n) {
    switch (style) {
      case 0:
        return Canonical(n);  // +4685...
      case 1:
        return n;  // +46 8 5...
      case 2: {
        std::string d = n;  // +46-8-5...
        for (char& ch : d) {
          if (ch == ' ') ch = '-';
        }
        return d;
      }
      default: {
        std::string d = n;  // +46 (8) 5...: parentheses around the area code
        const size_t sp1 = d.find(' ');
        const size_t sp2 = d.find(' ', sp1 + 1);
        if (sp1 != std::string::npos && sp2 != std::string::npos) {
          d = d.substr(0, sp1 + 1) + "(" + d.substr(sp1 + 1, sp2 - sp1 - 1) + ")" + d.substr(sp2);
        }
        return d;
      }
    }
  };
  if (rng.Chance(0.85)) {
    u.business_phone = styled(land);
    u.business_e164 = Canonical(land);
  }
  if (rng.Chance(0.7)) {
    u.mobile_phone = styled(mob);
    u.mobile_e164 = Canonical(mob);
  }
  if (rng.Chance(options_.national_format_rate)) {
    u.business_phone = Expand(c.national_prefix, rng);  // no country code: strict rejects
    u.business_e164.clear();
  }
  if (rng.Chance(options_.invalid_phone_rate)) {
    u.mobile_phone = Canonical(mob).substr(0, 6);  // too short to be a number anywhere
    u.mobile_e164.clear();
  }
  if (rng.Chance(options_.missing_name_rate)) u.surname.clear();
  if (rng.Chance(options_.duplicate_email_rate) && i > 0) {
    // Someone copied a colleague's address into this account.
    GenOptions base = options_;
    base.duplicate_email_rate = 0;
    u.mail = DirectoryGenerator(base).User(i - 1).mail;
  }
  u.enabled = !rng.Chance(options_.disabled_rate);
  u.guest = rng.Chance(options_.guest_rate);

  // Later versions: some users change title, department or phone.
  for (int v = 2; v <= options_.version; ++v) {
    Rng change(options_.seed, i, 0xc4a46e00 + v);
    if (!change.Chance(options_.change_rate)) continue;
    switch (change.Below(3)) {
      case 0:
        u.job_title = "Senior " + u.job_title;
        break;
      case 1:
        u.department = std::string(kDepartments[change.Below(kDepartments.size())]);
        u.groups[1] = "Dept " + u.department;
        break;
      default: {
        const std::string n = Expand(c.mobile, change);
        u.mobile_phone = Canonical(n);
        u.mobile_e164 = Canonical(n);
      }
    }
  }
  return u;
}

void WriteGraphJson(const DirectoryGenerator& gen, std::ostream& out) {
  out << "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#users\",\"value\":[";
  bool first = true;
  std::string buf;
  for (size_t i = 0; i < gen.End(); ++i) {
    if (!gen.Present(i)) continue;
    const GenUser u = gen.User(i);
    buf.clear();
    buf += first ? "\n" : ",\n";
    first = false;
    buf += "{\"id\":\"" + u.id + "\",\"accountEnabled\":" + (u.enabled ? "true" : "false");
    auto field = [&](const char* name, const std::string& v) {
      buf += ",\"";
      buf += name;
      buf += "\":";
      if (v.empty()) {
        buf += "null";
      } else {
        buf += "\"" + JsonEscape(v) + "\"";
      }
    };
    field("displayName", u.display_name);
    field("givenName", u.given_name);
    field("surname", u.surname);
    field("mail", u.mail);
    field("mailNickname", u.mail_nickname);
    field("userPrincipalName", u.upn);
    buf += ",\"businessPhones\":[";
    if (!u.business_phone.empty()) buf += "\"" + JsonEscape(u.business_phone) + "\"";
    buf += "]";
    field("mobilePhone", u.mobile_phone);
    field("department", u.department);
    field("jobTitle", u.job_title);
    field("city", u.city);
    field("country", u.country);
    field("officeLocation", u.office);
    buf += ",\"userType\":\"";
    buf += u.guest ? "Guest" : "Member";
    buf += "\",\"memberOf\":[";
    for (size_t g = 0; g < u.groups.size(); ++g) {
      if (g != 0) buf += ",";
      buf += "{\"@odata.type\":\"#microsoft.graph.group\",\"id\":\"" +
             Guid(std::hash<std::string>{}(u.groups[g]), 0) + "\",\"displayName\":\"" +
             JsonEscape(u.groups[g]) + "\"}";
    }
    buf += "]}";
    out << buf;
  }
  out << "\n]}\n";
}

void WriteCsv(const DirectoryGenerator& gen, std::ostream& out) {
  out << "objectGUID,sAMAccountName,givenName,sn,displayName,mail,userPrincipalName,"
         "telephoneNumber,mobile,ipPhone,department,title,l,c,accountEnabled,memberOf\n";
  for (size_t i = 0; i < gen.End(); ++i) {
    if (!gen.Present(i)) continue;
    const GenUser u = gen.User(i);
    std::string groups;
    for (const auto& g : u.groups) groups += (groups.empty() ? "" : "|") + g;
    out << u.id << ',' << CsvField(u.mail_nickname) << ',' << CsvField(u.given_name) << ','
        << CsvField(u.surname) << ',' << CsvField(u.display_name) << ',' << CsvField(u.mail) << ','
        << CsvField(u.upn) << ',' << CsvField(u.business_phone) << ',' << CsvField(u.mobile_phone)
        << ',' << u.extension << ',' << CsvField(u.department) << ',' << CsvField(u.job_title)
        << ',' << CsvField(u.city) << ',' << u.country << ',' << (u.enabled ? "true" : "false")
        << ',' << CsvField(groups) << '\n';
  }
}

void WriteLdif(const DirectoryGenerator& gen, std::ostream& out) {
  out << "version: 1\n";
  for (size_t i = 0; i < gen.End(); ++i) {
    if (!gen.Present(i)) continue;
    const GenUser u = gen.User(i);
    out << "\ndn: CN=" << u.display_name << ",OU=Users,DC=contoso,DC=example\n"
        << "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n"
        << "objectClass: user\n"
        << "objectGUID:: " << GuidBytesBase64(u.id) << "\n"
        << "sAMAccountName: " << u.mail_nickname << "\n";
    auto attr = [&](const char* name, const std::string& v) {
      if (v.empty()) return;
      bool plain = true;
      for (unsigned char ch : v) plain = plain && ch < 0x80;
      if (plain) {
        out << name << ": " << v << "\n";
      } else {
        out << name << ":: " << Base64(reinterpret_cast<const unsigned char*>(v.data()), v.size())
            << "\n";
      }
    };
    attr("givenName", u.given_name);
    attr("sn", u.surname);
    attr("displayName", u.display_name);
    attr("mail", u.mail);
    attr("userPrincipalName", u.upn);
    attr("telephoneNumber", u.business_phone);
    attr("mobile", u.mobile_phone);
    attr("ipPhone", u.extension);
    attr("department", u.department);
    attr("title", u.job_title);
    attr("l", u.city);
    attr("c", u.country);
    out << "userAccountControl: " << (u.enabled ? 512 : 514) << "\n";
    for (const auto& g : u.groups) attr("memberOf", "CN=" + g + ",OU=Groups,DC=contoso,DC=example");
  }
}

}  // namespace telsync::bench
