// SPDX-License-Identifier: MIT
// A self-signed TLS certificate for 127.0.0.1, made with OpenSSL, for tests
// that serve HTTPS on loopback.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

namespace quik_test {

// Writes a self-signed certificate (a CA for itself) for IP 127.0.0.1 and its
// P-256 key as PEM files, valid for an hour.
inline void WriteTestCertificate(const std::string& cert, const std::string& key) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(pkey);
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
  REQUIRE(x509);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("quik test"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  for (const auto& [ext, value] :
       {std::pair<const char*, const char*>{"subjectAltName", "IP:127.0.0.1"},
        {"basicConstraints", "CA:TRUE"}}) {
    X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &ctx, ext, value);
    REQUIRE(e != nullptr);
    X509_add_ext(x509.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  REQUIRE(X509_sign(x509.get(), pkey.get(), EVP_sha256()) > 0);
  struct Closer {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, Closer> cf(std::fopen(cert.c_str(), "w"));
  std::unique_ptr<FILE, Closer> kf(std::fopen(key.c_str(), "w"));
  REQUIRE((cf && kf));
  REQUIRE(PEM_write_X509(cf.get(), x509.get()) == 1);
  REQUIRE(PEM_write_PrivateKey(kf.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
}

}  // namespace quik_test
