#include "report/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace telsync {
namespace {

Plan SamplePlan() {
  Plan plan;
  plan.tenant = "acme";
  plan.profile = "main";
  plan.source = "file:directory.json";
  plan.complete = true;
  PlanItem create;
  create.action = Action::kCreate;
  create.key = "k1";
  create.username = "anna";
  create.target->fields.Set(Field::kDisplayName, "Anna Andersson");
  create.target->fields.Set(Field::kEmail, "anna@example.se");
  plan.items.push_back(create);
  PlanItem update;
  update.action = Action::kUpdate;
  update.key = "k2";
  update.username = "bo";
  update.changes = {{"job_title", "Seller", "=HYPERLINK(\"x\")"}, {"mobile", "", "+46701234567"}};
  plan.items.push_back(update);
  PlanItem error;
  error.action = Action::kError;
  error.key = "k3";
  error.username = "evil\x1b[31m";
  error.reason = "mobile \"+46 70\" is not a valid number for SE";
  plan.items.push_back(error);
  DepartmentChange dept;
  dept.action = Action::kUpdate;
  dept.target.name = "Sales";
  dept.target.ring_group = "7001";
  dept.target.members = {"anna", "bo"};
  dept.changes = {{"members", "bo,carl", "anna,bo"}};
  plan.departments.push_back(dept);
  return plan;
}

TEST(ReportTest, JsonSummaryCountsEqualItemsAndHasTheContractKeys) {
  std::ostringstream out;
  WriteJson(out, SamplePlan(), 7);
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["run"], 7);
  EXPECT_EQ(j["profile"], "main");
  EXPECT_EQ(j["source"], "file:directory.json");
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["summary"]["create"], 1);
  EXPECT_EQ(j["summary"]["update"], 1);
  EXPECT_EQ(j["summary"]["errors"], 1);
  EXPECT_EQ(j["summary"]["conflicts"], 0);
  size_t total = 0;
  for (auto& [k, v] : j["summary"].items()) total += v.get<size_t>();
  EXPECT_EQ(total, j["items"].size());
  EXPECT_EQ(j["items"][1]["changes"][1]["new"], "+46701234567");
  EXPECT_EQ(j["items"][2]["reason"], "mobile \"+46 70\" is not a valid number for SE");
}

TEST(ReportTest, JsonOfAnEmptyPlanIsValid) {
  std::ostringstream out;
  WriteJson(out, Plan{});
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_TRUE(j["items"].empty());
  EXPECT_FALSE(j.contains("run"));
}

