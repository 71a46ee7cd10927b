// Structured logging in the Prometheus exporters' style (logfmt or JSON), on spdlog.
//   log::info("Attached hook", {{"hook", "bind"}, {"backend", "tracepoint"}});
// logfmt: ts=2026-11-23T18:00:00.000Z level=info msg="Attached hook" hook=bind backend=tracepoint
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sle::log {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

enum class Level { debug, info, warn, error };
enum class Format { logfmt, json };

void setup(Level level, Format format);

void debug(std::string_view msg, Fields fields = {});
void info(std::string_view msg, Fields fields = {});
void warn(std::string_view msg, Fields fields = {});
void error(std::string_view msg, Fields fields = {});

}  // namespace sle::log
