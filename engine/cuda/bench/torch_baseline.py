#!/usr/bin/env python3
"""PyTorch bf16 baseline of the Qwen3-MoE FFN sublayer, written the way a user would.

h' = h + sum_e w_e * down_e(silu(gate_e x) * up_e x), x = RMSNorm(h), top-k of softmax over
all E router logits, renormalised; experts looped over in Python (the Hugging Face Qwen3-MoE
pattern: one matmul chain per selected expert, index_add_ into the output).

Same shape as `pv bench --backend cuda` (qwen3-30b-a3b: d=2048, E=128, k=8, ffn=768), distinct
random bf16 weights per layer. bf16 weights take 1.21 GB per layer, so the stack uses as many
layers as fit in 85% of free memory (at most 48); the layer count is printed.
Timed with CUDA events around the whole stack, median of the repetitions, after a warm-up.

usage: python3 torch_baseline.py [--tokens 1,2,4,8,32,128,512] [--layers 48] [--json out.json]
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F

D, E, K, FFN, EPS = 2048, 128, 8, 768, 1e-6


def make_layer(gen):
    s_in, s_ffn = D ** -0.5, FFN ** -0.5
    dev, bf = "cuda", torch.bfloat16
    return {
        "norm": (1.0 + 0.1 * torch.randn(D, device=dev, generator=gen)).to(bf),
        "router": (torch.randn(E, D, device=dev, generator=gen) * s_in).to(bf),
        "gate": (torch.randn(E, FFN, D, device=dev, generator=gen) * s_in).to(bf),
        "up": (torch.randn(E, FFN, D, device=dev, generator=gen) * s_in).to(bf),
        "down": (torch.randn(E, D, FFN, device=dev, generator=gen) * s_ffn).to(bf),
    }


def moe_layer(L, h):
    x = h.float()
    x = (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS)).to(h.dtype) * L["norm"]
    logits = x @ L["router"].t()
    probs = F.softmax(logits.float(), dim=-1)
    w, idx = torch.topk(probs, K, dim=-1)
    w = (w / w.sum(-1, keepdim=True)).to(h.dtype)
    out = torch.zeros_like(h)
    for e in idx.unique().tolist():  # the experts this batch selected
        tok, slot = torch.where(idx == e)
        xe = x[tok]
        y = (F.silu(xe @ L["gate"][e].t()) * (xe @ L["up"][e].t())) @ L["down"][e].t()
        out.index_add_(0, tok, y * w[tok, slot, None])
    return h + out, idx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", default="1,2,4,8,32,128,512")
    ap.add_argument("--layers", type=int, default=48)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    print(f"seed {a.seed}", flush=True)
    free, total = torch.cuda.mem_get_info()
    per_layer = 3 * E * FFN * D * 2
    layers = max(1, min(a.layers, int(0.85 * free // per_layer)))
    gen = torch.Generator(device="cuda").manual_seed(a.seed)
    stack = [make_layer(gen) for _ in range(layers)]
    torch.cuda.synchronize()
    dev = torch.cuda.get_device_name()
    print(f"torch {torch.__version__} on {dev}: {layers} layers of bf16 experts "
          f"({per_layer * layers / 1e9:.1f} GB; {free / 1e9:.1f} GB were free)", flush=True)
    rows = []
    for T in [int(t) for t in a.tokens.split(",")]:
        times, experts = [], []
        for rep in range(a.reps + 1):
            h = torch.randn(T, D, device="cuda", generator=gen).to(torch.bfloat16)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            used = 0
            for L in stack:
                h, idx = moe_layer(L, h)
                used += idx.unique().numel()
            end.record()
            torch.cuda.synchronize()
            if rep > 0:  # rep 0 is the warm-up
                times.append(start.elapsed_time(end) / 1e3)
                experts.append(used / layers)
        t_layer = statistics.median(times) / layers
        n_exp = statistics.mean(experts)
        gbps = n_exp * 3 * FFN * D * 2 / t_layer / 1e9
        rows.append({"tokens": T, "layers": layers, "ms_per_layer": t_layer * 1e3,
                     "tokens_per_s_stack": T / (t_layer * 48), "distinct_experts": n_exp,
                     "gb_per_s": gbps})
        print(f"torch bf16 T={T:4d}: {t_layer * 1e3:8.3f} ms/layer, "
              f"{T / (t_layer * 48):9.1f} tok/s (48-layer stack), {n_exp:6.1f} experts/layer, "
              f"{gbps:7.1f} GB/s of bf16 expert weights", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": dev, "torch": torch.__version__, "layers": layers, "points": rows}, f, indent=1)


if __name__ == "__main__":
    main()
