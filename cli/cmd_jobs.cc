// telsync jobs add | list: the job queue that `telsync serve` workers run (issue 8).
//
// `jobs add` queues a sync of the selected profile (-p TENANT/PROFILE), of every profile
// of a tenant (-p TENANT), or of every profile of every tenant (--all): the way an
// operator asks the workers for a sync without an API token. A profile that already has
// a job queued or running is reported and skipped (one run per profile at a time).
#include <ctime>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "util/json_out.h"

namespace telsync::cli {
namespace {

struct JobsOptions {
  bool all = false;
  size_t limit = 50;
  std::string format = "table";
};

}  // namespace

void AddJobsCommand(CLI::App& app, Context& ctx) {
  static JobsOptions o;
  auto* jobs = app.add_subcommand("jobs", "the job queue that `telsync serve` workers run");
  jobs->require_subcommand(1);

  auto* add = jobs->add_subcommand(
      "add", "queue a sync of the -p profile, of every profile of the -p tenant, or --all");
  add->add_flag("--all", o.all, "every profile of every tenant");
  add->callback([&ctx]() {
    const Config& config = ctx.LoadConfig();
    std::vector<const Profile*> targets;
    if (o.all) {
      for (const Tenant& t : config.tenants)
        for (const Profile& p : t.profiles) targets.push_back(&p);
    } else if (ctx.profile_name.find('/') == std::string::npos && !ctx.profile_name.empty()) {
      for (const Tenant& t : config.tenants) {
        if (t.name != ctx.profile_name) continue;
        for (const Profile& p : t.profiles) targets.push_back(&p);
      }
      if (targets.empty()) throw Exit{kExitUsage, "no tenant " + ctx.profile_name};
    } else {
      targets.push_back(&ctx.SelectProfile());
    }
    Store& store = ctx.OpenStore();
    size_t queued = 0;
    size_t busy = 0;
    for (const Profile* p : targets) {
      JobRecord job;
      job.tenant = p->tenant;
      job.profile = p->name;
      job.trigger = "cli";
      job.created_at = ctx.Now();
      Result<int64_t> id = store.EnqueueJob(job);
      if (id.ok()) {
        ++queued;
        if (!ctx.quiet) std::cout << "job " << *id << ": " << p->tenant << "/" << p->name << "\n";
      } else if (id.error().code == ErrorCode::kConflict) {
        ++busy;
        std::cerr << p->tenant << "/" << p->name << ": " << id.error().message << "\n";
      } else {
        throw Exit{kExitFailed, id.error().ToString()};
      }
    }
    std::cout << queued << " job(s) queued"
              << (busy > 0 ? ", " + std::to_string(busy) + " profile(s) already had one" : "")
              << std::endl;
  });

  auto* list = jobs->add_subcommand("list", "jobs, newest first (-p narrows to a tenant/profile)");
  list->add_option("--limit", o.limit, "at most this many (default 50; 0 = all)");
  list->add_option("-f,--format", o.format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  list->callback([&ctx]() {
    std::string tenant;
    std::string profile;
    if (!ctx.profile_name.empty()) {
      const size_t slash = ctx.profile_name.find('/');
      tenant = ctx.profile_name.substr(0, slash);
      if (slash != std::string::npos) profile = ctx.profile_name.substr(slash + 1);
    }
    auto listed = ctx.OpenStore().ListJobs(tenant, profile, o.limit);
    if (!listed.ok()) throw Exit{kExitFailed, listed.error().ToString()};
    if (o.format == "json") {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const JobRecord& j : *listed) {
        arr.push_back({{"job", j.id},
                       {"tenant", j.tenant},
                       {"profile", j.profile},
                       {"kind", j.kind},
                       {"trigger", j.trigger},
                       {"status", std::string(JobStateName(j.state))},
                       {"worker", j.worker},
                       {"attempts", j.attempts},
                       {"run_id", j.run_id},
                       {"exit_code", j.exit_code},
                       {"slot", j.slot},
                       {"message", j.message},
                       {"created_at", j.created_at},
                       {"started_at", j.started_at},
                       {"finished_at", j.finished_at}});
      }
      std::cout << DumpJson(arr) << std::endl;
      return;
    }
    std::cout << std::left << std::setw(7) << "JOB" << std::setw(24) << "PROFILE" << std::setw(9)
              << "STATUS" << std::setw(10) << "TRIGGER" << std::setw(22) << "STARTED"
              << std::setw(6) << "RUN"
              << "TRIES  WORKER / MESSAGE\n";
    for (const JobRecord& j : *listed) {
      std::cout << std::left << std::setw(7) << j.id << std::setw(24)
                << (j.tenant + "/" + j.profile) << std::setw(9) << JobStateName(j.state)
                << std::setw(10) << j.trigger << std::setw(22) << TableTime(j.started_at)
                << std::setw(6) << j.run_id << std::setw(7) << j.attempts
                << (j.message.empty() ? j.worker : j.message) << "\n";
    }
  });
}

}  // namespace telsync::cli
