#include "mapping/expression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace telsync {
namespace {

SourceObject TestUser() {
  SourceObject o;
  o.id = "u1";
  o.Add("givenName", "Åsa");
  o.Add("sn", "Örjansson");
  o.Add("displayName", " \t Åsa Örjansson\xC2\xA0");
  o.Add("mail", "Asa.Orjansson@Example.COM");
  o.Add("mobile", "070-123 45 67");
  o.Add("telephoneNumber", "08-123 45 67");
  o.Add("businessPhones", "+46 8 123 45 67");
  o.Add("businessPhones", "+46 8 765 43 21");
  o.Add("proxyAddresses", "SMTP:a@x.se");
  o.Add("proxyAddresses", "smtp:b@x.se");
  o.Add("pager", "");
  o.Add("homePhone", "+46 8 105 780 87 x1073");
  o.Add("otherTelephone", "+1 425 555 0122 ext. 1023");
  o.Add("otherTelephone", "tel:+1-425-555-0122;ext=77");
  o.Add("otherTelephone", "+1 425 555 0123");
  o.Add("ipPhone", "2001");
  o.Add("department", "Support");
  o.Add("msDS-cloudExtensionAttribute1", "ext-1");
  o.Add("name.givenName", "Åsa");
  o.groups = {"Sales", "Stockholm"};
  return o;
}

struct EvalCase {
  std::string text;
  Value want;
};

class ExpressionEvalTest : public ::testing::TestWithParam<EvalCase> {};

TEST_P(ExpressionEvalTest, Evaluates) {
  const EvalCase& c = GetParam();
  auto e = Expression::Parse(c.text);
  ASSERT_TRUE(e.ok()) << c.text << ": " << e.error().message;
  EXPECT_EQ(e->Evaluate(TestUser()), c.want) << c.text;
  EXPECT_EQ(e->EvaluateScalar(TestUser()), c.want.empty() ? "" : c.want.front()) << c.text;
  EXPECT_EQ(e->text(), c.text);
}

INSTANTIATE_TEST_SUITE_P(
    All, ExpressionEvalTest,
    ::testing::Values(
        // Attributes and constants.
        EvalCase{"{givenName}", {"Åsa"}}, EvalCase{"{GIVENNAME}", {"Åsa"}},
        EvalCase{"{ givenName }", {"Åsa"}}, EvalCase{"{missing}", {}}, EvalCase{"{pager}", {""}},
        EvalCase{"{businessPhones}", {"+46 8 123 45 67", "+46 8 765 43 21"}},
        EvalCase{"{msDS-cloudExtensionAttribute1}", {"ext-1"}},
        EvalCase{"{name.givenName}", {"Åsa"}},
        EvalCase{"{urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department}", {}},
        EvalCase{R"("text")", {"text"}}, EvalCase{"'text'", {"text"}},
        EvalCase{R"('it\'s')", {"it's"}}, EvalCase{R"("say \"hi\"")", {"say \"hi\""}},
        EvalCase{R"("a\\b")", {"a\\b"}}, EvalCase{R"("\d+")", {"\\d+"}}, EvalCase{"42", {"42"}},
        EvalCase{R"("")", {""}},
        // {memberOf} falls back to the groups.
        EvalCase{"{memberOf}", {"Sales", "Stockholm"}},
        // Concatenation: no implicit spaces; absent templates are absent.
        EvalCase{R"({givenName} " " {sn})", {"Åsa Örjansson"}},
        EvalCase{"{givenName}{sn}", {"ÅsaÖrjansson"}},
        EvalCase{"{givenName}   {sn}", {"ÅsaÖrjansson"}},
        EvalCase{R"({missing} " " {missing2})", {}}, EvalCase{R"({pager} " " {missing2})", {}},
        EvalCase{R"({givenName} " " {missing})", {"Åsa "}}, EvalCase{R"("a" "b" 7)", {"ab7"}},
        EvalCase{R"("+" {businessPhones})", {"++46 8 123 45 67"}},
        EvalCase{"left({givenName}, 1) left({sn}, 1)", {"ÅÖ"}},
        // coalesce
        EvalCase{"coalesce({missing}, {pager}, {sn})", {"Örjansson"}},
        EvalCase{"coalesce({missing})", {}},
        EvalCase{R"(coalesce({missing}, "fallback"))", {"fallback"}},
        EvalCase{"coalesce({businessPhones}, {sn})", {"+46 8 123 45 67", "+46 8 765 43 21"}},
        // lower / upper, Latin-1 letters included; ×, ÷, ß and ÿ have no pair here.
        EvalCase{"lower({givenName})", {"åsa"}}, EvalCase{"upper({sn})", {"ÖRJANSSON"}},
        EvalCase{R"(lower("ÀÞ×ÉÖ ABC"))", {"àþ×éö abc"}},
        EvalCase{R"(upper("àþ÷éöÿß abc"))", {"ÀÞ÷ÉÖÿß ABC"}},
        EvalCase{"lower({proxyAddresses})", {"smtp:a@x.se", "smtp:b@x.se"}},
        EvalCase{"Lower({givenName})", {"åsa"}}, EvalCase{"lower({missing})", {}},
        // trim
        EvalCase{"trim({displayName})", {"Åsa Örjansson"}},
        EvalCase{"trim(\"\xC2\xA0 \t x y \n\")", {"x y"}}, EvalCase{R"(trim("  "))", {""}},
        // replace
        EvalCase{R"(replace({mail}, "@.*$", ""))", {"Asa.Orjansson"}},
        EvalCase{R"(replace({sn}, "(\w+)son$", "$1dotter"))", {"Örjansdotter"}},
        EvalCase{R"(replace({proxyAddresses}, "^smtp:", ""))", {"SMTP:a@x.se", "b@x.se"}},
        EvalCase{R"(replace({telephoneNumber}, "\s", ""))", {"08-1234567"}},
        EvalCase{R"(replace({missing}, "a", "b"))", {}},
        // Breadth-first matching: nested repetition stays fast.
        EvalCase{R"(replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", "(a+)+b", "X"))",
                 {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"}},
        EvalCase{R"x(replace("0812345", "(\d{2})(\d+)", "$1 $2"))x", {"08 12345"}},
        // "L.*$" patterns take a fast path that must agree with the regex.
        EvalCase{R"(replace("a@b@c", "@.*$", ""))", {"a"}},
        EvalCase{R"(replace("no at", "@.*$", ""))", {"no at"}},
        EvalCase{R"(replace("@", "@.*$", "x"))", {"x"}},
        EvalCase{"replace(\"a@b\nc@d\", \"@.*$\", \"\")", {"a@b\nc"}},
        EvalCase{"replace(\"a@b\nc@d\", \"@.*\", \"#\")", {"a#\nc#"}},
        EvalCase{R"(replace("xxabyy", "ab.*", "X"))", {"xxX"}},
        EvalCase{R"(replace("a@b", "@.*$", "$$"))", {"a$"}},
        EvalCase{R"(replace("Åsa@x", "@.*$", ""))", {"Åsa"}},
        // digits
        EvalCase{"digits({telephoneNumber})", {"081234567"}},
        EvalCase{"digits({businessPhones})", {"4681234567", "4687654321"}},
        // e164
        EvalCase{"e164({mobile})", {"+46701234567"}},
        EvalCase{"e164({telephoneNumber})", {"+4681234567"}},
        EvalCase{R"(e164("020 7946 0958", "gb"))", {"+442079460958"}},
        EvalCase{"e164({businessPhones})", {"+4681234567", "+4687654321"}},
        EvalCase{R"(e164("12"))", {}}, EvalCase{"e164({givenName})", {}},
        EvalCase{"e164({pager})", {}},
        // e164 of a number with an extension is the main number.
        EvalCase{"e164({homePhone})", {"+46810578087"}},
        EvalCase{"e164({otherTelephone})", {"+14255550122", "+14255550122", "+14255550123"}},
        // phone_extension: the extension's digits; absent without one or for a value that is
        // not a valid number (as e164), so coalesce falls back.
        EvalCase{"phone_extension({homePhone})", {"1073"}},
        EvalCase{"PHONE_EXTENSION({homePhone})", {"1073"}},
        EvalCase{"phone_extension({otherTelephone})", {"1023", "77"}},
        EvalCase{"phone_extension({telephoneNumber})", {}},
        EvalCase{R"(phone_extension("+46 70 x12"))", {}}, EvalCase{R"(phone_extension("x12"))", {}},
        EvalCase{"phone_extension({missing})", {}}, EvalCase{"phone_extension({pager})", {}},
        EvalCase{R"(phone_extension("020 7946 0958 x5", "GB"))", {"5"}},
        EvalCase{R"(phone_extension("020 7946 0958 x5"))", {}},  // not valid for SE
        EvalCase{"coalesce(phone_extension({telephoneNumber}), {ipPhone})", {"2001"}},
        EvalCase{"coalesce(phone_extension({homePhone}), {ipPhone})", {"1073"}},
        EvalCase{R"(phone_extension({homePhone}) "")", {"1073"}},
        EvalCase{R"("ext " phone_extension({telephoneNumber}))", {}},
        // left / right count code points
        EvalCase{"left({sn}, 3)", {"Örj"}}, EvalCase{"right({sn}, 4)", {"sson"}},
        EvalCase{R"(left("Åsa", 0))", {""}}, EvalCase{R"(right("Åsa", 10))", {"Åsa"}},
        EvalCase{R"(right("ÅÄÖ", 2))", {"ÄÖ"}}, EvalCase{R"(right("ÅÄÖ", 0))", {""}},
        EvalCase{"left({businessPhones}, 3)", {"+46", "+46"}},
        // join
        EvalCase{R"(join(", ", {businessPhones}, {missing}, {pager}, {department}))",
                 {"+46 8 123 45 67, +46 8 765 43 21, Support"}},
        EvalCase{R"(join("-", {missing}, {pager}))", {}},
        EvalCase{R"(join(";", {memberOf}))", {"Sales;Stockholm"}},
        // first
        EvalCase{"first({businessPhones})", {"+46 8 123 45 67"}}, EvalCase{"first({missing})", {}},
        // switch
        EvalCase{R"(switch({department}, "sales", "S", "SUPPORT", "T", "X"))", {"T"}},
        EvalCase{R"(switch({department}, "sales", "S", "X"))", {"X"}},
        EvalCase{R"(switch({missing}, "", "none", "some"))", {"none"}},
        EvalCase{R"(switch({givenName}, {missing}, "absent", "åSA", "ok", "no"))", {"ok"}},
        EvalCase{R"(switch({givenName}, "x", "y", {businessPhones}))",
                 {"+46 8 123 45 67", "+46 8 765 43 21"}},
        // Nesting.
        EvalCase{R"(lower(coalesce({mailNickname}, replace({mail}, "@.*$", ""))))",
                 {"asa.orjansson"}},
        EvalCase{R"(upper(left({givenName}, 1)) "." lower({sn}))", {"Å.örjansson"}}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(ExpressionTest, MemberOfAttributeWinsOverGroups) {
  SourceObject o;
  o.Add("memberOf", "CN=Sales,DC=example");
  o.groups = {"Sales"};
  auto e = Expression::Parse("{memberof}");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Evaluate(o), Value{"CN=Sales,DC=example"});
}

