#!/usr/bin/env python3
"""Writes a small random llama2.c checkpoint and a tokenizer for it.

make-llama.py MODEL TOKENIZER: a multi-head model (6 heads, 6 K/V heads,
dim 48, 2 layers, context 80, vocabulary 300), unlike stories260K's
grouped-query heads, for testing fac-run on a checkpoint it has never seen.
The tokenizer has llama2.c's special pieces, the 256 byte pieces at ids
3..258, and 41 more pieces for the rest of the vocabulary.
"""
import random
import struct
import sys

DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ = 48, 96, 2, 6, 6, 300, 80


def main():
    rng = random.Random(11)
    head = DIM // HEADS
    kv_dim = DIM * KV_HEADS // HEADS

    def gauss(n, sigma=0.3):
        return [rng.gauss(0.0, sigma) for _ in range(n)]

    weights = (gauss(VOCAB * DIM)                 # token embedding
               + [1.0] * (LAYERS * DIM)          # rms_att
               + gauss(LAYERS * DIM * DIM)       # wq
               + gauss(LAYERS * kv_dim * DIM)    # wk
               + gauss(LAYERS * kv_dim * DIM)    # wv
               + gauss(LAYERS * DIM * DIM)       # wo
               + [1.0] * (LAYERS * DIM)          # rms_ffn
               + gauss(LAYERS * HIDDEN * DIM)    # w1
               + gauss(LAYERS * DIM * HIDDEN)    # w2
               + gauss(LAYERS * HIDDEN * DIM)    # w3
               + [1.0] * DIM                     # rms_final
               + [0.0] * (SEQ * head))           # legacy RoPE tables
    with open(sys.argv[1], "wb") as f:
        # A positive vocabulary size: the classifier is the embedding.
        f.write(struct.pack("7i", DIM, HIDDEN, LAYERS, HEADS, KV_HEADS,
                            VOCAB, SEQ))
        f.write(struct.pack(f"{len(weights)}f", *weights))

    pieces = [b"<unk>", b"\n<s>\n", b"\n</s>\n"]
    pieces += [b"<0x%02X>" % i for i in range(256)]
    pieces += [b" " + bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyz"]
    pieces += [b"th", b"he", b"in", b"er", b"an", b"re", b"on", b"at", b"en",
               b"nd", b"ti", b"es", b"or", b"st", b"ed"]
    assert len(pieces) == VOCAB
    with open(sys.argv[2], "wb") as f:
        f.write(struct.pack("i", max(len(p) for p in pieces)))
        for i, piece in enumerate(pieces):
            score = -float(i) if i >= 259 else 0.0
            f.write(struct.pack("fi", score, len(piece)) + piece)


if __name__ == "__main__":
    main()
