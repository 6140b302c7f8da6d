#include "sources/ldap/ldap_query.h"

#include <gtest/gtest.h>

#include "sources/file/file_formats.h"
#include "sources/ldap/ldap_source.h"

namespace telsync::ldap {
namespace {

TEST(LdapQueryTest, EscapesFilterValuesPerRfc4515) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"*)(uid=*", "\\2a\\29\\28uid=\\2a"},
      {"a\\b", "a\\5cb"},
      {std::string("nul\0x", 5), "nul\\00x"},
      {"Smith, Anna (HR)", "Smith, Anna \\28HR\\29"},
      {"", ""},
      {"åäö", "åäö"},  // UTF-8 passes as is
  };
  for (const auto& c : cases) EXPECT_EQ(EscapeFilterValue(c.in), c.out) << c.in;
}

TEST(LdapQueryTest, InChainGroupDnIsEscapedInTheFilter) {
  UserFilterParts parts;
  parts.kind = ServerKind::kActiveDirectory;
  parts.in_chain_group_dn = "CN=Phone*)(cn=*,OU=Groups,DC=x";
  const std::string filter = BuildUserFilter(parts);
  EXPECT_EQ(filter,
            "(&(objectCategory=person)(objectClass=user)"
            "(memberOf:1.2.840.113556.1.4.1941:=CN=Phone\\2a\\29\\28cn=\\2a,OU=Groups,DC=x))");
}

TEST(LdapQueryTest, BuildsFiltersPerServerKind) {
  UserFilterParts ol;
  EXPECT_EQ(BuildUserFilter(ol), "(&(objectClass=person))");
  ol.extra = "(departmentNumber=42)";
  ol.changed_since = "20261124120000Z";
  EXPECT_EQ(BuildUserFilter(ol),
            "(&(objectClass=person)(entryCSN>=20261124120000Z)(!(entryCSN=20261124120000Z))"
            "(departmentNumber=42))");
  UserFilterParts ad;
  ad.kind = ServerKind::kActiveDirectory;
  ad.changed_since = "4711";
  EXPECT_EQ(BuildUserFilter(ad), "(&(objectCategory=person)(objectClass=user)(uSNChanged>=4711))");
}

TEST(LdapQueryTest, IdFilterFindsOneUserBySourceId) {
  // The GUID string reads Data1-3 little-endian: its bytes on the wire are reordered.
  const std::string guid = "00112233-4455-6677-8899-aabbccddeeff";
  EXPECT_EQ(IdFilter(ServerKind::kActiveDirectory, guid),
            "(objectGUID=\\33\\22\\11\\00\\55\\44\\77\\66\\88\\99\\aa\\bb\\cc\\dd\\ee\\ff)");
  // Round trip through the reader's own decoding of the 16 bytes.
  const std::string bytes("\x33\x22\x11\x00\x55\x44\x77\x66\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
  EXPECT_EQ(file_formats::GuidFromBytes(bytes), guid);
  EXPECT_EQ(IdFilter(ServerKind::kActiveDirectory, "00112233-4455-6677-8899-AABBCCDDEEFF"),
            IdFilter(ServerKind::kActiveDirectory, guid));
  EXPECT_EQ(IdFilter(ServerKind::kOther, guid), "(entryUUID=" + guid + ")");
  // Not a GUID: no filter, so nothing of the admin's input reaches the server.
  EXPECT_EQ(IdFilter(ServerKind::kOther, "*)(uid=*"), std::nullopt);
  EXPECT_EQ(IdFilter(ServerKind::kActiveDirectory, "00112233-4455-6677-8899-aabbccddeefg"),
            std::nullopt);
  EXPECT_EQ(IdFilter(ServerKind::kOther, "001122334455-6677-8899-aabbccddeeff0"), std::nullopt);
}

TEST(LdapQueryTest, NormalizesAndComparesDns) {
  EXPECT_EQ(NormalizeDn("CN=Anna Berg , OU=Staff,DC=Example, DC=com"),
            "cn=anna berg,ou=staff,dc=example,dc=com");
  EXPECT_TRUE(IsAtOrBelow("cn=a,OU=Staff,dc=x", "ou=staff,DC=x"));
  EXPECT_TRUE(IsAtOrBelow("ou=staff,dc=x", "OU=Staff,DC=x"));
  EXPECT_FALSE(IsAtOrBelow("cn=a,ou=otherstaff,dc=x", "ou=staff,dc=x"));  // not a whole RDN
  EXPECT_FALSE(IsAtOrBelow("cn=a\\,ou=staff,dc=x", "ou=staff,dc=x"));     // escaped comma
  EXPECT_FALSE(IsAtOrBelow("dc=x", "ou=staff,dc=x"));
  EXPECT_EQ(ParentDn("cn=a\\,b,ou=x,dc=y"), "ou=x,dc=y");
  EXPECT_EQ(ParentDn("dc=y"), "");
}

TEST(LdapQueryTest, ParsesRangeOptions) {
  auto r = ParseRange("member;range=0-1499");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->attribute, "member");
  EXPECT_EQ(r->low, 0u);
  EXPECT_EQ(r->high, 1499u);
  EXPECT_FALSE(r->last);
  r = ParseRange("member;Range=1500-*");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->low, 1500u);
  EXPECT_TRUE(r->last);
  r = ParseRange("member;lang-sv;range=3-4");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->high, 4u);
  for (const char* bad : {"member", "member;range=", "member;range=a-b", "member;range=5-1",
                          "member;range=1", ";range=0-*", "cn;lang-sv"}) {
    EXPECT_FALSE(ParseRange(bad).has_value()) << bad;
  }
}