TEST(ExpressionTest, AttributesAreLowerCasedWithoutDuplicates) {
  auto e = Expression::Parse(
      R"(coalesce({Mail}, {mail}, lower({UserPrincipalName}), {MAIL}, {memberOf}) "x")");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Attributes(), (std::vector<std::string>{"mail", "userprincipalname", "memberof"}));
  auto constant = Expression::Parse(R"("x")");
  ASSERT_TRUE(constant.ok());
  EXPECT_TRUE(constant->Attributes().empty());
}

TEST(ExpressionTest, DefaultConstructedEvaluatesToAbsent) {
  Expression e;
  EXPECT_TRUE(e.Evaluate(TestUser()).empty());
  EXPECT_EQ(e.EvaluateScalar(TestUser()), "");
}

TEST(ExpressionTest, CopiesShareTheParsedTree) {
  auto e = Expression::Parse(R"(replace({mail}, "@.*", ""))");
  ASSERT_TRUE(e.ok());
  const Expression copy = *e;
  EXPECT_EQ(copy.EvaluateScalar(TestUser()), "Asa.Orjansson");
  EXPECT_EQ(copy.text(), e->text());
}

struct ErrorCase {
  std::string text;
  std::string want;  // the message, or its prefix when it ends with "..."
};

class ExpressionErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ExpressionErrorTest, Rejects) {
  const ErrorCase& c = GetParam();
  auto e = Expression::Parse(c.text);
  ASSERT_FALSE(e.ok()) << c.text;
  EXPECT_EQ(e.error().code, ErrorCode::kInvalid);
  const std::string& got = e.error().message;
  if (c.want.size() > 3 && c.want.substr(c.want.size() - 3) == "...") {
    EXPECT_EQ(got.substr(0, c.want.size() - 3), c.want.substr(0, c.want.size() - 3)) << c.text;
  } else {
    EXPECT_EQ(got, c.want) << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, ExpressionErrorTest,
    ::testing::Values(
        ErrorCase{"", "empty expression"}, ErrorCase{"  \t ", "empty expression"},
        ErrorCase{"lower({givenName}", "column 18: expected ')' after arguments of lower"},
        ErrorCase{"lower({a} {b}", "column 14: expected ')' after arguments of lower"},
        ErrorCase{"e165({mobile})", "column 1: unknown function 'e165'"},
        ErrorCase{R"(lower("abc)", "column 7: unterminated string"},
        ErrorCase{R"('abc\')", "column 1: unterminated string"},
        ErrorCase{R"("a" {abc)", "column 5: '{' without matching '}'"},
        ErrorCase{"left({sn})", "column 1: left expects 2 arguments, got 1"},
        ErrorCase{"lower()", "column 1: lower expects 1 argument, got 0"},
        ErrorCase{"coalesce()", "column 1: coalesce expects at least 1 argument, got 0"},
        ErrorCase{R"(x({a}) e164({a}, "SE", "x"))", "column 1: unknown function 'x'"},
        ErrorCase{R"("a" e164({a}, "SE", "x"))", "column 5: e164 expects 1 or 2 arguments, got 3"},
        ErrorCase{"switch({a}, \"x\")", "column 1: switch expects at least 3 arguments, got 2"},
        ErrorCase{R"(switch({a}, "x", "y", "z", "w"))",
                  "column 28: switch needs a default as last argument"},
        ErrorCase{R"(replace({a}, "(", ""))", "column 14: invalid regex: ..."},
        ErrorCase{R"(replace({a}, "(a)\1", ""))",
                  "column 14: invalid regex: back-references (\\1) are not supported"},
        ErrorCase{R"(replace({a}, "a{1000}{1000}", ""))",
                  "column 14: invalid regex: repetition counts too large"},
        ErrorCase{R"(replace({a}, {b}, ""))",
                  "column 14: replace expects a constant string as argument 2"},
        ErrorCase{R"(replace({a}, "x", {b}))",
                  "column 19: replace expects a constant string as argument 3"},
        ErrorCase{"{}", "column 1: empty attribute name in '{}'"},
        ErrorCase{"{given name}", "column 7: unexpected ' ' in attribute name"},
        ErrorCase{"{givenName$}", "column 11: unexpected '$' in attribute name"},
        ErrorCase{"givenName",
                  "column 1: unexpected word 'givenName' (write attributes as {givenName} and "
                  "text in quotes)"},
        ErrorCase{"lower {x}", "column 7: expected '(' after lower"},
        ErrorCase{"lower({a}))", "column 11: unexpected ')'"},
        ErrorCase{"{a}, {b}", "column 4: unexpected ','"},
        ErrorCase{"coalesce({a},,{b})", "column 14: expected an expression, found ','"},
        ErrorCase{"coalesce({a},)", "column 14: expected an expression, found ')'"},
        ErrorCase{"{a} # {b}", "column 5: unexpected '#'"},
        ErrorCase{R"("Å" § {b})", "column 5: unexpected '§'"},
        ErrorCase{"{a} \x01", "column 5: unexpected byte \\x01"},
        ErrorCase{R"(left({a}, "3"))", "column 11: left expects a whole number as argument 2"},
        ErrorCase{"left({a}, 99999999)", "column 11: number too large (at most 1000000)"},
        ErrorCase{R"(e164({a}, "SWE"))",
                  "column 11: e164 expects a two-letter region like \"SE\" as argument 2"},
        ErrorCase{R"(phone_extension({a}, {b}))",
                  "column 22: phone_extension expects a two-letter region like \"SE\" as "
                  "argument 2"},
        ErrorCase{"phone_extension()", "column 1: phone_extension expects 1 or 2 arguments, got 0"},
        ErrorCase{"phone_extension {a}", "column 17: expected '(' after phone_extension"},
        ErrorCase{"(", "column 1: unexpected '('"},
        ErrorCase{std::string(70, 'x') + "", "column 1: unexpected word '" + std::string(70, 'x') +
                                                 "' (write attributes as {" + std::string(70, 'x') +
                                                 "} and text in quotes)"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(ExpressionTest, RejectsDeepNesting) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "lower(";
  text += "{a}";
  for (int i = 0; i < 100; ++i) text += ")";
  auto e = Expression::Parse(text);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "column 385: expression nested more than 64 calls deep");

  std::string ok_text;
  for (int i = 0; i < 60; ++i) ok_text += "lower(";
  ok_text += "{givenName}";
  for (int i = 0; i < 60; ++i) ok_text += ")";
  auto ok = Expression::Parse(ok_text);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->EvaluateScalar(TestUser()), "åsa");
}

// Random and mutated inputs: parsing is total and a parsed expression always evaluates.
TEST(ExpressionTest, SurvivesMutatedInputs) {
  const std::vector<std::string> corpus = {
      R"({givenName} " " {sn})",
      R"(lower(coalesce({mailNickname}, replace({userPrincipalName}, "@.*$", ""))))",
      R"(e164(first({businessPhones}), "SE"))",
      R"(coalesce(phone_extension({telephoneNumber}, "SE"), {ipPhone}))",
      R"(switch({department}, "sales", "S", 'support', "T", "X"))",
      R"(join(", ", {businessPhones}, left({sn}, 3), right({givenName}, 2)))",
      R"(trim(upper(digits({telephoneNumber}))))",
      R"(replace({mail}, "(\w+)\.(\w+)@", "$2.$1@"))",
      R"({memberOf} 'x\'y' 12)",
  };
  const std::string alphabet = "{}()\",'\\ azAZ09_-.;:$@*+?[]^|\xC3\x85\xC2\xA0\x01";
  std::mt19937 rng(20261124);
  const SourceObject user = TestUser();
  int parsed = 0;
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = corpus[rng() % corpus.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      const size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
      switch (rng() % 4) {
        case 0:  // insert a grammar-ish character
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:  // delete
          if (at < text.size()) text.erase(at, 1);
          break;
        case 2:  // random byte
          if (at < text.size()) text[at] = static_cast<char>(rng() % 256);
          break;
        default:  // splice a piece of another corpus entry
          const std::string& other = corpus[rng() % corpus.size()];
          const size_t from = rng() % other.size();
          text.insert(at, other.substr(from, rng() % 12));
          break;
      }
    }
    auto e = Expression::Parse(text);
    if (e.ok()) {
      ++parsed;
      (void)e->Evaluate(user);
      (void)e->EvaluateScalar(user);
    } else {
      ++rejected;
      const std::string& msg = e.error().message;
      EXPECT_TRUE(msg.rfind("column ", 0) == 0 || msg == "empty expression") << msg;
    }
  }
  EXPECT_GT(parsed, 1000);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace telsync
