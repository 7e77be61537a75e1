// Throwaway X.509 material for TLS tests, generated at run time with the OpenSSL C API.
//
// Part of //reactor/testing (testonly). Nothing here is fit for production: keys are P-256,
// unencrypted, and written under $TEST_TMPDIR. Every certificate is issued by `ca_file` unless
// its comment says otherwise, so a client trusting `ca_file` accepts the good ones.
#ifndef WEFT_REACTOR_TESTING_TEST_CERTS_H_
#define WEFT_REACTOR_TESTING_TEST_CERTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace weft::reactor {

struct TestCertFiles {
  std::string cert_file;
  std::string key_file;
};

struct TestPki {
  std::string dir;
  std::string ca_file;        // The trusted test CA.
  std::string other_ca_file;  // An unrelated CA that issued `untrusted`.
  TestCertFiles localhost;    // SAN DNS:localhost, IP:127.0.0.1; server and client auth.
  TestCertFiles alternate;    // SAN DNS:alt.weft.test, CN alt.weft.test (for SNI tests).
  TestCertFiles expired;      // Like `localhost`, but expired yesterday.
  TestCertFiles untrusted;    // Like `localhost`, but issued by `other_ca_file`.
  TestCertFiles client;       // CN weft-test-client, client auth.
  std::string garbage_file;   // Bytes that are not PEM at all.
};

// Generates a fresh PKI into `dir`, which must exist. kInternal naming the OpenSSL step that
// failed.
absl::StatusOr<TestPki> CreateTestPki(const std::string& dir);

// A PKI generated once per process under $TEST_TMPDIR (or /tmp); aborts when generation fails.
const TestPki& SharedTestPki();

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_TEST_CERTS_H_
