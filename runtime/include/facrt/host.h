/*===- host.h - libfacrt_host, the model host ----------------------*- C -*-===*
 *
 * llama2.c checkpoints and their forward pass with a pluggable attention,
 * the tokenizer, and file checksums: what runs a compiled attention inside
 * a real model. Built on libfacrt (facrt/facrt.h).
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_HOST_H
#define FACRT_HOST_H

#include "facrt/facrt.h"
#include "facrt/host/checksum.h"
#include "facrt/host/llama.h"
#include "facrt/host/tokenizer.h"

#endif /* FACRT_HOST_H */
