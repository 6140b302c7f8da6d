#include "sources/file/file_source.h"

#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_set>

#include "sources/file/file_formats.h"

namespace telsync {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

FileSource::FileSource(std::string configured_path, std::string path, std::string format)
    : configured_path_(std::move(configured_path)),
      path_(std::move(path)),
      format_(std::move(format)) {}

std::string FileSource::Describe() const { return "file:" + configured_path_; }

std::string FileSource::FormatFor(const std::string& path, const std::string& format) {
  if (!format.empty()) return Lower(format);
  const std::string ext = Lower(std::filesystem::path(path).extension().string());
  if (ext == ".json") return "json";
  if (ext == ".csv") return "csv";
  if (ext == ".ldif") return "ldif";
  return "";
}

ReadResult FileSource::Read(const ReadRequest& request, const ObjectSink& sink,
                            const ProblemSink& on_problem) {
  ReadResult result;
  const std::string format = FormatFor(path_, format_);
  if (format != "json" && format != "csv" && format != "ldif") {
    result.error = Error::Invalid("cannot tell the format of " + configured_path_ +
                                  " (set source.format to json, csv or ldif)");
    return result;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) {
    result.error = Error::Invalid("cannot read " + configured_path_ + ": it is a directory");
    return result;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    result.error = Error{errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                         "cannot open " + configured_path_ + ": " + std::strerror(errno), ""};
    return result;
  }
  // Keep only the attributes the mapping reads (lower-case names in the request), and
  // give every id its canonical form.
  std::unordered_set<std::string> wanted(request.attributes.begin(), request.attributes.end());
  // Progress in bytes of the file: the stream's position every kProgressEvery objects
  // (tellg asks the file buffer, not the disk, but not per object).
  constexpr size_t kProgressEvery = 512;
  const size_t file_size = static_cast<size_t>(std::filesystem::file_size(path_, ec));
  const size_t total_bytes = ec ? 0 : file_size;
  size_t handed = 0;
  ObjectSink counted = sink;
  if (request.on_progress) {
    counted = [&](SourceObject&& object) {
      if (++handed % kProgressEvery == 0) {
        const std::streamoff at = in.tellg();
        if (at >= 0)
          request.on_progress({"read", static_cast<size_t>(at), total_bytes, false, "bytes"});
      }
      sink(std::move(object));
    };
  }
  ObjectSink filtered = [&counted](SourceObject&& object) {
    object.id = CanonicalSourceId(object.id);
    counted(std::move(object));
  };
  if (!wanted.empty()) {
    filtered = [&wanted, &counted](SourceObject&& object) {
      object.id = CanonicalSourceId(object.id);
      auto& attributes = object.attributes;
      attributes.erase(std::remove_if(attributes.begin(), attributes.end(),
                                      [&wanted](const auto& attribute) {
                                        return wanted.count(Lower(attribute.first)) == 0;
                                      }),
                       attributes.end());
      counted(std::move(object));
    };
  }
  if (ScopeTrace* trace = request.scope_trace; trace != nullptr) {
    // `explain`: a file has no scope of its own; every record is read.
    filtered = [trace, inner = std::move(filtered), this](SourceObject&& object) {
      object.id = CanonicalSourceId(object.id);
      if (trace->Traces(object)) {
        trace->Note(object, {"scope", "in",
                             "every record of " + configured_path_ +
                                 " is read: a file source has no group, guest or filter scope"});
      }
      inner(std::move(object));
    };
  }
  try {
    if (format == "json") {
      result = file_formats::ReadJson(in, configured_path_, filtered, on_problem);
    } else if (format == "csv") {
      result = file_formats::ReadCsv(in, configured_path_, filtered, on_problem);
    } else {
      result = file_formats::ReadLdif(in, configured_path_, filtered, on_problem);
    }
  } catch (const std::exception& e) {  // a throwing sink must not cross the boundary
    result.complete = false;
    result.error = Error::Invalid(std::string("reading stopped: ") + e.what());
  }
  if (!result.complete && !result.error)
    result.error = Error::Invalid("the file could not be read");
  if (result.complete && request.on_progress) {
    request.on_progress({"read", total_bytes, total_bytes, false, "bytes"});
  }
  return result;
}

ConnectionReport FileSource::TestConnection() {
  ConnectionReport report;
  std::set<std::string> attributes;
  std::set<std::string> lower_seen;
  size_t users = 0;
  std::string first_problem;
  ReadResult result = Read(
      ReadRequest{},
      [&](SourceObject&& user) {
        ++users;
        for (const auto& [name, values] : user.attributes) {
          if (lower_seen.insert(Lower(name)).second) attributes.insert(name);
        }
        if (report.sample.size() < 5) {
          std::string line(user.First("displayName"));
          if (line.empty()) line = user.id;
          std::string mail(user.First("mail"));
          if (mail.empty()) mail = std::string(user.First("email"));
          if (!mail.empty()) line += " <" + mail + ">";
          report.sample.push_back(std::move(line));
        }
      },
      [&](const std::string& where, const std::string& reason) {
        if (first_problem.empty()) first_problem = where + ": " + reason;
      });
  report.attributes.assign(attributes.begin(), attributes.end());
  if (!result.complete) {
    report.ok = false;
    report.message = result.ErrorMessage();
    return report;
  }
  report.ok = true;
  report.message = std::to_string(users) + (users == 1 ? " user" : " users") + " readable";
  if (result.bad_records > 0) {
    report.message += "; " + std::to_string(result.bad_records) +
                      (result.bad_records == 1 ? " record" : " records") +
                      " could not be read (first: " + first_problem + ")";
  }
  return report;
}

}  // namespace telsync
