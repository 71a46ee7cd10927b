#include "common/logging.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace sle {
namespace {

// Runs fn with stderr sent to a file; returns what was written.
template <typename Fn>
std::string capture_stderr(Fn fn) {
  char path[] = "/tmp/sle-log-XXXXXX";
  const int fd = ::mkstemp(path);
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  fn();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  ::unlink(path);
  return ss.str();
}

const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

std::string without_timestamp(const std::string& line) {
  return std::regex_replace(line, kTimestamp, "TS", std::regex_constants::format_first_only);
}

TEST(Logging, LogfmtQuotesOnlyWhatNeedsIt) {
  log::setup(log::Level::info, log::Format::logfmt);
  const std::string out = capture_stderr([] {
    log::info("Attached hook", {{"hook", "bind"}, {"reason", "a \"b\"\\c\nd"}, {"empty", ""}});
  });
  EXPECT_EQ(without_timestamp(out),
            "ts=TS level=info msg=\"Attached hook\" hook=bind reason=\"a \\\"b\\\"\\\\c\\nd\" "
            "empty=\"\"\n");
}

TEST(Logging, JsonEscapesStringsAndControlCharacters) {
  log::setup(log::Level::debug, log::Format::json);
  const std::string out = capture_stderr([] {
    log::debug("libbpf", {{"output", "tab\there \"q\" \x01"}});
  });
  EXPECT_EQ(without_timestamp(out),
            "{\"ts\":\"TS\",\"level\":\"debug\",\"msg\":\"libbpf\","
            "\"output\":\"tab\\there \\\"q\\\" \\u0001\"}\n");
  log::setup(log::Level::info, log::Format::logfmt);
}

TEST(Logging, LevelFiltersAndNamesMatchPrometheusExporters) {
  log::setup(log::Level::warn, log::Format::logfmt);
  const std::string out = capture_stderr([] {
    log::info("hidden");
    log::warn("shown");
    log::error("also shown");
  });
  EXPECT_EQ(without_timestamp(out.substr(0, out.find('\n') + 1)), "ts=TS level=warn msg=shown\n");
  EXPECT_NE(out.find("level=error msg=\"also shown\""), std::string::npos);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  log::setup(log::Level::info, log::Format::logfmt);
}

}  // namespace
}  // namespace sle
