// REST bindings checked against descriptors, and requests built from path, query and body.
#include "gateways/http/rest_routes.h"

#include <string>
#include <vector>

#include "demo/calculator.pb.h"
#include "gateways/http/testdata/xmlrpc_mapping_test.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::gateways::http {
namespace {

namespace ph = protocols::http;
using testdata::AllTypes;
using ::testing::HasSubstr;
using ::weft::testing::StatusIs;

const google::protobuf::MethodDescriptor& Add() {
  return *demo::Calculator::descriptor()->FindMethodByName("Add");
}
const google::protobuf::MethodDescriptor& Echo() {
  return *AllTypes::descriptor()->file()->FindServiceByName("Everything")->FindMethodByName("Echo");
}

RestRouteSpec Spec(ph::HttpMethod method, std::string path, std::string body = "",
                   std::string response_body = "") {
  return RestRouteSpec{method, std::move(path), "x.Y.Z", std::move(body), std::move(response_body)};
}

TEST(RestRoutesTest, BindingsAreCheckedAgainstTheMethod) {
  EXPECT_TRUE(BindRestRoute(Spec(ph::HttpMethod::kGet, "/add/{a}/{b}"), Add()).ok());
  EXPECT_THAT(BindRestRoute(Spec(ph::HttpMethod::kGet, "/add/{c}"), Add()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'c' is not a singular field of demo.AddRequest")));
  EXPECT_THAT(BindRestRoute(Spec(ph::HttpMethod::kPost, "/add", "nope"), Add()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body: demo.AddRequest")));
  EXPECT_THAT(BindRestRoute(Spec(ph::HttpMethod::kGet, "/add", "", "sum"), Add()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'sum' is not a singular message field")));
  EXPECT_THAT(BindRestRoute(Spec(ph::HttpMethod::kGet, "/add/{a"), Add()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path template")));
  EXPECT_THAT(RestMethodFromName("TRACE"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RestRoutesTest, RequestFromPathQueryAndBody) {
  absl::StatusOr<RestRoute> route =
      BindRestRoute(Spec(ph::HttpMethod::kPost, "/echo/{f_string}/{inner.count}", "*"), Echo());
  ASSERT_TRUE(route.ok()) << route.status();
  AllTypes request;
  std::string scratch;
  const std::vector<ph::PathTemplate::Binding> bindings = {{"f_string", "a b"},
                                                           {"inner.count", "7"}};
  ASSERT_TRUE(BuildRestRequest(*route, bindings,
                               "f_bool=true&numbers=1&numbers=2&when=2026-01-02T03:04:05Z",
                               R"({"fInt64":"9"})", request, scratch)
                  .ok());
  EXPECT_EQ(request.f_string(), "a b");
  EXPECT_EQ(request.inner().count(), 7);
  EXPECT_TRUE(request.f_bool());
  EXPECT_EQ(request.f_int64(), 9);
  EXPECT_EQ(request.numbers_size(), 2);
  EXPECT_EQ(request.when().seconds(), 1767323045);

  EXPECT_THAT(BuildRestRequest(*route, {}, "f_int32=x", "", request, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'x' is not an int32")));
  EXPECT_THAT(BuildRestRequest(*route, {}, "nothing=1", "", request, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no field 'nothing'")));
  EXPECT_THAT(BuildRestRequest(*route, {}, "a=%zz", "", request, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("percent-encoding")));
  EXPECT_THAT(BuildRestRequest(*route, {}, "", "[1]", request, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body")));

  absl::StatusOr<RestRoute> no_body = BindRestRoute(Spec(ph::HttpMethod::kGet, "/echo"), Echo());
  ASSERT_TRUE(no_body.ok());
  EXPECT_THAT(BuildRestRequest(*no_body, {}, "", "{}", request, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("takes no body")));
}

TEST(RestRoutesTest, ErrorBodyHasTheStatusShape) {
  std::string out;
  WriteRestError(absl::NotFoundError("no \"such\" thing"), out);
  EXPECT_EQ(out, R"({"code":5,"status":"NOT_FOUND","message":"no \"such\" thing"})");
}

}  // namespace
}  // namespace weft::gateways::http
