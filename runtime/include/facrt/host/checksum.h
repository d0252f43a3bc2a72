/*===- host/checksum.h - File checksums ----------------------------*- C -*-===*
 *
 * The sha256 of files: real data is read in place and checked. Part of
 * libfacrt_host (OpenSSL's libcrypto computes it).
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_HOST_CHECKSUM_H
#define FACRT_HOST_CHECKSUM_H

#include "facrt/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===-- sha256 ------------------------------------------------------------===*/

/// The sha256 of a file as 64 lowercase hex digits plus a NUL.
facrt_status facrt_sha256_file(const char *path, char hex[65]);

/// FACRT_OK when \p expected_sha256 is NULL or is the file's sha256,
/// FACRT_ERR_CHECKSUM when it is not, FACRT_ERR_IO when the file is
/// unreadable.
facrt_status facrt_verify_sha256(const char *path, const char *expected_sha256);

#ifdef __cplusplus
}
#endif

#endif /* FACRT_HOST_CHECKSUM_H */