TEST(ReportTest, CsvQuotesAndDefusesFormulas) {
  std::ostringstream out;
  WriteCsv(out, SamplePlan());
  const std::string csv = out.str();
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")), "action,key,username,field,old,new,reason");
  EXPECT_NE(csv.find("update,k2,bo,job_title,Seller,\"'=HYPERLINK(\"\"x\"\")\","),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("update,k2,bo,mobile,,'+46701234567,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("error,k3,"), std::string::npos);
  EXPECT_NE(csv.find("\"mobile \"\"+46 70\"\" is not a valid number for SE\""), std::string::npos);
}

TEST(ReportTest, TableShowsSectionsChangesAndMemberDiffWithoutControlCharacters) {
  std::ostringstream out;
  WriteTable(out, SamplePlan());
  const std::string t = out.str();
  EXPECT_NE(t.find("Missing users (to create) (1)"), std::string::npos) << t;
  EXPECT_NE(t.find("Anna Andersson <anna@example.se>"), std::string::npos);
  EXPECT_NE(t.find("job_title: Seller -> =HYPERLINK"), std::string::npos);
  EXPECT_NE(t.find("mobile: (empty) -> +46701234567"), std::string::npos);
  EXPECT_NE(t.find("members: +anna -carl"), std::string::npos) << t;
  EXPECT_EQ(t.find('\x1b'), std::string::npos);
  EXPECT_NE(t.find("evil?[31m"), std::string::npos);
}

TEST(ReportTest, TableLimitsLongSections) {
  Plan plan;
  for (int i = 0; i < 30; ++i) {
    PlanItem item;
    item.action = Action::kCreate;
    item.username = "u" + std::to_string(i);
    plan.items.push_back(item);
  }
  TableOptions options;
  options.max_per_section = 10;
  std::ostringstream out;
  WriteTable(out, plan, options);
  EXPECT_NE(out.str().find("... and 20 more"), std::string::npos);
}

TEST(ReportTest, PlanFromRunKeepsHoldReason) {
  telsync::Run run;
  run.tenant = "acme";
  run.profile = "main";
  run.status = RunStatus::kHeld;
  run.message = "7 deletions exceed max_deletes 5";
  const Plan plan = PlanFromRun(run, {}, {});
  EXPECT_TRUE(plan.held);
  EXPECT_EQ(plan.hold_reason, "7 deletions exceed max_deletes 5");
}

telsync::Run PurgedRun() {
  telsync::Run run;
  run.id = 12;
  run.tenant = "acme";
  run.profile = "main";
  run.kind = RunKind::kSync;
  run.status = RunStatus::kSuccess;
  run.summary[static_cast<size_t>(Action::kCreate)] = 3;
  run.purged_at = 1796677200;  // 2026-12-07T21:00:00Z
  return run;
}

TEST(ReportTest, APurgedRunSaysSoInJsonAndCsv) {
  const telsync::Run run = PurgedRun();
  const Plan plan = PlanFromRun(run, {}, {});
  EXPECT_EQ(PurgedAtText(run), "2026-12-07T21:00:00Z");
  const std::string note = PurgedNote(run);
  EXPECT_EQ(note,
            "The items of run 12 were purged on 2026-12-07 after history.keep_days: the run and "
            "its counts stay in the history, what it did to each user is no longer listed, and "
            "it can no longer be reverted.");

  std::ostringstream json;
  WriteJson(json, plan, 12, &run);
  const auto doc = nlohmann::json::parse(json.str());
  EXPECT_EQ(doc["purged_at"], "2026-12-07T21:00:00Z");
  EXPECT_EQ(doc["purged"], note);
  EXPECT_TRUE(doc["items"].empty());

  std::ostringstream csv;
  WriteCsv(csv, plan, &run);
  // The sentence has commas: one quoted cell (RFC 4180).
  EXPECT_EQ(csv.str(),
            "action,key,username,field,old,new,reason\r\npurged,,,,,,\"" + note + "\"\r\n");
}

TEST(ReportTest, AKeptRunHasANullPurgedAtAndNoPurgedRow) {
  telsync::Run run = PurgedRun();
  run.purged_at = 0;
  EXPECT_EQ(PurgedAtText(run), "");
  EXPECT_EQ(PurgedNote(run), "");
  const Plan plan = PlanFromRun(run, {}, {});
  std::ostringstream json;
  WriteJson(json, plan, 12, &run);
  const auto doc = nlohmann::json::parse(json.str());
  EXPECT_TRUE(doc.contains("purged_at") && doc["purged_at"].is_null());
  EXPECT_FALSE(doc.contains("purged"));
  std::ostringstream preview;  // a preview (no run) has neither
  WriteJson(preview, plan);
  EXPECT_FALSE(nlohmann::json::parse(preview.str()).contains("purged_at"));
  std::ostringstream csv;
  WriteCsv(csv, plan, &run);
  EXPECT_EQ(csv.str(), "action,key,username,field,old,new,reason\r\n");
}

TEST(ReportTest, TheTargetsEachUserGoesToAreInTheJsonAndTheTable) {
  Plan plan = SamplePlan();
  // A plan without targets keeps the JSON of DESIGN §4 as it was.
  {
    std::ostringstream out;
    WriteJson(out, plan);
    const auto j = nlohmann::json::parse(out.str());
    EXPECT_FALSE(j.contains("targets"));
    EXPECT_FALSE(j["items"][0].contains("targets"));
  }
  plan.targets = {{"sthlm", "kamailio", {"city", {"Stockholm"}}},
                  {"gbg", "kamailio", {"city", {"Göteborg"}}}};
  plan.items[0].target->fields.Set(Field::kCity, "Stockholm");
  plan.items[1].target->fields.Set(Field::kCity, "Göteborg");
  plan.items[1].changes.push_back({"city", "Stockholm", "Göteborg"});
  std::ostringstream out;
  WriteJson(out, plan);
  const auto j = nlohmann::json::parse(out.str());
  ASSERT_EQ(j["targets"].size(), 2u);
  EXPECT_EQ(j["targets"][0]["name"], "sthlm");
  EXPECT_EQ(j["targets"][0]["rule"], "city in [Stockholm]");
  EXPECT_EQ(j["targets"][0]["create"], 1);
  EXPECT_EQ(j["targets"][0]["delete"], 1);
  EXPECT_EQ(j["targets"][1]["create"], 1);
  EXPECT_EQ(j["targets"][1]["moves"], 1);
  EXPECT_EQ(j["items"][0]["targets"][0]["target"], "sthlm");
  EXPECT_EQ(j["items"][0]["targets"][0]["action"], "create");
  ASSERT_EQ(j["items"][1]["targets"].size(), 2u);
  EXPECT_EQ(j["items"][1]["targets"][1]["detail"],
            "moved from sthlm (city: Stockholm -> Göteborg)");
  EXPECT_TRUE(j["items"][2]["targets"].empty());  // an error sends nothing

  std::ostringstream table;
  WriteTable(table, plan);
  EXPECT_NE(table.str().find("Targets (2)"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("sthlm (kamailio, city in [Stockholm]): 1 to create, 0 to update, "
                             "1 to delete"),
            std::string::npos)
      << table.str();
  EXPECT_NE(table.str().find("create  bo  — moved from sthlm (city: Stockholm -> Göteborg)"),
            std::string::npos)
      << table.str();
}

}  // namespace
}  // namespace telsync
