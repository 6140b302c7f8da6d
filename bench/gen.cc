// telsync-gen: writes a realistic directory of any size (DESIGN §7).
//   gen --users 1000000 --seed 7 --version 2 --format json|csv|ldif -o out.json
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/lib/generator.h"

int main(int argc, char** argv) {
  telsync::bench::GenOptions options;
  std::string format = "json";
  std::string output;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto need = [&]() {
      if (value == nullptr) {
        std::cerr << "gen: " << arg << " needs a value\n";
        std::exit(2);
      }
      ++i;
      return std::string(value);
    };
    if (arg == "--users") {
      options.users = std::stoull(need());
    } else if (arg == "--seed") {
      options.seed = std::stoull(need());
    } else if (arg == "--version") {
      options.version = std::stoi(need());
    } else if (arg == "--format") {
      format = need();
    } else if (arg == "-o") {
      output = need();
    } else if (arg == "--disabled-rate") {
      options.disabled_rate = std::stod(need());
    } else if (arg == "--leave-rate") {
      options.leave_rate = std::stod(need());
    } else if (arg == "--drop-department") {
      options.drop_department = need();
    } else if (arg == "--change-rate") {
      options.change_rate = std::stod(need());
    } else {
      std::cerr << "usage: gen --users N [--seed S] [--version V] [--format json|csv|ldif] "
                   "[--leave-rate R] [--change-rate R] [--disabled-rate R] [-o FILE]\n";
      return 2;
    }
  }
  std::ofstream file;
  if (!output.empty()) {
    file.open(output, std::ios::binary);
    if (!file) {
      std::cerr << "gen: cannot write " << output << "\n";
      return 1;
    }
  }
  std::ostream& out = output.empty() ? std::cout : file;
  const telsync::bench::DirectoryGenerator gen(options);
  if (format == "json") {
    WriteGraphJson(gen, out);
  } else if (format == "csv") {
    WriteCsv(gen, out);
  } else if (format == "ldif") {
    WriteLdif(gen, out);
  } else {
    std::cerr << "gen: unknown format " << format << "\n";
    return 2;
  }
  return out.good() ? 0 : 1;
}
