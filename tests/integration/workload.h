// The scripted mix of socket operations the integration test runs in its own cgroup, each step
// with the series it must add one to. The expectation is written next to the operation, from the
// metrics contract, never read back from the exporter.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sle::test {

struct Ports {
  std::uint16_t exact;       // free TCP port in the default exact set (0-1023)
  std::uint16_t registered;  // free TCP and UDP port in 1024-49151
  std::uint16_t dynamic;     // free TCP port in 49152-65535
};

// Finds ports no one listens on (TCP and UDP), in each class.
Ports find_free_ports();

// metric name + sorted labels, e.g. socket_lsm_bind_total{family="inet",port="0",...}
// (without the cgroup label, which the test adds).
using Expected = std::map<std::string, std::uint64_t>;

// The outcome label every call of the workload carries under a backend: no LSM refuses any of
// them (a bind that fails with EADDRINUSE was still allowed), and the tracepoint backend cannot
// see the verdict.
std::string outcome_under(const std::string& backend);

// The series each hook call of run_workload() adds to, with counts, their outcome label `outcome`
// ("": none); without it, the one of expected_backend() (throws when that is not known).
Expected expected_series(const Ports& ports, const std::string& outcome);
Expected expected_series(const Ports& ports);

// Runs the operations; returns "" on success or what went wrong (an operation whose outcome was
// not the expected one, e.g. a connect that should have been refused).
std::string run_workload(const Ports& ports);

// Formats a series key: name{k="v",...} with labels sorted by name.
std::string series_key(const std::string& name, const std::map<std::string, std::string>& labels);

}  // namespace sle::test
