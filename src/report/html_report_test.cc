#include "report/html_report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "report/detail/report_text.h"
#include "report/report.h"

namespace telsync {
namespace {

Plan EvilPlan() {
  Plan plan;
  plan.tenant = "acme";
  plan.profile = "<b>main</b>";
  plan.source = "file:dir.json";
  plan.complete = false;
  PlanItem create;
  create.action = Action::kCreate;
  create.key = "k1";
  create.username = "<script>alert(1)</script>";
  create.target->fields.Set(Field::kDisplayName, "O'Brien & \"Sons\"");
  plan.items.push_back(create);
  PlanItem update;
  update.action = Action::kUpdate;
  update.key = "k2";
  update.username = "bo";
  update.changes = {{"job_title", "Seller", "Head <i>of</i> Sales"}};
  plan.items.push_back(update);
  PlanItem error;
  error.action = Action::kConflict;
  error.key = "k3";
  error.username = "cy\x1b[31m";
  error.reason = "e-mail cy@x.se is also used by <img src=x onerror=alert(1)>";
  plan.items.push_back(error);
  return plan;
}

TEST(HtmlReportTest, EscapesEveryValue) {
  std::ostringstream out;
  WriteHtml(out, EvilPlan());
  const std::string html = out.str();
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<i>of"), std::string::npos);
  EXPECT_EQ(html.find("<b>main"), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("O&#39;Brien &amp; &quot;Sons&quot;"), std::string::npos);
  EXPECT_NE(html.find("Head &lt;i&gt;of&lt;/i&gt; Sales"), std::string::npos);
}

TEST(HtmlReportTest, APurgedRunSaysSoWithTheCountsItRecorded) {
  telsync::Run run;
  run.id = 12;
  run.tenant = "acme";
  run.profile = "main";
  run.summary[static_cast<size_t>(Action::kCreate)] = 3;
  run.purged_at = 1796677200;  // 2026-12-07
  std::ostringstream out;
  WriteHtml(out, PlanFromRun(run, {}, {}), &run);
  const std::string html = out.str();
  EXPECT_NE(html.find("were purged on 2026-12-07 after history.keep_days"), std::string::npos);
  EXPECT_NE(html.find("Summary (as the run recorded it)"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"count\">3</div>"), std::string::npos);
  EXPECT_EQ(html.find("<h2 id=\"create\">"), std::string::npos);  // no empty list
  run.purged_at = 0;
  std::ostringstream kept;
  WriteHtml(kept, PlanFromRun(run, {}, {}), &run);
  EXPECT_EQ(kept.str().find("purged"), std::string::npos);
}

TEST(HtmlReportTest, SelfContainedWithSummaryAndSections) {
  std::ostringstream out;
  telsync::Run run;
  run.id = 12;
  run.kind = RunKind::kSync;
  run.status = RunStatus::kPartial;
  run.trigger = "schedule";
  run.started_at = 1790000000;
  WriteHtml(out, EvilPlan(), &run);
  const std::string html = out.str();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  for (const char* outside : {"http://", "https://", "<script", "<link", "src=\""}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
  EXPECT_NE(html.find("run 12"), std::string::npos);
  EXPECT_NE(html.find("2026-09-21 14:13:20 UTC"), std::string::npos);
  EXPECT_NE(html.find("id=\"create\""), std::string::npos);
  EXPECT_NE(html.find("id=\"conflict\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"delete\""), std::string::npos);  // no deletes: no section
  EXPECT_NE(html.find("incomplete"), std::string::npos);
  // The update's old and new values are both shown.
  EXPECT_NE(html.find("<span class=\"old\">Seller</span>"), std::string::npos);
}

TEST(HtmlReportTest, TargetsAndMovesBetweenThemAreShownEscaped) {
  Plan plan = EvilPlan();
  std::ostringstream none;
  WriteHtml(none, plan);
  EXPECT_EQ(none.str().find("id=\"targets\""), std::string::npos);  // no targets: no section

  plan.targets = {{"site-a", "kamailio", {"city", {"<A&B>"}}}, {"site-b", "kamailio", {}}};
  plan.items[1].target->fields.Set(Field::kCity, "Lund");
  plan.items[1].changes.push_back({"city", "<a&b>", "Lund"});
  std::ostringstream out;
  WriteHtml(out, plan);
  const std::string html = out.str();
  EXPECT_NE(html.find("id=\"targets\""), std::string::npos);
  EXPECT_NE(html.find("city in [&lt;A&amp;B&gt;]"), std::string::npos) << html;
  EXPECT_EQ(html.find("<A&B>"), std::string::npos);
  EXPECT_NE(html.find("id=\"target-moves\""), std::string::npos);
  EXPECT_NE(html.find("no longer routed here (city: &lt;a&amp;b&gt; -&gt; Lund)"),
            std::string::npos)
      << html;
}

TEST(ReportTextTest, CleanTextRepairsUtf8AndControls) {
  using report_detail::CleanText;
  EXPECT_EQ(CleanText("Aino Hämäläinen"), "Aino Hämäläinen");
  EXPECT_EQ(CleanText("a\x01"
                      "b\tc\n"),
            "a?b\tc\n");
  EXPECT_EQ(CleanText("\xff"), "\xef\xbf\xbd");
  EXPECT_EQ(CleanText("\xc3"), "\xef\xbf\xbd");                  // truncated sequence
  EXPECT_EQ(CleanText("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(CleanText("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(CleanText("\xc2\x85"), "?");                                         // C1 control
  EXPECT_EQ(CleanText("😀"), "😀");
}

}  // namespace
}  // namespace telsync
