"""attnc CUDA runtime helpers: the device steps a runtime pattern runs before attention.

Follows the pattern metadata's launchOrder (docs/cuda-kernel.md, "Runtime schedules"):
  lsh_buckets                attnc_lsh_buckets_* (the hash bucket of every row of q or k; the
                             projection R comes from the module's bit-exact lsh_projection)
  row_sort, row_gather       torch (attnc_runtime.permutation_fields): position tables and the
                             sorted copies of the sort inputs of a row-permuted pattern; its
                             q / k / v gathers are sort_rows, in the module's attention()
  topk_pool_k, topk_select   attnc_topk_pool_k_* / attnc_topk_select_* (top-k key blocks from
                             pooled q.k scores; the select kernel also writes the selection's
                             sorted list when the metadata lists it among its writes)
  runtime_summaries          attnc_runtime_summaries (every tile min / max and sorted list of
                             the step's writes, one launch)
  sorted_list                torch (attnc_runtime.sorted_list): a row too long for shared memory
  schedule_build             attnc_schedule_build (attnc_runtime.build_schedule); also allocates
                             the backward's transposed schedule (metadata backward.runtimeSchedule),
                             which attention_backward builds
Every launch goes through the driver (cuLaunchKernel) on PyTorch's current stream, like
attention.
"""

from __future__ import annotations

import ctypes

import torch

from attnc_runtime import (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, CompiledPattern, _check, _driver,
                           permutation_fields, sorted_list)

HELPER_THREADS = 256
HELPER_WARPS = HELPER_THREADS // 32
SUMMARY_MAX_STEPS = 8
SUMMARY_TILE_MINMAX = 0
SUMMARY_SORTED_LIST = 1
DEFAULT_SMEM_LIMIT = 48 * 1024


class SummaryStep(ctypes.Structure):
    """Mirrors attnc::helpers::SummaryStep."""
    _fields_ = [("src", ctypes.c_void_p), ("dst", ctypes.c_void_p)] + \
               [(n, ctypes.c_int) for n in ("kind", "rows", "n", "tile", "tiles", "first_block")]


class SummaryParams(ctypes.Structure):
    """Mirrors attnc::helpers::SummaryParams."""
    _fields_ = [("steps", SummaryStep * SUMMARY_MAX_STEPS), ("num_steps", ctypes.c_int)]


class TopkParams(ctypes.Structure):
    """Mirrors attnc::helpers::TopkParams."""
    _fields_ = [("q", ctypes.c_void_p), ("k", ctypes.c_void_p)] + \
               [(n, ctypes.c_longlong) for n in ("q_sb", "q_sh", "q_sn", "k_sb", "k_sh", "k_sn")] + \
               [(n, ctypes.c_void_p) for n in ("pooled_k", "out", "sorted_out")] + \
               [(n, ctypes.c_int) for n in ("B", "H", "Hkv", "Nq", "Nk", "D", "block", "topk", "causal",
                                            "q_blocks", "k_blocks", "out_bstride", "sorted_bstride", "rows_per_cta")]


class LshParams(ctypes.Structure):
    """Mirrors attnc::helpers::LshParams."""
    _fields_ = [("x", ctypes.c_void_p)] + [(n, ctypes.c_longlong) for n in ("x_sb", "x_sh", "x_sn")] + \
               [("rotation", ctypes.c_void_p), ("out", ctypes.c_void_p)] + \
               [(n, ctypes.c_int) for n in ("B", "heads", "N", "D", "half")]


LSH_MAX_D = 256


