// WEFT_FUZZ_CHECK: the assertion fuzz targets use for the properties they check.
//
// Part of //tests/fuzz. A failed check prints the condition (and an optional std::string of
// context) and traps with __builtin_trap(), which libFuzzer and the replay driver
// (fuzz_replay_main.cc) both report as a crash, with the input that caused it. The code under
// test never traps on input; only the harness does.
//
//   WEFT_FUZZ_CHECK(second.ok());
//   WEFT_FUZZ_CHECK(second.ok(), absl::StrCat("canonical form '", canonical, "'"));
#ifndef WEFT_TESTS_FUZZ_FUZZ_CHECK_H_
#define WEFT_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <string>

namespace weft::fuzz {

[[noreturn]] inline void FuzzCheckFailed(const char* file, int line, const char* expr,
                                         const std::string& context = std::string()) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, expr);
  if (!context.empty()) std::fprintf(stderr, "  %s\n", context.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace weft::fuzz

#define WEFT_FUZZ_CHECK(cond, ...)                                                         \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      ::weft::fuzz::FuzzCheckFailed(__FILE__, __LINE__, #cond __VA_OPT__(, ) __VA_ARGS__); \
    }                                                                                      \
  } while (false)

#endif  // WEFT_TESTS_FUZZ_FUZZ_CHECK_H_
