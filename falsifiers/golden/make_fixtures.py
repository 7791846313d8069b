#!/usr/bin/env python3
"""Regenerates the golden fixtures under falsifiers/golden/ from independent references.

  .venv/bin/python falsifiers/golden/make_fixtures.py          # check: regenerate and compare
  pv approve                                                    # accept *.unapproved.* files

References, sharing nothing with the C++ engine:
  * dequantisation: the `gguf` Python package maintained with llama.cpp (gguf.quants.dequantize);
  * the MoE sublayer h' = h + MoE(RMSNorm(h)): the float64 numpy code below, written from
    ../shared/docs/moe-facts.md (softmax over all E, top-k with ties to the lower index,
    renormalise, SwiGLU experts, residual).

Inputs are drawn from a fixed numpy seed, so a rerun produces the same bytes. When a file
would change, the script leaves the committed fixture alone and writes
`<fixture>.unapproved.<ext>` beside it (and exits 1); `pv approve` moves it into place and
updates manifest.json. New fixtures (no committed file yet) are written directly.
"""
import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as QT
from gguf import quants

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20251126
QK_K = 256
BLOCK_BYTES = {QT.Q4_K: 144, QT.Q6_K: 210, QT.Q8_0: 34}
BLOCK_VALUES = {QT.Q4_K: 256, QT.Q6_K: 256, QT.Q8_0: 32}

# ---------------------------------------------------------------------------------------------
# Quantised blocks: random bytes with chosen f16 scales (offsets from the GGUF block layouts).
# Adversarial kinds are the ones that break naive dequantisers.
KINDS = ["random", "zero", "tiny_scale", "huge_scale", "all_max"]


def scale_f16(kind, rng, lo_exp=-10, hi_exp=-1):
    if kind == "zero":
        return np.uint16(0)
    if kind == "tiny_scale":
        return np.uint16(rng.integers(1, 0x400))  # subnormal f16
    if kind == "huge_scale":
        return np.uint16(0x7BFF)  # 65504, the largest finite f16
    if kind == "all_max":
        return np.uint16(0x3C00)  # 1.0
    return np.float16(2.0 ** rng.uniform(lo_exp, hi_exp)).view(np.uint16)


def make_block(qtype, kind, rng, lo_exp=-10, hi_exp=-1):
    b = bytearray(rng.integers(0, 256, BLOCK_BYTES[qtype], dtype=np.uint8).tobytes())
    put16 = lambda off, v: b.__setitem__(slice(off, off + 2), int(v).to_bytes(2, "little"))
    if qtype == QT.Q4_K:  # f16 d, f16 dmin, u8 scales[12], u8 qs[128]
        put16(0, scale_f16(kind, rng, lo_exp, hi_exp))
        put16(2, scale_f16(kind, rng, lo_exp, hi_exp))
        if kind == "all_max":
            b[4:144] = b"\xff" * 140
    elif qtype == QT.Q6_K:  # u8 ql[128], u8 qh[64], i8 scales[16], f16 d
        put16(208, scale_f16(kind, rng, lo_exp, hi_exp))
        if kind == "all_max":
            b[0:192] = b"\xff" * 192
            b[192:208] = b"\x7f" * 16
    elif qtype == QT.Q8_0:  # f16 d, i8 qs[32]
        put16(0, scale_f16(kind, rng, lo_exp, hi_exp))
        if kind == "all_max":
            b[2:34] = b"\x7f" * 32
    return bytes(b)


def dequant(qtype, raw, n_values):
    out = quants.dequantize(np.frombuffer(raw, dtype=np.uint8), qtype)
    return np.asarray(out, dtype=np.float32).reshape(-1)[:n_values]


# ---------------------------------------------------------------------------------------------
# The MoE sublayer in float64.
def moe_f64(h, norm_w, router, gate, up, down, k, eps):
    """h [T, d]; gate/up [E, ffn, d]; down [E, d, ffn]; all float64."""
    x = h / np.sqrt(np.mean(h * h, axis=1, keepdims=True) + eps) * norm_w
    logits = x @ router.T                                    # [T, E]
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = z / z.sum(axis=1, keepdims=True)                     # softmax over all E
    out = h.copy()
    margins = []
    for t in range(h.shape[0]):
        order = sorted(range(p.shape[1]), key=lambda e: (-p[t, e], e))  # ties: lower index
        sel = order[:k]
        if k < p.shape[1]:
            margins.append(p[t, order[k - 1]] - p[t, order[k]])
        w = p[t, sel]
        w = w / w.sum() if w.sum() > 0 else np.full(k, 1.0 / k)
        for e, we in zip(sel, w):
            g = gate[e] @ x[t]
            u = up[e] @ x[t]
            act = g / (1.0 + np.exp(-g)) * u                 # silu(g) * u
            out[t] += we * (down[e] @ act)
    return out, (min(margins) if margins else np.inf)


def expert_tensor(qtype, n_experts, rows, cols, rng, lo_exp, hi_exp):
    per_row = cols // BLOCK_VALUES[qtype]
    raw = b"".join(make_block(qtype, "random", rng, lo_exp, hi_exp)
                   for _ in range(n_experts * rows * per_row))
    values = dequant(qtype, raw, n_experts * rows * cols).astype(np.float64)
    return raw, values.reshape(n_experts, rows, cols)


