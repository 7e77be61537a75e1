#include "reactor/testing/test_certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::reactor {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;

constexpr long kDay = 24 * 60 * 60;

absl::Status OpenSslError(absl::string_view step) {
  char buffer[256] = "unknown error";
  if (const unsigned long error = ERR_get_error()) {
    ERR_error_string_n(error, buffer, sizeof(buffer));
  }
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("test_certs: ", step, ": ", buffer));
}

struct Issued {
  KeyPtr key;
  CertPtr cert;
};

struct Spec {
  std::string common_name;
  std::string subject_alt_names;  // X509v3 config syntax; empty for none.
  bool is_ca = false;
  long not_before = -kDay;  // Seconds relative to now.
  long not_after = 30 * kDay;
};

Spec CaSpec(std::string common_name) {
  Spec spec;
  spec.common_name = std::move(common_name);
  spec.is_ca = true;
  return spec;
}

Spec LeafSpec(std::string common_name, std::string subject_alt_names) {
  Spec spec;
  spec.common_name = std::move(common_name);
  spec.subject_alt_names = std::move(subject_alt_names);
  return spec;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return OpenSslError(absl::StrCat("extension ", OBJ_nid2sn(nid)));
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) return OpenSslError("X509_add_ext");
  return absl::OkStatus();
}

// Issues a certificate for a fresh P-256 key, signed by `issuer` (self-signed when null).
absl::StatusOr<Issued> Issue(const Spec& spec, const Issued* issuer) {
  static long serial = 1;
  Issued out{KeyPtr(EVP_EC_gen("P-256")), CertPtr(X509_new())};
  if (out.key == nullptr || out.cert == nullptr) return OpenSslError("key generation");
  X509* cert = out.cert.get();
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Weft Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  absl::Status s = AddExtension(cert, issuer_cert, NID_basic_constraints,
                                spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (s.ok()) {
    s = AddExtension(cert, issuer_cert, NID_key_usage,
                     spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  }
  if (s.ok()) s = AddExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (s.ok() && issuer != nullptr) {
    s = AddExtension(cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
  }
  if (s.ok() && !spec.is_ca) {
    s = AddExtension(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (s.ok() && !spec.subject_alt_names.empty()) {
    s = AddExtension(cert, issuer_cert, NID_subject_alt_name, spec.subject_alt_names);
  }
  if (!s.ok()) return s;
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  if (X509_sign(cert, signing_key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return out;
}

absl::Status WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  if (bio == nullptr) return OpenSslError(absl::StrCat("open ", path));
  const bool ok = cert != nullptr ? PEM_write_bio_X509(bio, cert) == 1
                                  : PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr,
                                                             nullptr) == 1;
  BIO_free(bio);
  if (!ok) return OpenSslError(absl::StrCat("write ", path));
  return absl::OkStatus();
}

absl::StatusOr<TestCertFiles> IssueToFiles(const std::string& dir, const std::string& stem,
                                           const Spec& spec, const Issued& issuer) {
  absl::StatusOr<Issued> issued = Issue(spec, &issuer);
  if (!issued.ok()) return issued.status();
  TestCertFiles files{absl::StrCat(dir, "/", stem, ".crt"), absl::StrCat(dir, "/", stem, ".key")};
  if (absl::Status s = WritePem(files.cert_file, issued->cert.get(), nullptr); !s.ok()) return s;
  if (absl::Status s = WritePem(files.key_file, nullptr, issued->key.get()); !s.ok()) return s;
  return files;
}

}  // namespace

absl::StatusOr<TestPki> CreateTestPki(const std::string& dir) {
  TestPki pki;
  pki.dir = dir;
  absl::StatusOr<Issued> ca = Issue(CaSpec("Weft Test CA"), nullptr);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<Issued> other_ca = Issue(CaSpec("Unrelated Test CA"), nullptr);
  if (!other_ca.ok()) return other_ca.status();
  pki.ca_file = absl::StrCat(dir, "/ca.crt");
  pki.other_ca_file = absl::StrCat(dir, "/other_ca.crt");
  if (absl::Status s = WritePem(pki.ca_file, ca->cert.get(), nullptr); !s.ok()) return s;
  if (absl::Status s = WritePem(pki.other_ca_file, other_ca->cert.get(), nullptr); !s.ok()) {
    return s;
  }
  const Spec localhost = LeafSpec("localhost", "DNS:localhost,IP:127.0.0.1");
  Spec expired = localhost;
  expired.not_before = -10 * kDay;
  expired.not_after = -kDay;
  const struct {
    TestCertFiles* files;
    const char* stem;
    Spec spec;
    const Issued& issuer;
  } leaves[] = {
      {&pki.localhost, "localhost", localhost, *ca},
      {&pki.alternate, "alternate", LeafSpec("alt.weft.test", "DNS:alt.weft.test"), *ca},
      {&pki.expired, "expired", expired, *ca},
      {&pki.untrusted, "untrusted", localhost, *other_ca},
      {&pki.client, "client", LeafSpec("weft-test-client", ""), *ca},
  };
  for (const auto& leaf : leaves) {
    absl::StatusOr<TestCertFiles> files = IssueToFiles(dir, leaf.stem, leaf.spec, leaf.issuer);
    if (!files.ok()) return files.status();
    *leaf.files = *std::move(files);
  }
  pki.garbage_file = absl::StrCat(dir, "/garbage.pem");
  std::FILE* f = std::fopen(pki.garbage_file.c_str(), "w");
  if (f == nullptr) return absl::InternalError("test_certs: cannot write garbage file");
  std::fputs("this is not a PEM file\n\x01\x02\x03", f);
  std::fclose(f);
  return pki;
}

const TestPki& SharedTestPki() {
  static const TestPki* const pki = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/weft_test_pki_XXXXXX");
    WEFT_CHECK(mkdtemp(dir.data()) != nullptr);
    absl::StatusOr<TestPki> created = CreateTestPki(dir);
    if (!created.ok()) std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    WEFT_CHECK(created.ok());
    return new TestPki(*std::move(created));
  }();
  return *pki;
}

}  // namespace weft::reactor
