// The codec's steady state allocates nothing of its own: once a MethodCall's tree, the
// decoder's buffers and the output string have grown to their working size, parsing a call,
// encoding its response and parsing a response use no operator new. Counted by replacing the
// global operator new in this test binary. (expat allocates with malloc inside each parse,
// which this does not count: it resets its tables between documents.)
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace weft::protocols::xmlrpc {
namespace {

// Python's xmlrpc.client.dumps((1, "a", 2.5, True, None, Binary(b"\0\1"), {"a": [1, 2]}),
// "demo.Calculator.Add", allow_none=True), with a dateTime added.
constexpr absl::string_view kCall =
    "<?xml version='1.0'?>\n<methodCall>\n<methodName>demo.Calculator.Add</methodName>\n"
    "<params>\n<param>\n<value><int>1</int></value>\n</param>\n<param>\n"
    "<value><string>a</string></value>\n</param>\n<param>\n<value><double>2.5</double></value>\n"
    "</param>\n<param>\n<value><boolean>1</boolean></value>\n</param>\n<param>\n"
    "<value><nil/></value></param>\n<param>\n<value><base64>\nAAE=\n</base64></value>\n</param>\n"
    "<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n"
    "<value><int>1</int></value>\n<value><int>2</int></value>\n</data></array></value>\n"
    "</member>\n<member>\n<name>b</name>\n<value>x</value>\n</member>\n</struct></value>\n"
    "</param>\n<param>\n<value><dateTime.iso8601>20260125T12:00:00</dateTime.iso8601></value>\n"
    "</param>\n</params>\n</methodCall>\n";

// Parses the call, answers with its params, and parses that answer; true when all worked.
bool ServeOnce(XmlRpcDecoder& decoder, MethodCall& call, MethodResponse& response,
               std::string& out) {
  if (!decoder.ParseCall(kCall, call).ok()) return false;
  out.clear();
  if (!EncodeResponse(call.params(), out).ok()) return false;
  if (!decoder.ParseResponse(out, response).ok()) return false;
  if (!(response.value() == call.params())) return false;
  out.clear();
  AppendResponseBegin(out);
  ValueWriter writer(out);
  writer.BeginStruct();
  writer.BeginMember("sum");
  writer.AppendInt(3);
  writer.EndMember();
  writer.BeginMember("first");
  writer.AppendValue(*call.params().elements().begin());
  writer.EndMember();
  writer.EndStruct();
  AppendResponseEnd(out);
  return writer.status().ok();
}

TEST(XmlRpcDecoderAllocTest, SteadyStateAllocatesNothing) {
  XmlRpcDecoder decoder;
  MethodCall call;
  MethodResponse response;
  std::string out;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ServeOnce(decoder, call, response, out));

  allocations = 0;
  counting = true;
  bool ok = true;
  for (int i = 0; i < 100; ++i) ok = ok && ServeOnce(decoder, call, response, out);
  counting = false;
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations.load(), 0);
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
