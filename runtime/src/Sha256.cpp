//===- Sha256.cpp - File checksums ----------------------------------------===//
//
// sha256 of data files through OpenSSL's libcrypto, so that loaders can
// refuse a file that is not the one the tests were written against.
//
//===----------------------------------------------------------------------===//

#include "facrt/host.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <memory>

extern "C" facrt_status facrt_sha256_file(const char *path, char hex[65]) {
  if (!path || !hex)
    return FACRT_ERR_ARG;
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path, "rb"),
                                              &std::fclose);
  if (!file)
    return FACRT_ERR_IO;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX *)> ctx(EVP_MD_CTX_new(),
                                                          &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return FACRT_ERR_NOMEM;
  unsigned char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), file.get())) > 0)
    EVP_DigestUpdate(ctx.get(), buf, got);
  if (std::ferror(file.get()))
    return FACRT_ERR_IO;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  static const char *kDigits = "0123456789abcdef";
  for (unsigned i = 0; i < len && i < 32; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 15];
  }
  hex[64] = '\0';
  return FACRT_OK;
}

extern "C" facrt_status facrt_verify_sha256(const char *path,
                                            const char *expected_sha256) {
  if (!expected_sha256)
    return FACRT_OK;
  char hex[65];
  if (facrt_status s = facrt_sha256_file(path, hex))
    return s;
  return std::strcmp(hex, expected_sha256) == 0 ? FACRT_OK : FACRT_ERR_CHECKSUM;
}