# ---------------------------------------------------------------------------------------------
def build():
    """Returns {relative path: (bytes, meta)} and the forward config."""
    rng = np.random.default_rng(SEED)
    files = {}

    def npy_bytes(a):
        import io
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(a, dtype="<f4"), allow_pickle=False)
        return buf.getvalue()

    # Dequantisation goldens: 8 random blocks, then 2 of each adversarial kind, per type.
    for qtype, name in [(QT.Q4_K, "q4_k"), (QT.Q6_K, "q6_k"), (QT.Q8_0, "q8_0")]:
        kinds = ["random"] * 8 + [k for k in KINDS[1:] for _ in range(2)]
        raw = b"".join(make_block(qtype, k, rng) for k in kinds)
        n = len(kinds) * BLOCK_VALUES[qtype]
        vals = dequant(qtype, raw, n)
        files[f"qk/{name}.blocks.bin"] = (raw, {"shape": [len(kinds)], "dtype": name.upper() + " blocks",
                                                "kinds": kinds})
        files[f"qk/{name}.expected.npy"] = (npy_bytes(vals.reshape(1, n)), {"shape": [1, n], "dtype": "float32",
                                            "reference": "gguf.quants.dequantize"})

    # Forward golden: one MoE layer, small enough to keep the fixture a few hundred KB.
    cfg = {"hidden": 256, "n_experts": 3, "top_k": 2, "expert_ffn": 256, "tokens": 5, "rms_eps": 1e-6,
           "gate_type": "Q4_K", "up_type": "Q4_K", "down_type": "Q6_K"}
    d, E, k, F, T = cfg["hidden"], cfg["n_experts"], cfg["top_k"], cfg["expert_ffn"], cfg["tokens"]
    gate_raw, gate = expert_tensor(QT.Q4_K, E, F, d, rng, -13, -11)
    up_raw, up = expert_tensor(QT.Q4_K, E, F, d, rng, -13, -11)
    down_raw, down = expert_tensor(QT.Q6_K, E, d, F, rng, -13, -11)
    norm_w = (1.0 + 0.1 * rng.standard_normal(d)).astype(np.float32)
    # Router rows and inputs are redrawn until every token's k-th and (k+1)-th probabilities
    # differ by >= 1e-3, so an f32 engine cannot legitimately select different experts.
    for _ in range(100):
        router = (rng.standard_normal((E, d)) / 4).astype(np.float32)
        h = rng.standard_normal((T, d)).astype(np.float32)
        out, margin = moe_f64(h.astype(np.float64), norm_w.astype(np.float64), router.astype(np.float64),
                              gate, up, down, k, cfg["rms_eps"])
        if margin >= 1e-3:
            break
    else:
        raise SystemExit("could not draw a router with clear top-k margins")
    cfg["min_topk_margin"] = float(margin)
    files["moe/h.npy"] = (npy_bytes(h), {"shape": [T, d], "dtype": "float32"})
    files["moe/ffn_norm.npy"] = (npy_bytes(norm_w.reshape(1, d)), {"shape": [1, d], "dtype": "float32"})
    files["moe/router.npy"] = (npy_bytes(router), {"shape": [E, d], "dtype": "float32"})
    files["moe/gate.bin"] = (gate_raw, {"shape": [E, F, d], "dtype": "Q4_K"})
    files["moe/up.bin"] = (up_raw, {"shape": [E, F, d], "dtype": "Q4_K"})
    files["moe/down.bin"] = (down_raw, {"shape": [E, d, F], "dtype": "Q6_K"})
    # float64 result rounded to float32 for the .npy reader: adds at most 2^-24 relative error.
    files["moe/expected.npy"] = (npy_bytes(out), {"shape": [T, d], "dtype": "float32",
                                                  "reference": "numpy float64 sublayer (make_fixtures.py)"})
    return files, cfg


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def main():
    files, cfg = build()
    manifest = {"format": "pv-golden-manifest", "version": 1,
                "generator": "falsifiers/golden/make_fixtures.py", "seed": SEED,
                "moe_config": cfg, "files": {}}
    pending = []
    for rel, (data, meta) in sorted(files.items()):
        path = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        manifest["files"][rel] = dict(meta, sha256=sha256(data), bytes=len(data))
        if os.path.exists(path):
            with open(path, "rb") as f:
                if f.read() == data:
                    continue
            stem, ext = os.path.splitext(path)
            with open(f"{stem}.unapproved{ext}", "wb") as f:
                f.write(data)
            pending.append(rel)
        else:
            with open(path, "wb") as f:
                f.write(data)
    mpath = os.path.join(HERE, "manifest.json")
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    if pending:
        # The committed manifest keeps describing the committed files; pv approve updates it.
        print("fixtures differ from the regenerated ones (written as *.unapproved.*):", *pending, sep="\n  ")
        print("inspect them, then run `pv approve` to accept")
        return 1
    with open(mpath, "w") as f:
        f.write(text)
    total = sum(m["bytes"] for m in manifest["files"].values())
    print(f"golden fixtures up to date: {len(files)} files, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
