// The direct-read features: their names, the SLE_BPF_FEATURES mask, and the probe of this kernel.
#include "loader/kernel_features.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "common/error.h"
#include "error_of.h"
#include "socket_lsm.h"

namespace sle {
namespace {

using test::error_of;

constexpr std::uint32_t kAll = SLE_FEAT_TASK_BTF | SLE_FEAT_RDONLY_CAST | SLE_FEAT_CAST_TO_VOID;

// Sets SLE_BPF_FEATURES for a test, restoring what was there.
class FeatureMask {
 public:
  explicit FeatureMask(const char* value) {
    if (const char* old = std::getenv("SLE_BPF_FEATURES")) old_ = old;
    if (value)
      ::setenv("SLE_BPF_FEATURES", value, 1);
    else
      ::unsetenv("SLE_BPF_FEATURES");
  }
  ~FeatureMask() {
    if (old_)
      ::setenv("SLE_BPF_FEATURES", old_->c_str(), 1);
    else
      ::unsetenv("SLE_BPF_FEATURES");
  }
  FeatureMask(const FeatureMask&) = delete;
  FeatureMask& operator=(const FeatureMask&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(KernelFeatures, NamesInTheTablesOrder) {
  EXPECT_EQ(feature_names(0), "none");
  EXPECT_EQ(feature_names(SLE_FEAT_RDONLY_CAST), "rdonly_cast");
  EXPECT_EQ(feature_names(kAll), "task_btf,rdonly_cast,cast_to_void");
}

TEST(KernelFeatures, AListParsesToItsBitsAndBack) {
  EXPECT_EQ(parse_feature_names("task_btf,cast_to_void"),
            SLE_FEAT_TASK_BTF | SLE_FEAT_CAST_TO_VOID);
  EXPECT_EQ(parse_feature_names("none"), 0u);
  EXPECT_EQ(parse_feature_names(""), 0u);
  EXPECT_EQ(parse_feature_names(feature_names(kAll)), kAll);
  EXPECT_EQ(error_of<ConfigError>([] { parse_feature_names("task_btf,btf"); }),
            "SLE_BPF_FEATURES: unknown feature btf (task_btf, rdonly_cast, cast_to_void, none)");
}

TEST(KernelFeatures, TheMaskIsCheckedWithTheConfig) {
  {
    const FeatureMask mask("rdonly_cast,bogus");
    EXPECT_EQ(error_of<ConfigError>([] { check_feature_mask(); }),
              "SLE_BPF_FEATURES: unknown feature bogus (task_btf, rdonly_cast, cast_to_void, "
              "none)");
  }
  const FeatureMask unset(nullptr);
  EXPECT_EQ(error_of<ConfigError>([] { check_feature_mask(); }), "(no error)");
}

TEST(KernelFeatures, TheMaskOnlyTakesFeaturesAway) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: probing the kernel's BPF needs root";
  const std::uint32_t probed = probed_kernel_features();
  EXPECT_EQ(probed & ~kAll, 0u) << "a feature bit outside the table";
  {
    const FeatureMask none("none");
    EXPECT_EQ(kernel_features(), 0u);
  }
  {
    const FeatureMask all(feature_names(kAll).c_str());
    EXPECT_EQ(kernel_features(), probed);  // asking for more adds nothing
  }
  const FeatureMask unset(nullptr);
  EXPECT_EQ(kernel_features(), probed);
}

}  // namespace
}  // namespace sle
