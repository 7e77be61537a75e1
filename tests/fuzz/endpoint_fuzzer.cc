// Fuzz target for reactor/endpoint.h: ParseServerEndpoint() and ParseClientEndpoint().
//
// Properties, for both parsers and any input: parsing never crashes; a failure is
// kInvalidArgument; and a parsed endpoint's ToString() parses back to an equal endpoint whose
// ToString() is the same string (the canonical form is a fixed point). "Equal" is what ToString()
// promises to keep: the address and TLS settings, not backlog, reuseport or timeout (endpoint.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "reactor/endpoint.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::reactor {
namespace {

bool SameTls(const TlsEndpointOptions& a, const TlsEndpointOptions& b) {
  return a.cert_file == b.cert_file && a.key_file == b.key_file && a.ca_file == b.ca_file &&
         a.alpn == b.alpn && a.server_name == b.server_name && a.verify_peer == b.verify_peer;
}

bool SameServer(const ServerEndpoint& a, const ServerEndpoint& b) {
  if (a.kind != b.kind || a.path != b.path) return false;
  if (a.kind == EndpointKind::kUnix) return true;  // A unix socket has no interface or port.
  return a.interface == b.interface && a.port == b.port && SameTls(a.tls, b.tls);
}

bool SameClient(const ClientEndpoint& a, const ClientEndpoint& b) {
  return a.kind == b.kind && a.host == b.host && a.port == b.port && a.path == b.path &&
         SameTls(a.tls, b.tls);
}

std::string Context(absl::string_view text, absl::string_view canonical,
                    const absl::Status& status = absl::OkStatus()) {
  return absl::StrCat("input \"", absl::CHexEscape(text), "\" canonical \"",
                      absl::CHexEscape(canonical), "\" ", status.ToString());
}

template <typename Endpoint, typename Parse, typename Same>
void CheckRoundTrip(absl::string_view text, Parse parse, Same same) {
  const absl::StatusOr<Endpoint> first = parse(text);
  if (!first.ok()) {
    WEFT_FUZZ_CHECK(first.status().code() == absl::StatusCode::kInvalidArgument,
                    Context(text, "", first.status()));
    return;
  }
  const std::string canonical = first->ToString();
  const absl::StatusOr<Endpoint> second = parse(canonical);
  WEFT_FUZZ_CHECK(second.ok(), Context(text, canonical, second.status()));
  WEFT_FUZZ_CHECK(same(*first, *second), Context(text, canonical));
  WEFT_FUZZ_CHECK(second->ToString() == canonical,
                  Context(text, canonical) + " then \"" + second->ToString() + "\"");
}

void FuzzEndpoint(absl::string_view text) {
  CheckRoundTrip<ServerEndpoint>(text, ParseServerEndpoint, SameServer);
  CheckRoundTrip<ClientEndpoint>(text, ParseClientEndpoint, SameClient);
}

}  // namespace
}  // namespace weft::reactor

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::reactor::FuzzEndpoint(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
