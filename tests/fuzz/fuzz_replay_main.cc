// A deterministic stand-in for libFuzzer's driver, so every fuzz target also runs as a fast
// cc_test under the ordinary (g++) build.
//
// Part of //tests/fuzz. Linked with one LLVMFuzzerTestOneInput(); see docs/fuzzing.md.
//
//   <target> [-runs=N] [-seed=S] [-max_len=N] [-dict=FILE] PATH...
//
// Every PATH is a file (run as is, e.g. a crash reproducer) or a directory whose regular files,
// recursively, are seeds. After running the seeds as they are, the driver runs N (default 20000)
// pseudo-random mutations of them: bit flips, byte edits, insertions and erasures, copies,
// splices of two seeds, "interesting" integers and dictionary tokens, the way libFuzzer mutates.
// The mutations depend only on the seeds, the dictionary and -seed, so a failure reproduces
// exactly. Each input is handed over in a heap buffer of exactly its size, so a sanitizer catches
// any read past the end. Other "-flag=value" arguments (libFuzzer's) are accepted and ignored.
//
// When the target crashes (a trap, an abort, a sanitizer report) the driver prints which input
// it was and writes it to $TEST_UNDECLARED_OUTPUTS_DIR/crash-input (or ./crash-input), which
// `bazel-bin/tests/fuzz/<name>_fuzzer crash-input` replays under either build.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

using Bytes = std::vector<uint8_t>;

struct Options {
  long runs = 20000;
  uint64_t seed = 1;
  std::size_t max_len = 4096;
  std::string dict;
  std::vector<std::string> paths;
};

// --- Crash reporting (async-signal-safe) ------------------------------------------------------

const uint8_t* g_current_data = nullptr;
std::size_t g_current_size = 0;
char g_current_label[512] = "";
char g_crash_path[4096] = "crash-input";

void WriteAll(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void WriteString(int fd, const char* s) { WriteAll(fd, s, strlen(s)); }

// Prints the input as a C string (for short inputs) and saves it. Runs in a signal handler or
// a sanitizer's death callback, so it only calls write(2) and open(2).
void ReportCurrentInput() {
  if (g_current_data == nullptr) return;
  WriteString(2, "\nfuzz_replay: crashed on ");
  WriteString(2, g_current_label);
  if (g_current_size <= 512) {
    WriteString(2, "\nfuzz_replay: input \"");
    static const char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < g_current_size; ++i) {
      const uint8_t c = g_current_data[i];
      char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        WriteAll(2, &c, 1);
      } else {
        WriteAll(2, escaped, 4);
      }
    }
    WriteString(2, "\"");
  }
  const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    WriteAll(fd, g_current_data, g_current_size);
    close(fd);
    WriteString(2, "\nfuzz_replay: input saved to ");
    WriteString(2, g_crash_path);
  }
  WriteString(2, "\n");
  g_current_data = nullptr;
}

void OnFatalSignal(int signal_number) {
  ReportCurrentInput();
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

void InstallCrashReporting() {
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR"); dir != nullptr) {
    std::snprintf(g_crash_path, sizeof(g_crash_path), "%s/crash-input", dir);
  }
  const bool sanitized = __sanitizer_set_death_callback != nullptr;
  if (sanitized) __sanitizer_set_death_callback(ReportCurrentInput);
  // A sanitizer reports SEGV and BUS itself (then calls the death callback); take the rest.
  for (int signal_number : {SIGILL, SIGABRT, SIGFPE, SIGTRAP, SIGSEGV, SIGBUS}) {
    if (sanitized && (signal_number == SIGSEGV || signal_number == SIGBUS)) continue;
    ::signal(signal_number, OnFatalSignal);
  }
}

// Runs the target once on an exact-size heap copy of `input`.
void RunOne(const Bytes& input, const std::string& label) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[std::max<std::size_t>(input.size(), 1)]);
  std::copy(input.begin(), input.end(), copy.get());
  std::snprintf(g_current_label, sizeof(g_current_label), "%s", label.c_str());
  g_current_data = copy.get();
  g_current_size = input.size();
  LLVMFuzzerTestOneInput(copy.get(), input.size());
  g_current_data = nullptr;
}

