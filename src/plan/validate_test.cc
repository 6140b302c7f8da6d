#include "plan/validate.h"

#include <gtest/gtest.h>

namespace telsync {
namespace {

MappedUser Anna() {
  MappedUser m;
  m.source_key = "id-anna";
  m.fields.Set(Field::kUsername, "anna");
  m.fields.Set(Field::kFirstName, "Anna");
  m.fields.Set(Field::kLastName, "Andersson");
  m.fields.Set(Field::kEmail, "anna@example.se");
  m.fields.Set(Field::kLandline, "+46 8 123 456 78");
  m.upn = "anna@corp.example.se";
  m.source_groups = {"Sales"};
  m.custom = {{"cost_center", "42"}};
  return m;
}

TEST(ValidatorTest, NormalisesAValidUser) {
  Profile profile;
  profile.rules.push_back({"group", "Sales", "", "sales"});
  MappedUser m = Anna();
  m.fields.Set(Field::kEmail, "  Anna@Example.SE ");
  m.fields.Set(Field::kMobile, "+46 70-123 45 67");
  m.enabled = false;
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const PbxUser& u = r->user;
  EXPECT_EQ(u.fields.Get(Field::kEmail), "anna@example.se");
  EXPECT_EQ(u.fields.Get(Field::kLandline), "+46812345678");
  EXPECT_EQ(u.fields.Get(Field::kMobile), "+46701234567");
  EXPECT_EQ(u.fields.Get(Field::kDisplayName), "Anna Andersson");
  EXPECT_EQ(u.source_key, "id-anna");
  EXPECT_EQ(u.id, 0);
  EXPECT_FALSE(r->enabled);
  EXPECT_EQ(r->upn(), "anna@corp.example.se");
  EXPECT_EQ(r->source_groups(), std::vector<std::string>{"Sales"});
  ASSERT_EQ(u.custom.size(), 1u);
  EXPECT_EQ(u.custom[0].second, "42");
}

TEST(ValidatorTest, DropsWhatNoRuleOrMatchNeeds) {
  Profile profile;  // no rule reads groups
  MappedUser m = Anna();
  m.upn = "ANNA@example.se";  // the e-mail in other case: no extra match key
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->source_groups().empty());
  EXPECT_EQ(r->upn(), "");
}

TEST(ValidatorTest, RejectsAnOverlongField) {
  Profile profile;
  MappedUser m = Anna();
  m.fields.Set(Field::kJobTitle, std::string(2000, 'x'));
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "job_title is longer than 1024 bytes");
}

TEST(DesiredUserTest, CopiesKeepTheirOwnUpnAndGroups) {
  DesiredUser a;
  EXPECT_EQ(a.upn(), "");
  EXPECT_TRUE(a.source_groups().empty());
  a.set_upn("a@corp.example");
  a.set_source_groups({"Sales"});
  DesiredUser b = a;
  b.set_upn("b@corp.example");
  EXPECT_EQ(a.upn(), "a@corp.example");
  EXPECT_EQ(b.upn(), "b@corp.example");
  EXPECT_EQ(b.source_groups(), std::vector<std::string>{"Sales"});
}

TEST(ValidatorTest, KeepsAMappedDisplayName) {
  Profile profile;
  MappedUser m = Anna();
  m.fields.Set(Field::kDisplayName, "Anna A. (Sales)");
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->user.fields.Get(Field::kDisplayName), "Anna A. (Sales)");
}

struct RejectCase {
  const char* name;
  Field field;
  const char* value;
  const char* reason;
  int extension_length = 0;
};

TEST(ValidatorTest, RejectsWithAReasonNamingTheField) {
  const RejectCase cases[] = {
      {"bad email", Field::kEmail, "anna.example.se",
       "email \"anna.example.se\" is not an e-mail address"},
      {"two @", Field::kEmail, "a@b@c.se", "email \"a@b@c.se\" is not an e-mail address"},
      {"space in email", Field::kEmail, "an na@x.se",
       "email \"an na@x.se\" is not an e-mail address"},
      {"no dot in domain", Field::kEmail, "anna@localhost",
       "email \"anna@localhost\" is not an e-mail address"},
      {"missing email", Field::kEmail, "", "email is required"},
      {"missing first name", Field::kFirstName, " ", "first_name is required"},
      {"missing last name", Field::kLastName, "", "last_name is required"},
      {"missing phone", Field::kLandline, "", "a landline or a mobile is required"},
      {"short mobile", Field::kMobile, "+46 70", "mobile \"+46 70\""},
      {"national landline", Field::kLandline, "08-123 45 67",
       "landline \"08-123 45 67\" has no country code"},
      {"letters in mobile", Field::kMobile, "+46 70 CALL ME",
       "mobile \"+46 70 CALL ME\" contains letters"},
      {"extension letters", Field::kExtension, "12a", "extension \"12a\" must be digits"},
      {"extension length", Field::kExtension, "123", "extension \"123\" must have 4 digits", 4},
      {"username space", Field::kUsername, "anna a", "username \"anna a\" must not contain spaces"},
  };
  for (const RejectCase& c : cases) {
    Profile profile;
    profile.validation.extension_length = c.extension_length;
    MappedUser m = Anna();
    m.fields.Set(c.field, c.value);
    const Result<DesiredUser> r = Validator(profile).Validate(m);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid) << c.name;
    EXPECT_NE(r.error().message.find(c.reason), std::string::npos)
        << c.name << ": " << r.error().message;
  }
}

