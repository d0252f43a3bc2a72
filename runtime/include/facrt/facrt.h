/*===- facrt.h - libfacrt, the FAC runtime -------------------------*- C -*-===*
 *
 * Everything libfacrt offers: the kernels' ABI, the references, the arena
 * and the seed's algorithms. The kernels need only facrt/abi.h; the model
 * host (llama2.c checkpoints, the tokenizer, checksums) is libfacrt_host,
 * facrt/host.h.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_FACRT_H
#define FACRT_FACRT_H

#include "facrt/abi.h"
#include "facrt/arena.h"
#include "facrt/compression.h"
#include "facrt/fractal.h"
#include "facrt/reference.h"

#endif /* FACRT_FACRT_H */