// --- Inputs -----------------------------------------------------------------------------------

bool ReadFile(const std::filesystem::path& path, Bytes& out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  out.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return true;
}

// libFuzzer's dictionary format: one `name="token"` or `"token"` per line, with \\, \" and \xAB
// escapes; '#' starts a comment line.
std::vector<Bytes> ReadDictionary(const std::string& path) {
  std::vector<Bytes> tokens;
  std::ifstream file(path);
  if (!file) {
    std::fprintf(stderr, "fuzz_replay: cannot read dictionary %s\n", path.c_str());
    std::exit(2);
  }
  for (std::string line; std::getline(file, line);) {
    const std::size_t open = line.find('"');
    const std::size_t close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    Bytes token;
    for (std::size_t i = open + 1; i < close; ++i) {
      if (line[i] != '\\' || i + 1 >= close) {
        token.push_back(static_cast<uint8_t>(line[i]));
      } else if (line[i + 1] == 'x' && i + 3 < close) {
        token.push_back(static_cast<uint8_t>(std::stoi(line.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else {
        token.push_back(static_cast<uint8_t>(line[++i]));
      }
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// Files in argument order; a directory's files in name order, so runs are reproducible.
std::vector<std::pair<std::string, Bytes>> ReadSeeds(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, Bytes>> seeds;
  for (const std::string& path : paths) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.emplace_back(path);
    }
    for (const std::filesystem::path& file : files) {
      Bytes bytes;
      if (!ReadFile(file, bytes)) {
        std::fprintf(stderr, "fuzz_replay: cannot read %s\n", file.c_str());
        std::exit(2);
      }
      seeds.emplace_back(file.string(), std::move(bytes));
    }
  }
  return seeds;
}

// --- Mutations --------------------------------------------------------------------------------

class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<Bytes> dictionary, std::size_t max_len)
      : random_(seed), dictionary_(std::move(dictionary)), max_len_(max_len) {}

  // 1 to 5 stacked mutations of `input`, splicing with `other` sometimes.
  Bytes Mutate(Bytes input, const Bytes& other) {
    const int count = 1 + static_cast<int>(Below(5));
    for (int i = 0; i < count; ++i) MutateOnce(input, other);
    if (input.size() > max_len_) input.resize(max_len_);
    return input;
  }

 private:
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : random_() % n; }
  uint8_t RandomByte() { return static_cast<uint8_t>(random_()); }

  void MutateOnce(Bytes& data, const Bytes& other) {
    const std::size_t size = data.size();
    switch (Below(10)) {
      case 0:  // Flip a bit.
        if (size > 0) data[Below(size)] ^= static_cast<uint8_t>(1u << Below(8));
        break;
      case 1:  // Replace a byte.
        if (size > 0) data[Below(size)] = RandomByte();
        break;
      case 2: {  // Insert 1 to 4 random bytes.
        const std::size_t at = Below(size + 1);
        const std::size_t n = 1 + Below(4);
        for (std::size_t i = 0; i < n; ++i) data.insert(data.begin() + at, RandomByte());
        break;
      }
      case 3: {  // Erase a range.
        if (size == 0) break;
        const std::size_t at = Below(size);
        const std::size_t n = 1 + Below(std::min<std::size_t>(size - at, 16));
        data.erase(data.begin() + at, data.begin() + at + n);
        break;
      }
      case 4: {  // Copy a chunk of the input to another place in it.
        if (size == 0) break;
        const std::size_t from = Below(size);
        const std::size_t n = 1 + Below(std::min<std::size_t>(size - from, 32));
        const Bytes chunk(data.begin() + from, data.begin() + from + n);
        data.insert(data.begin() + Below(size + 1), chunk.begin(), chunk.end());
        break;
      }
      case 5: {  // Splice: a prefix of this input, then a suffix of another.
        const std::size_t keep = Below(size + 1);
        const std::size_t from = Below(other.size() + 1);
        data.resize(keep);
        data.insert(data.end(), other.begin() + from, other.end());
        break;
      }
      case 6:  // Truncate.
        data.resize(Below(size + 1));
        break;
      case 7: {  // Overwrite with an interesting 1, 2 or 4 byte value (either byte order).
        static constexpr uint32_t kInteresting[] = {
            0,      1,       0x7f,       0x80,       0xff,       0x100, 0x7fff, 0x8000,
            0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 16,    64};
        const uint32_t value = kInteresting[Below(std::size(kInteresting))];
        const std::size_t width = std::size_t{1} << Below(3);
        if (size < width) break;
        const std::size_t at = Below(size - width + 1);
        const bool big_endian = Below(2) == 0;
        for (std::size_t i = 0; i < width; ++i) {
          const std::size_t shift = 8 * (big_endian ? width - 1 - i : i);
          data[at + i] = static_cast<uint8_t>(value >> shift);
        }
        break;
      }
      case 8: {  // Insert or overwrite with a dictionary token.
        if (dictionary_.empty()) break;
        const Bytes& token = dictionary_[Below(dictionary_.size())];
        const std::size_t at = Below(size + 1);
        if (Below(2) == 0 || at + token.size() > size) {
          data.insert(data.begin() + at, token.begin(), token.end());
        } else {
          std::copy(token.begin(), token.end(), data.begin() + at);
        }
        break;
      }
      default: {  // Swap two bytes.
        if (size < 2) break;
        std::swap(data[Below(size)], data[Below(size)]);
        break;
      }
    }
  }

  std::mt19937_64 random_;
  std::vector<Bytes> dictionary_;
  std::size_t max_len_;
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value_of = [&](const char* flag) -> const char* {
      const std::size_t n = strlen(flag);
      return arg.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value_of("-runs=")) {
      options.runs = std::strtol(v, nullptr, 10);
    } else if (const char* v = value_of("-seed=")) {
      options.seed = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value_of("-max_len=")) {
      options.max_len = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value_of("-dict=")) {
      options.dict = v;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "fuzz_replay: ignoring %s\n", arg.c_str());
    } else {
      options.paths.push_back(arg);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  InstallCrashReporting();
  const auto start = std::chrono::steady_clock::now();

  const std::vector<std::pair<std::string, Bytes>> seeds = ReadSeeds(options.paths);
  for (const auto& [name, bytes] : seeds) RunOne(bytes, name);
  // Only explicitly named files (reproducers) and no directories: run them and stop.
  const bool only_files =
      std::none_of(options.paths.begin(), options.paths.end(),
                   [](const std::string& p) { return std::filesystem::is_directory(p); });
  long mutations = 0;
  if (!only_files || options.paths.empty()) {
    std::vector<Bytes> dictionary;
    if (!options.dict.empty()) dictionary = ReadDictionary(options.dict);
    Mutator mutator(options.seed, std::move(dictionary), options.max_len);
    std::mt19937_64 pick(options.seed ^ 0x9e3779b97f4a7c15ull);
    const Bytes empty;
    for (; mutations < options.runs; ++mutations) {
      const std::size_t a = seeds.empty() ? 0 : pick() % seeds.size();
      const std::size_t b = seeds.empty() ? 0 : pick() % seeds.size();
      const Bytes& base = seeds.empty() ? empty : seeds[a].second;
      const Bytes& other = seeds.empty() ? empty : seeds[b].second;
      RunOne(mutator.Mutate(base, other), "mutation #" + std::to_string(mutations) +
                                              " (-seed=" + std::to_string(options.seed) + ") of " +
                                              (seeds.empty() ? "''" : seeds[a].first));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "fuzz_replay: %zu seed input(s) and %ld mutation(s) passed in %.2f s\n",
               seeds.size(), mutations, seconds);
  return 0;
}