TEST(ValidatorTest, MobileAloneSatisfiesPhoneRequirement) {
  Profile profile;
  MappedUser m = Anna();
  m.fields.Set(Field::kLandline, "");
  m.fields.Set(Field::kMobile, "+46701234567");
  EXPECT_TRUE(Validator(profile).Validate(m).ok());
}

TEST(ValidatorTest, RequiredListIsConfigurableIncludingCustomFields) {
  Profile profile;
  profile.validation.required = {"username", "cost_center", "department"};
  MappedUser m = Anna();
  m.fields.Set(Field::kLandline, "");
  m.fields.Set(Field::kEmail, "");
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "department is required");
  m.fields.Set(Field::kDepartment, "Sales");
  m.custom = {{"cost_center", ""}};
  const Result<DesiredUser> r2 = Validator(profile).Validate(m);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().message, "cost_center is required");
}

TEST(ValidatorTest, LenientModeUsesDefaultRegion) {
  Profile profile;
  profile.validation.phone_mode = PhoneMode::kLenient;
  profile.validation.default_region = "SE";
  MappedUser m = Anna();
  m.fields.Set(Field::kLandline, "08-123 456 78");
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->user.fields.Get(Field::kLandline), "+46812345678");
}

TEST(ValidatorTest, ExtensionOfRightLengthPasses) {
  Profile profile;
  profile.validation.extension_length = 4;
  MappedUser m = Anna();
  m.fields.Set(Field::kExtension, "2001");
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->user.fields.Get(Field::kExtension), "2001");
}

// Issue 14 item 7: nothing that is not text is stored, and every user has a username.
TEST(ValidatorTest, RejectsBytesThatAreNotUtf8NamingTheFieldAndByte) {
  Profile profile;
  MappedUser m = Anna();
  m.fields.Set(Field::kDepartment, std::string("Sa\xff\xfe", 4));
  Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "department is not valid UTF-8 at byte 3");
  m = Anna();
  m.custom = {{"cost_center", std::string("4\0002", 3)}};
  r = Validator(profile).Validate(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cost_center is not valid UTF-8 at byte 2");
  m = Anna();
  m.fields.Set(Field::kCity, "Malmö");  // UTF-8 is text
  EXPECT_TRUE(Validator(profile).Validate(m).ok());
}

TEST(ValidatorTest, AnEmptyUsernameIsAnError) {
  Profile profile;
  MappedUser m = Anna();
  m.fields.Set(Field::kUsername, "  ");
  const Result<DesiredUser> r = Validator(profile).Validate(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("username is empty"), std::string::npos) << r.error().message;
}

// `telsync explain`: each check with pass or fail, the phone's libphonenumber result, and
// the same outcome as without a trace.
TEST(ValidatorTest, TraceRecordsEachCheckInOrder) {
  Profile profile;
  profile.validation.required = {"email", "phone"};
  std::vector<ExplainStep> trace;
  const Result<DesiredUser> r = Validator(profile).Validate(Anna(), &trace);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> order;
  for (const auto& s : trace) {
    EXPECT_EQ(s.outcome, "pass") << s.what << ": " << s.detail;
    order.push_back(s.what);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"utf-8", "length", "required", "required", "email",
                                             "phone", "username"}));
  EXPECT_EQ(trace[5].detail,
            "landline \"+46 8 123 456 78\" parsed by libphonenumber as +46812345678");

  MappedUser bad = Anna();
  bad.fields.Set(Field::kMobile, "070-12");
  trace.clear();
  const Result<DesiredUser> failed = Validator(profile).Validate(bad, &trace);
  ASSERT_FALSE(failed.ok());
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace.back().what, "phone");
  EXPECT_EQ(trace.back().outcome, "fail");
  EXPECT_EQ(trace.back().detail, failed.error().message);
  EXPECT_EQ(Validator(profile).Validate(bad).error().message, failed.error().message);
}

}  // namespace
}  // namespace telsync
