#!/usr/bin/env python3
"""Writes a small llama2.c checkpoint (dim 16, 2 heads, 1 KV head, hidden
32, 2 layers, vocab 300, seq_len 16) of Gaussian weights, for tests of the
tools that read checkpoints without the real model.

usage: make-checkpoint.py OUT [--nan]   (--nan: one weight of wq is NaN)
"""
import random
import struct
import sys

dim, hidden, layers, heads, kv_heads, vocab, seq_len = 16, 32, 2, 2, 1, 300, 16
kv = dim * kv_heads // heads
head = dim // heads
floats = (vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kv * dim +
                                  3 * hidden * dim) + dim + seq_len * head)
rng = random.Random(5)
values = [rng.gauss(0.0, 0.2) for _ in range(floats)]
if "--nan" in sys.argv[2:]:
    # The first weight of layer 0's wq, after the embedding and rms_att.
    values[vocab * dim + layers * dim] = float("nan")
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab,
                        seq_len))
    f.write(struct.pack("<%df" % floats, *values))
