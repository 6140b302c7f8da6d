#include "report/xlsx_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace telsync {
namespace {

namespace fs = std::filesystem;

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
  update.changes = {{"job_title", "Seller", "=HYPERLINK(\"x\")"}, {"mobile", "", "+4670"}};
  plan.items.push_back(update);
  PlanItem error;
  error.action = Action::kError;
  error.key = "k3";
  error.username = "bad\x01\xff";          // a control character and invalid UTF-8
  error.reason = std::string(40000, 'x');  // past Excel's cell limit
  plan.items.push_back(error);
  return plan;
}

fs::path TempPath(const std::string& name) {
  return fs::temp_directory_path() / ("telsync-xlsx-" + std::to_string(getpid()) + "-" + name);
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(XlsxReportTest, WritesAZipWorkbook) {
  const fs::path path = TempPath("a.xlsx");
  telsync::Run run;
  run.id = 7;
  run.status = RunStatus::kPartial;
  ASSERT_TRUE(WriteXlsx(path.string(), SamplePlan(), &run).ok());
  const std::string bytes = ReadAll(path);
  ASSERT_GT(bytes.size(), 2000u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("PK\x03\x04", 4));  // a zip local header
  // Sheet parts are stored by name in the zip's directory.
  EXPECT_NE(bytes.find("xl/worksheets/sheet6.xml"), std::string::npos);
  EXPECT_EQ(bytes.find("xl/worksheets/sheet7.xml"), std::string::npos);  // no departments
  fs::remove(path);
}

TEST(XlsxReportTest, EmptyPlanStillHasEverySheet) {
  const fs::path path = TempPath("empty.xlsx");
  ASSERT_TRUE(WriteXlsx(path.string(), Plan{}).ok());
  const std::string bytes = ReadAll(path);
  EXPECT_NE(bytes.find("xl/worksheets/sheet6.xml"), std::string::npos);
  fs::remove(path);
}

TEST(XlsxReportTest, DepartmentsSheetOnlyWhenTheyChange) {
  const fs::path path = TempPath("dept.xlsx");
  Plan plan = SamplePlan();
  DepartmentChange d;
  d.action = Action::kCreate;
  d.target.name = "Sales";
  d.target.members = {"anna"};
  plan.departments.push_back(d);
  ASSERT_TRUE(WriteXlsx(path.string(), plan).ok());
  EXPECT_NE(ReadAll(path).find("xl/worksheets/sheet7.xml"), std::string::npos);
  fs::remove(path);
}

TEST(XlsxReportTest, TargetsSheetsOnlyWhenTheTenantHasTargets) {
  const fs::path path = TempPath("targets.xlsx");
  Plan plan = SamplePlan();
  plan.targets = {{"sip", "kamailio", {}}};
  ASSERT_TRUE(WriteXlsx(path.string(), plan).ok());
  // "Targets" and "Target moves" after the six sheets (no departments here).
  const std::string bytes = ReadAll(path);
  EXPECT_NE(bytes.find("xl/worksheets/sheet8.xml"), std::string::npos);
  EXPECT_EQ(bytes.find("xl/worksheets/sheet9.xml"), std::string::npos);
  fs::remove(path);
}

TEST(XlsxReportTest, BytesAreAWorkbook) {
  auto bytes = XlsxBytes(SamplePlan());
  ASSERT_TRUE(bytes.ok());
  EXPECT_GT(bytes->size(), 2000u);
  EXPECT_EQ(bytes->substr(0, 4), std::string("PK\x03\x04", 4));
}

TEST(XlsxReportTest, UnwritablePathIsAnError) {
  auto s = WriteXlsx("/nonexistent-dir/x/report.xlsx", SamplePlan());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message.find("/nonexistent-dir/x/report.xlsx"), std::string::npos);
}

}  // namespace
}  // namespace telsync
