"""Helpers shared by the GPU scripts of bench/gpu/emitted and bench/gpu/train: loading an
emitted Python module by path, timing, and FlexAttention's block mask built eagerly."""
import importlib.util
import sys

import torch


def load_module(path, name):
    """Imports the emitted module at path under name (registered first: torch.compile (dynamo)
    re-imports a mask_mod's module by name when it traces it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def bench(fn, warmup=25, rep=100):
    """Median milliseconds of fn (triton.testing.do_bench)."""
    from triton.testing import do_bench
    return do_bench(fn, warmup=warmup, rep=rep, return_mode="median")


def eager_block_mask(mask_mod, H, N, device, budget_bytes=16e9, Nk=None):
    """create_block_mask(mask_mod, 1, H, N, Nk or N) built eagerly from pieces of at most
    budget_bytes of int64 intermediates (a few heads at a time, and at long N a few query-row
    chunks of one head at a time), concatenated into one BlockMask with the same mask_mod
    (_compile=True spent minutes per pattern compiling; eager over all heads at once
    materialises H*N*N int64 intermediates)."""
    from torch.nn.attention.flex_attention import BlockMask, create_block_mask
    Nk = Nk or N
    rows = N if 8 * N * Nk <= budget_bytes else max(128, int(budget_bytes // (8 * Nk)) // 128 * 128)
    hc = max(1, int(budget_bytes // (8 * rows * Nk)))
    parts = []  # per head chunk, the query-row chunks
    for h0 in range(0, H, hc):
        n = min(hc, H - h0)
        parts.append([create_block_mask(lambda b, hh, qi, ki, h0=h0, q0=q0: mask_mod(b, hh + h0, qi + q0, ki),
                                        1, n, min(rows, N - q0), Nk, device=device, BLOCK_SIZE=128)
                      for q0 in range(0, N, rows)])

    def cat(name):
        if getattr(parts[0][0], name) is None:
            return None
        return torch.cat([torch.cat([getattr(p, name) for p in row], dim=2) for row in parts], dim=1)

    return BlockMask.from_kv_blocks(cat("kv_num_blocks"), cat("kv_indices"), cat("full_kv_num_blocks"),
                                    cat("full_kv_indices"), BLOCK_SIZE=128, mask_mod=mask_mod, seq_lengths=(N, Nk))
