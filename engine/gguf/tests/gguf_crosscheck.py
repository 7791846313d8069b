#!/usr/bin/env python3
"""Checks our GGUF files and dequantisation against the independent `gguf` package (PyPI,
maintained with llama.cpp).

usage: gguf_crosscheck.py PV_DUMP_DEQUANT OUT_DIR

1. model.gguf (a `pv synth` tiny file) opens in gguf.GGUFReader with the same metadata keys,
   value types and values, tensor names (in order), shapes (fastest-first), types and data
   offsets as our reader reports in model.json; gguf.quants.dequantize of every tensor equals
   ours bit for bit (np.array_equal on f32).
2. blocks.gguf: random and edge-case Q4_K / Q6_K / Q8_0 blocks; gguf's dequantisation equals
   ours exactly. The "nonfinite" sets (inf/NaN f16 scales) are compared with NaN == NaN
   (equal_nan=True) after checking the NaN positions agree: IEEE fixes which results are NaN,
   not their payload bits.
Reproduce: .venv/bin/python engine/gguf/tests/gguf_crosscheck.py build/engine/gguf/tests/pv_dump_dequant /tmp/xc
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    from gguf import GGUFReader
    from gguf.quants import dequantize
except ImportError as e:  # the venv lacks the reference packages
    print(f"gguf_crosscheck: cannot import numpy/gguf ({e}); run: bash ci/install-deps.sh")
    sys.exit(1)

failures = []


def fail(msg):
    failures.append(msg)
    print("MISMATCH:", msg)


def field_value(field):
    v = field.contents()
    return v


def check_model(out):
    ours = json.load(open(os.path.join(out, "model.json")))
    r = GGUFReader(os.path.join(out, "model.gguf"))
    theirs = {k: f for k, f in r.fields.items() if not k.startswith("GGUF.")}
    if sorted(theirs) != sorted(ours["metadata"]):
        fail(f"metadata keys differ: gguf {sorted(theirs)} vs ours {sorted(ours['metadata'])}")
    type_names = {"UINT8": "u8", "INT8": "i8", "UINT16": "u16", "INT16": "i16", "UINT32": "u32", "INT32": "i32",
                  "FLOAT32": "f32", "BOOL": "bool", "STRING": "string", "ARRAY": "array", "UINT64": "u64",
                  "INT64": "i64", "FLOAT64": "f64"}
    for k, f in theirs.items():
        if k not in ours["metadata"]:
            continue
        mine = ours["metadata"][k]
        if type_names[f.types[0].name] != mine["type"]:
            fail(f"key {k}: type {f.types[0].name} vs ours {mine['type']}")
        v = field_value(f)
        if isinstance(v, float):
            same = np.float32(v) == np.float32(mine["value"])
        else:
            same = v == mine["value"]
        if not same:
            fail(f"key {k}: value {v!r} vs ours {mine['value']!r}")
    names = [t.name for t in r.tensors]
    if names != [t["name"] for t in ours["tensors"]]:
        fail(f"tensor names/order differ: {names[:5]}... vs ours")
    for t, mine in zip(r.tensors, ours["tensors"]):
        if [int(x) for x in t.shape] != mine["dims"]:
            fail(f"{t.name}: shape {list(t.shape)} vs ours {mine['dims']}")
        if t.tensor_type.name != mine["type"]:
            fail(f"{t.name}: type {t.tensor_type.name} vs ours {mine['type']}")
        if int(t.data_offset) != mine["file_offset"]:
            fail(f"{t.name}: data offset {t.data_offset} vs ours {mine['file_offset']}")
        theirs_f = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
        ours_f = np.fromfile(os.path.join(out, t.name + ".f32"), dtype="<f4")
        if not np.array_equal(theirs_f, ours_f):
            bad = np.flatnonzero(theirs_f != ours_f)
            fail(f"{t.name}: {bad.size} values differ, first at {bad[0]}: {theirs_f[bad[0]]!r} vs {ours_f[bad[0]]!r}")
    print(f"model.gguf: {len(theirs)} keys, {len(names)} tensors compared")


def check_blocks(out):
    r = GGUFReader(os.path.join(out, "blocks.gguf"))
    by_name = {t.name: t for t in r.tensors}
    n = 0
    for name, t in by_name.items():
        if not name.endswith(".quant"):
            continue
        base = name[: -len(".quant")]
        theirs_f = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
        ours_f = np.asarray(by_name[base + ".ours"].data, dtype=np.float32).reshape(-1)
        if base.endswith(".nonfinite"):
            if not np.array_equal(np.isnan(theirs_f), np.isnan(ours_f)):
                fail(f"{base}: NaN positions differ")
            ok = np.array_equal(theirs_f, ours_f, equal_nan=True)
        else:
            if not np.all(np.isfinite(theirs_f)):
                fail(f"{base}: finite-scale blocks gave non-finite values in gguf")
            ok = np.array_equal(theirs_f, ours_f)
        if not ok:
            bad = np.flatnonzero(~((theirs_f == ours_f) | (np.isnan(theirs_f) & np.isnan(ours_f))))
            fail(f"{base}: {bad.size} values differ, first at {bad[0]}: gguf {theirs_f[bad[0]]!r} vs ours {ours_f[bad[0]]!r}")
        n += theirs_f.size
    print(f"blocks.gguf: {n} values compared")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    exe, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    subprocess.run([exe, out], check=True)
    check_model(out)
    check_blocks(out)
    if failures:
        print(f"gguf_crosscheck: {len(failures)} mismatches; reproduce: {sys.executable} {sys.argv[0]} {exe} {out}")
        return 1
    print("gguf_crosscheck: all equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
