// FileSource: users from a JSON (Graph shape), CSV or LDIF export (SPEC F4).
//
// For demos, tests and air-gapped sites. Streams the file (see file_formats.h for what each
// format accepts), so a million users cost the memory of one. Describe() is
// "file:<path as configured>". Read is complete only when the whole file was read; a bad
// record is reported and skipped, never fatal. Not thread-safe; never throws.
#pragma once

#include <string>

#include "sources/source.h"

namespace telsync {

class FileSource : public Source {
 public:
  // `configured_path` is shown to admins; `path` is what is opened (resolved against the
  // config directory). `format`: "json", "csv", "ldif" or "" (from the extension).
  FileSource(std::string configured_path, std::string path, std::string format);

  std::string Describe() const override;
  // Reads the whole file: "N users readable", the attributes offered, up to 5 samples.
  ConnectionReport TestConnection() override;
  // Honours request.attributes (keeps only those attributes); the cursor is ignored (a file
  // is always read in full) and none is returned.
  ReadResult Read(const ReadRequest& request, const ObjectSink& sink,
                  const ProblemSink& on_problem) override;

  // The format used: `format` when set, else by extension; "" when neither tells.
  static std::string FormatFor(const std::string& path, const std::string& format);

 private:
  std::string configured_path_;
  std::string path_;
  std::string format_;
};

}  // namespace telsync
