// Readers for the text of XML-RPC scalar elements: <int>, <i4>, <i8>, <boolean>, <double> and
// <base64>.
//
// Part of //protocols/xmlrpc, used by the decoder and exposed (namespace internal) for its
// tests. Each returns kInvalidArgument with a message "xmlrpc: ..." naming the element and
// quoting (a prefix of) the text. The decoder trims surrounding XML whitespace before calling
// the number and boolean readers (TrimXmlWhitespace); the readers themselves allow none.
#ifndef WEFT_PROTOCOLS_XMLRPC_SCALAR_TEXT_H_
#define WEFT_PROTOCOLS_XMLRPC_SCALAR_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::protocols::xmlrpc::internal {

// XML's whitespace (XML 1.0 §2.3 production S): space, tab, CR and LF.
bool IsXmlWhitespace(absl::string_view text);
absl::string_view TrimXmlWhitespace(absl::string_view text);

// Spec: "an optional plus or minus sign followed by digits"; leading zeros allowed. The value
// must lie in [min, max]; `element` ("int", "i4", "i8") names the element in messages.
absl::StatusOr<int64_t> ParseIntText(absl::string_view text, absl::string_view element, int64_t min,
                                     int64_t max);

// Spec: "0 (false) or 1 (true)"; nothing else (no "true"/"false").
absl::StatusOr<bool> ParseBooleanText(absl::string_view text);

// The spec's form ([+-]digits.digits) and, as Python's repr() writes for large and small
// values, an exponent ("1e+100"); at least one digit before the exponent. No "inf", "nan",
// hexadecimal, or a value outside the range of a finite double (overflow or underflow to 0).
absl::StatusOr<double> ParseDoubleText(absl::string_view text);

// Decodes RFC 4648 §4 base64 in place, resizing `text` to the decoded bytes. XML whitespace
// anywhere is skipped (Python's encodebytes() breaks lines every 76 characters); the rest must
// be the alphabet, padded with "=" to a multiple of 4 characters.
absl::Status DecodeBase64InPlace(std::string& text);

}  // namespace weft::protocols::xmlrpc::internal

#endif  // WEFT_PROTOCOLS_XMLRPC_SCALAR_TEXT_H_
