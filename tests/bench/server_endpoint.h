// The command-line convention shared by the C baseline echo servers (uv_echo_server,
// epoll_echo_server), matching Weft's examples/echo/echo_server and twisted_echo.py:
//
//   SERVER tcp:PORT[:interface=ADDR][:backlog=N]     (or just PORT)
//
// PORT 0 picks a free port. Once listening, the server prints one line to stdout,
//   listening on tcp:<bound port>:interface=<addr>
// and flushes it; the benchmark runner reads the port from that line.
//
// Part of //tests/bench. Plain C so the baselines carry no C++ runtime.
#ifndef WEFT_TESTS_BENCH_SERVER_ENDPOINT_H_
#define WEFT_TESTS_BENCH_SERVER_ENDPOINT_H_

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

struct BenchEndpoint {
  struct sockaddr_in address;  // IPv4 only; the benchmark runs over loopback.
  int backlog;
};

// Parses `text` (see above). Interface defaults to 127.0.0.1 and backlog to 1024, Weft's
// default. Returns 0, or -1 after printing the reason to stderr.
int ParseBenchEndpoint(const char* text, struct BenchEndpoint* endpoint);

// Prints the "listening on" line for `bound` (the address after bind) and flushes stdout.
void PrintListening(const struct sockaddr_in* bound);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WEFT_TESTS_BENCH_SERVER_ENDPOINT_H_
