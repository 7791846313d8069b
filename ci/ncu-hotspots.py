#!/usr/bin/env python3
"""Source lines of a CUDA kernel ranked by ncu's warp-stall samples or executed instructions.

Reads the CSV of `ncu -i REPORT --page source --csv --print-source cuda,sass` (gzip or plain)
and prints, per source line, its share of the samples and instructions, shared-memory
wavefronts against the ideal count (bank conflicts), and its top three stall reasons. The source
text is what ncu found on the machine that exported the CSV; run the export from a checkout of
the profiled build's commit, or pass --source FILE=PATH to print lines from another copy.

  python3 ci/ncu-hotspots.py t1-source.csv.gz --top 30 --by samples
  python3 ci/ncu-hotspots.py t8-source.csv.gz --by instructions --source stack.cu=engine/cuda/stack.cu
"""
import argparse
import csv
import gzip
import sys

KEYS = {"samples": "# Samples", "instructions": "Instructions Executed"}


def read_lines(path):
    """(file name, line number, source text, metrics) per source line of the CSV."""
    opener = gzip.open if path.endswith(".gz") else open
    rows, name, header = [], None, None
    with opener(path, "rt", newline="") as f:
        for r in csv.reader(f):
            if not r or r[0] == "Function Name":
                continue
            if r[0] == "File Path":
                name, header = r[1].split("/")[-1], None
            elif r[0] == "Line No":
                header = r
            elif header and r[0]:  # a source line, which ncu sums its SASS rows into; those rows (no line number) are skipped
                rows.append((name, int(r[0]), r[1], dict(zip(header[4:], r[4:]))))
    if not rows:
        sys.exit(f"{path}: no source lines (is it `ncu --page source --csv` output?)")
    return rows


def num(s):
    try:
        return float(s)
    except ValueError:
        return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--by", choices=sorted(KEYS), default="samples")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--source", action="append", default=[], metavar="FILE=PATH")
    a = ap.parse_args()
    texts = {}
    for s in a.source:
        file, _, path = s.partition("=")
        with open(path) as f:
            texts[file] = f.read().split("\n")
    rows = read_lines(a.csv)
    total = {k: sum(num(d[v]) for *_, d in rows) or 1.0 for k, v in KEYS.items()}
    stalls = [k for k in rows[0][3] if k.startswith("stall_") and "Not Issued" not in k]
    print(f"{a.csv}: {int(total['samples'])} samples, {int(total['instructions'])} warp instructions")
    for file, line, src, d in sorted(rows, key=lambda r: -num(r[3][KEYS[a.by]]))[: a.top]:
        if file in texts and line <= len(texts[file]):
            src = texts[file][line - 1]
        wf, ideal = num(d.get("L1 Wavefronts Shared", "0")), num(d.get("L1 Wavefronts Shared Ideal", "0"))
        top = sorted(((num(d[k]), k[6:]) for k in stalls), reverse=True)[:3]
        print(f"{100 * num(d[KEYS['samples']]) / total['samples']:5.1f}% samples "
              f"{100 * num(d[KEYS['instructions']]) / total['instructions']:4.1f}% inst "
              f"smem {wf / ideal if ideal else 0:.1f}x  {file}:{line}  {src.strip()[:72]}  | "
              + " ".join(f"{k} {int(v)}" for v, k in top))


if __name__ == "__main__":
    main()
