// Always-on and debug-only assertions for programming errors.
//
// Part of //reactor/base, the single foundation package: every layer may use it. Until the
// pinned Abseil ships ABSL_CHECK, WEFT_CHECK plays its part. A failed check is a bug in Weft,
// never a reaction to peer input, the OS or configuration: those return absl::Status.
#ifndef WEFT_REACTOR_BASE_CHECK_H_
#define WEFT_REACTOR_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#include "absl/base/optimization.h"

namespace weft::internal {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace weft::internal

// Aborts the process with the file, line and expression when `cond` is false.
#define WEFT_CHECK(cond)                                        \
  do {                                                          \
    if (ABSL_PREDICT_FALSE(!(cond))) {                          \
      ::weft::internal::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                           \
  } while (false)

// Like WEFT_CHECK in debug builds; compiles to nothing (without evaluating `cond`) under NDEBUG.
#ifdef NDEBUG
#define WEFT_DCHECK(cond) \
  do {                    \
    if (false) {          \
      (void)(cond);       \
    }                     \
  } while (false)
#else
#define WEFT_DCHECK(cond) WEFT_CHECK(cond)
#endif

#endif  // WEFT_REACTOR_BASE_CHECK_H_
