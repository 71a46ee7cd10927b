#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>

namespace sle::log {
namespace {

std::atomic<bool> g_json{false};

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (const char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') return true;
  return false;
}

// Escapes for both a logfmt quoted value and a JSON string (same rules for ", \ and controls).
void append_escaped(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  if (g_json) {
    out += ",\"";
    append_escaped(out, key);
    out += "\":\"";
    append_escaped(out, value);
    out += '"';
    return;
  }
  out += ' ';
  out += key;
  out += '=';
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  append_escaped(out, value);
  out += '"';
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    default:
      return "error";
  }
}

// The payload is already formatted; this adds the timestamp and level around it.
class StructuredFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[32];
    const std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string line;
    const std::string stamp =
        std::string(ts, n) + fmt::format(".{:03d}Z", static_cast<int>(ms % 1000));
    const std::string_view level = level_name(msg.level);
    if (g_json) {
      line = "{\"ts\":\"" + stamp + "\",\"level\":\"" + std::string(level) + "\"";
      line.append(msg.payload.data(), msg.payload.size());
      line += "}\n";
    } else {
      line = "ts=" + stamp + " level=" + std::string(level);
      line.append(msg.payload.data(), msg.payload.size());
      line += '\n';
    }
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<StructuredFormatter>();
  }
};

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto l =
        std::make_shared<spdlog::logger>("sle", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_formatter(std::make_unique<StructuredFormatter>());
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::debug);
    return l;
  }();
  return *instance;
}

void emit(spdlog::level::level_enum level, std::string_view msg, Fields fields) {
  spdlog::logger& l = logger();
  if (!l.should_log(level)) return;
  std::string payload;
  append_field(payload, "msg", msg);
  for (const auto& [k, v] : fields) append_field(payload, k, v);
  l.log(level, "{}", payload);
}

}  // namespace

void setup(Level level, Format format) {
  static constexpr std::array<spdlog::level::level_enum, 4> kLevels = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err};
  g_json = format == Format::json;
  logger().set_level(kLevels[static_cast<std::size_t>(level)]);
}

void debug(std::string_view msg, Fields fields) { emit(spdlog::level::debug, msg, fields); }
void info(std::string_view msg, Fields fields) { emit(spdlog::level::info, msg, fields); }
void warn(std::string_view msg, Fields fields) { emit(spdlog::level::warn, msg, fields); }
void error(std::string_view msg, Fields fields) { emit(spdlog::level::err, msg, fields); }

}  // namespace sle::log