def _pow2_ceil(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def _launch(pattern: CompiledPattern, device, name: str, grid: int, params, smem: int = 0) -> None:
    fn = pattern.module(device).function(name)
    raised = pattern.__dict__.setdefault("_helper_smem", {})
    if smem > DEFAULT_SMEM_LIMIT and raised.get(name, 0) < smem:
        _check(_driver().cuFuncSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
               "cuFuncSetAttribute(%s)" % name)
        raised[name] = smem
    args = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.pointer(params), ctypes.c_void_p))
    stream = ctypes.c_void_p(torch.cuda.current_stream(device).cuda_stream)
    _check(_driver().cuLaunchKernel(fn, grid, 1, 1, HELPER_THREADS, 1, 1, smem, stream, args, None),
           "cuLaunchKernel(%s)" % name)


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _topk_params(helper: dict, q: torch.Tensor, k: torch.Tensor, pooled: torch.Tensor, out, sorted_out,
                 rows_per_cta: int = 1) -> TopkParams:
    B, H, Nq, D = q.shape
    Hkv, Nk = k.shape[1], k.shape[2]
    block = helper["block"]
    row = _numel(helper["shape"])
    return TopkParams(q.data_ptr(), k.data_ptr(), *q.stride()[:3], *k.stride()[:3], pooled.data_ptr(),
                      0 if out is None else out.data_ptr(), 0 if sorted_out is None else sorted_out.data_ptr(),
                      B, H, Hkv, Nq, Nk, D, block, helper["k"], 1 if helper["causal"] else 0,
                      -(-Nq // block), -(-Nk // block), row, row, rows_per_cta)


def _batch_stride(t: torch.Tensor, B: int) -> int:
    """Batch stride of a [E, ...] helper output as the kernels read it (0: one entry for all)."""
    return 0 if t.shape[0] == 1 and B == 1 else _numel(t.shape[1:])


def run_runtime_steps(pattern: CompiledPattern, meta: dict, q: torch.Tensor, k: torch.Tensor, fields: dict,
                      layer: int = 0, lsh_projection=None) -> None:
    """Runs meta["launchOrder"] up to attention: allocates each step's outputs into `fields`
    (with their `<name>_bstride`) and launches its kernel on the current stream. `fields` holds
    the tables and given runtime inputs already; lsh_projection(seed, D, buckets) gives the
    float32 numpy R [D, buckets / 2] of lsh inputs."""
    B, H = q.shape[0], q.shape[1]
    device = q.device
    helpers = {h["buffer"]: h for h in meta.get("helpers", [])}
    ty = {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(q.dtype)
    permuted = False
    for step in meta["launchOrder"]:
        kind = step["kernel"]
        if kind in ("row_sort", "row_gather") and not permuted:
            permutation_fields(meta, fields, B)  # every sort and sort-input gather, in helper order
            permuted = True
        if kind == "lsh_buckets":
            spec = next(x for x in meta["inputs"] if x["buffer"] == step["writes"][0])
            _run_lsh(pattern, spec, q if spec["lsh"]["of"] == "Q" else k, fields, lsh_projection, ty)
        if kind in ("topk_pool_k", "topk_select"):
            assert ty is not None and q.dtype == k.dtype, "top-k selection needs bf16 or fp16 q and k"
            q = q if q.stride(-1) == 1 else q.contiguous()
            k = k if k.stride(-1) == 1 else k.contiguous()
            D = q.shape[-1]
            assert D <= HELPER_THREADS and HELPER_THREADS % D == 0, "top-k pooling needs D dividing 256"
        if kind == "topk_pool_k":
            pooled_name = step["writes"][0]
            helper = next(h for h in helpers.values() if h["kind"] == "topk_blocks" and h["buffer"] + "_pooled_k" == pooled_name)
            k_blocks = -(-k.shape[2] // helper["block"])
            pooled = torch.empty((B, k.shape[1], k_blocks, D), dtype=torch.float32, device=device)
            fields[pooled_name] = pooled
            _launch(pattern, device, "attnc_topk_pool_k_" + ty, B * k.shape[1] * k_blocks,
                    _topk_params(helper, q, k, pooled, None, None))
        elif kind == "topk_select":
            helper = helpers[step["writes"][0]]
            out = torch.empty([B] + list(helper["shape"]), dtype=torch.int32, device=device)
            sorted_out = None
            if len(step["writes"]) > 1:
                sorted_out = torch.empty_like(out)
                fields[step["writes"][1]] = sorted_out
                fields[step["writes"][1] + "_bstride"] = _batch_stride(sorted_out, B)
            fields[helper["buffer"]] = out
            fields[helper["buffer"] + "_bstride"] = _batch_stride(out, B)
            # query blocks per CTA and shared memory as the metadata's kernel entry gives them
            # (the same for every dtype)
            kernel = next(x for x in meta["kernels"] if x["variant"].get("step") == "topk_select"
                          and x["variant"].get("buffer") == helper["buffer"])
            rows_per_cta = int(kernel["variant"]["rowsPerCta"])
            q_blocks = -(-q.shape[2] // helper["block"])
            _launch(pattern, device, "attnc_topk_select_" + ty, B * H * -(-q_blocks // rows_per_cta),
                    _topk_params(helper, q, k, fields[step["reads"][1]], out, sorted_out, rows_per_cta),
                    int(kernel["dynamicSmemBytes"]))
        elif kind == "runtime_summaries":
            _run_summaries(pattern, device, [helpers[b] for b in step["writes"]], fields, B)
        elif kind == "sorted_list":
            helper = helpers[step["writes"][0]]
            src, E = _summary_source(helper, fields, B)
            fields[helper["buffer"]] = sorted_list(src, helper["rows"], helper["n"])
            fields[helper["buffer"] + "_bstride"] = 0 if E == 1 else fields[helper["buffer"]].shape[1]
        elif kind == "schedule_build":
            helper = helpers[step["writes"][0]]
            length = _numel(helper["shape"])
            fields[helper["buffer"]] = torch.empty((B, length), dtype=torch.int32, device=device)
            fields[helper["buffer"] + "_bstride"] = length
            rs = (meta.get("backward") or {}).get("runtimeSchedule")
            if rs:  # a pattern field of both modules, written when the backward runs
                fields[rs["buffer"]] = torch.empty((B, _numel(rs["shape"])), dtype=torch.int32, device=device)
                fields[rs["buffer"] + "_bstride"] = _numel(rs["shape"])
            pattern.build_schedule(B, H, layer, **fields)


def _run_lsh(pattern: CompiledPattern, spec: dict, x: torch.Tensor, fields: dict, lsh_projection, ty) -> None:
    """The bucket of every row of x [B, heads, N, D] into fields[spec["buffer"]] ([B, heads, N])."""
    assert ty is not None, "lsh buckets need bf16 or fp16 q and k"
    x = x if x.stride(-1) == 1 else x.contiguous()
    B, heads, N, D = x.shape
    assert D <= LSH_MAX_D
    lsh = spec["lsh"]
    key = ("_lsh_rotation", lsh["seed"], D, lsh["buckets"], str(x.device))
    cache = pattern.__dict__.setdefault("_lsh_rotations", {})
    if key not in cache:
        cache[key] = torch.from_numpy(lsh_projection(lsh["seed"], D, lsh["buckets"])).to(x.device).contiguous()
    rotation = cache[key]
    out = torch.empty([B] + list(spec["shape"]), dtype=torch.int32, device=x.device)
    fields[spec["buffer"]] = out
    fields[spec["buffer"] + "_bstride"] = _batch_stride(out, B)
    params = LshParams(x.data_ptr(), *x.stride()[:3], rotation.data_ptr(), out.data_ptr(), B, heads, N, D,
                       lsh["buckets"] // 2)
    _launch(pattern, x.device, "attnc_lsh_buckets_" + ty, -(-B * heads * N // HELPER_WARPS), params)


def _summary_source(helper: dict, fields: dict, B: int):
    """The summarised buffer as [E, rows * n] (E = 1 when it is broadcast over the batch)."""
    src, stride = fields[helper["of"]], fields[helper["of"] + "_bstride"]
    E = 1 if stride == 0 else B
    return src.reshape(-1)[: E * helper["rows"] * helper["n"]].view(E, -1), E


def _run_summaries(pattern: CompiledPattern, device, steps: list, fields: dict, B: int) -> None:
    """One attnc_runtime_summaries launch for up to SUMMARY_MAX_STEPS summaries."""
    assert 0 < len(steps) <= SUMMARY_MAX_STEPS
    params = SummaryParams()
    params.num_steps = len(steps)
    blocks, smem = 0, 0
    for i, helper in enumerate(steps):
        src, E = _summary_source(helper, fields, B)
        src = src.contiguous()
        fields["_src_" + helper["buffer"]] = src  # kept alive until the launch is queued
        rows, n = E * helper["rows"], helper["n"]
        s = params.steps[i]
        s.src, s.rows, s.n, s.first_block = src.data_ptr(), rows, n, blocks
        if helper["kind"] == "tile_minmax":
            tiles = -(-n // helper["tile"])
            dst = torch.empty((E, helper["rows"] * tiles * 2), dtype=torch.int32, device=device)
            s.kind, s.tile, s.tiles = SUMMARY_TILE_MINMAX, helper["tile"], tiles
            blocks += -(-rows * tiles // HELPER_WARPS)
        else:
            dst = torch.empty((E, helper["rows"] * n), dtype=torch.int32, device=device)
            s.kind, s.tile, s.tiles = SUMMARY_SORTED_LIST, 1, 1
            blocks += rows
            smem = max(smem, 4 * _pow2_ceil(n))
        s.dst = dst.data_ptr()
        fields[helper["buffer"]] = dst
        fields[helper["buffer"] + "_bstride"] = 0 if E == 1 else dst.shape[1]
    _launch(pattern, device, "attnc_runtime_summaries", blocks, params, smem)
    for helper in steps:
        fields.pop("_src_" + helper["buffer"], None)