TEST(LdapQueryTest, CursorsRoundTripAndRejectGarbage) {
  Cursor ad;
  ad.kind = ServerKind::kActiveDirectory;
  ad.url = "ldaps://dc1.example.com:636";
  ad.invocation_id = "0b0c7a3e-1111-2222-3333-444455556666";
  ad.usn = 123456;
  auto back = DecodeCursor(EncodeCursor(ad));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::kActiveDirectory);
  EXPECT_EQ(back->url, ad.url);
  EXPECT_EQ(back->invocation_id, ad.invocation_id);
  EXPECT_EQ(back->usn, 123456u);
  Cursor ol;
  ol.url = "ldap://127.0.0.1:3890";
  ol.timestamp = "20261124123000Z";
  back = DecodeCursor(EncodeCursor(ol));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, ServerKind::kOther);
  EXPECT_EQ(back->timestamp, "20261124123000Z");
  for (const char* bad :
       {"", "garbage", "ad1|ldap://x|inv|notanumber", "ad1||inv|5", "ol1|ldap://x|2026",
        "ol1|ldap://x|2026112412300xZ", "ol1|ldap://x|20261124123000", "xx1|a|b"}) {
    EXPECT_FALSE(DecodeCursor(bad).has_value()) << bad;
  }
}

TEST(LdapQueryTest, LaterTimestamp) {
  EXPECT_EQ(LaterTimestamp("", "20260101000000Z"), "20260101000000Z");
  EXPECT_EQ(LaterTimestamp("20260101000001Z", "20260101000000Z"), "20260101000001Z");
  EXPECT_EQ(LaterTimestamp("20260101000000Z", ""), "20260101000000Z");
}

TEST(LdapQueryTest, ExplainsBindErrorsInPlainWords) {
  const std::string url = "ldaps://dc1:636";
  const std::string ad =
      "80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data ";
  EXPECT_EQ(AdDataCode(ad + "775, v893"), "775");
  EXPECT_EQ(AdDataCode("no code"), "");
  EXPECT_NE(ExplainBindError(49, ad + "775, v893", url).find("locked out"), std::string::npos);
  EXPECT_NE(ExplainBindError(49, ad + "532, v893", url).find("expired"), std::string::npos);
  EXPECT_NE(ExplainBindError(49, ad + "773, v893", url).find("must change"), std::string::npos);
  EXPECT_NE(ExplainBindError(49, ad + "52e, v893", url).find("bad credentials"), std::string::npos);
  EXPECT_NE(ExplainBindError(49, "", url).find("bad credentials"), std::string::npos);
  const std::string tls = ExplainBindError(8, "BindSimple: Transport encryption required.", url);
  EXPECT_NE(tls.find("ldaps://"), std::string::npos);
  EXPECT_NE(tls.find("start_tls"), std::string::npos);
  EXPECT_NE(ExplainConnectError(-1, "", "ldap://h:1", false).find("cannot reach"),
            std::string::npos);
  EXPECT_NE(ExplainConnectError(-1, "error:0A000086:SSL routines::certificate verify failed",
                                "ldaps://h", true)
                .find("TLS failure"),
            std::string::npos);
}

TEST(LdapQueryTest, Utf8Check) {
  EXPECT_TRUE(IsValidUtf8("Åsa Öberg"));
  EXPECT_FALSE(IsValidUtf8(std::string("\x01\x05\x00\x00\xff", 5)));
  EXPECT_FALSE(IsValidUtf8("\xc3"));  // cut off
  EXPECT_FALSE(IsValidUtf8(std::string("a\0b", 3)));
}

TEST(LdapSourceTest, UnreachableServerIsAnIncompleteReadInPlainWords) {
  LdapSourceConfig config;
  config.urls = {"ldap://127.0.0.1:1"};  // nothing listens on port 1
  config.user_search_dn = "ou=people,dc=example,dc=com";
  config.bind_dn = "cn=svc,dc=example,dc=com";
  config.bind_password = Secret("s3cret-value");
  LdapSource source(config);
  EXPECT_EQ(source.Describe(), "ldap:ldap://127.0.0.1:1");
  size_t objects = 0;
  const ReadResult read = source.Read(
      {}, [&](SourceObject&&) { ++objects; }, [](const auto&, const auto&) {});
  EXPECT_FALSE(read.complete);
  EXPECT_EQ(objects, 0u);
  EXPECT_NE(read.ErrorMessage().find("cannot reach"), std::string::npos) << read.ErrorMessage();
  EXPECT_EQ(read.ErrorMessage().find("s3cret-value"), std::string::npos);
  const ConnectionReport report = source.TestConnection();
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.message.find("ldap://127.0.0.1:1"), std::string::npos) << report.message;
}

}  // namespace
}  // namespace telsync::ldap
