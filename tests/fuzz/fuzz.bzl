"""weft_fuzz_target: one fuzz target, built as a fast replay test and as a libFuzzer binary.

See docs/fuzzing.md. For weft_fuzz_target(name = "wire", ...) this declares:
  wire_fuzz_lib   the target's LLVMFuzzerTestOneInput (testonly cc_library, alwayslink)
  wire_fuzz_test  cc_test: the seed corpus plus 20,000 deterministic mutations of it, through
                  fuzz_replay_main.cc; part of `bazel test //...`
  wire_fuzzer     cc_binary: with --config=fuzz (clang) a libFuzzer binary; in other builds the
                  replay driver, handy for replaying a crash file under g++
"""

def weft_fuzz_target(name, srcs, deps, corpus, dict = None, runs = 20000):
    """Declares <name>_fuzz_lib, <name>_fuzz_test and <name>_fuzzer.

    Args:
      name: short name of the target, e.g. "endpoint".
      srcs: the .cc file(s) defining LLVMFuzzerTestOneInput.
      deps: what they need.
      corpus: the seed directory, relative to this package (e.g. "corpus/endpoint").
      dict: optional libFuzzer dictionary file in this package.
      runs: mutations the replay test runs after the seeds.
    """
    pkg = native.package_name()
    lib = name + "_fuzz_lib"
    native.cc_library(
        name = lib,
        testonly = True,
        srcs = srcs,
        deps = deps + [":fuzz_check"],
        alwayslink = True,
    )
    data = native.glob([corpus + "/**"])
    args = ["-runs=%d" % runs]
    if dict:
        data = data + [dict]
        args.append("-dict=%s/%s" % (pkg, dict))
    native.cc_test(
        name = name + "_fuzz_test",
        size = "small",
        data = data,
        args = args + ["%s/%s" % (pkg, corpus)],
        deps = [
            lib,
            ":fuzz_replay_main",
        ],
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        linkopts = select({
            ":fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = [lib] + select({
            ":fuzzing": [],
            "//conditions:default": [":fuzz_replay_main"],
        }),
    )
