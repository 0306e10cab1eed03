"""attnc CUDA runtime loader (template shared by every compiled pattern).

Loads a pattern's precompiled cubin (or compiles its header when the cubin is missing),
launches the forward kernel on PyTorch's current stream and returns (out, lse).
The compiler emits, beside each pattern, a JSON metadata file (described in
docs/cuda-kernel.md) and a small module that calls `load_pattern(meta_path)`.

Only the CUDA driver API (through ctypes) is needed at run time; compilation falls back
to `nvcc` on PATH, then to NVRTC through cuda-python.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import shutil
import subprocess
import tempfile
from typing import Any

import torch

LOG2E = 1.4426950408889634
BLOCK_M = 128
THREADS = 256
CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8

# ---------------------------------------------------------------------------
# CUDA driver through ctypes
# ---------------------------------------------------------------------------
_libcuda = None


def _driver():
    global _libcuda
    if _libcuda is None:
        for name in ("libcuda.so.1", "libcuda.so"):
            try:
                _libcuda = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if _libcuda is None:
            raise RuntimeError("attnc: libcuda not found")
        _check(_libcuda.cuInit(0), "cuInit")
    return _libcuda


def _check(res: int, what: str) -> None:
    if res != 0:
        name = ctypes.c_char_p()
        if _libcuda is not None:
            _libcuda.cuGetErrorName(res, ctypes.byref(name))
        raise RuntimeError(f"attnc: {what} failed with CUDA error {res} ({(name.value or b'?').decode()})")


def _ensure_context(device: torch.device) -> None:
    """PyTorch uses the primary context; make sure it is current on this thread."""
    torch.cuda.init()
    with torch.cuda.device(device):
        torch.cuda.current_stream().synchronize()  # forces the runtime to bind the context
    cu = _driver()
    ctx = ctypes.c_void_p()
    _check(cu.cuCtxGetCurrent(ctypes.byref(ctx)), "cuCtxGetCurrent")
    if not ctx.value:
        dev = ctypes.c_int()
        _check(cu.cuDeviceGet(ctypes.byref(dev), device.index or 0), "cuDeviceGet")
        _check(cu.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
        _check(cu.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")


class _Module:
    def __init__(self, image: bytes):
        cu = _driver()
        self._image = ctypes.create_string_buffer(image, len(image))
        self.handle = ctypes.c_void_p()
        _check(cu.cuModuleLoadData(ctypes.byref(self.handle), self._image), "cuModuleLoadData")
        self._functions: dict[str, ctypes.c_void_p] = {}

    def function(self, name: str) -> ctypes.c_void_p:
        if name not in self._functions:
            fn = ctypes.c_void_p()
            _check(_driver().cuModuleGetFunction(ctypes.byref(fn), self.handle, name.encode()),
                   f"cuModuleGetFunction({name})")
            self._functions[name] = fn
        return self._functions[name]

    def read_int(self, name: str) -> int | None:
        cu = _driver()
        ptr, size = ctypes.c_uint64(), ctypes.c_size_t()
        if cu.cuModuleGetGlobal_v2(ctypes.byref(ptr), ctypes.byref(size), self.handle, name.encode()) != 0:
            return None
        value = ctypes.c_int()
        _check(cu.cuMemcpyDtoH_v2(ctypes.byref(value), ptr, ctypes.c_size_t(4)), "cuMemcpyDtoH")
        return value.value


# ---------------------------------------------------------------------------
# Compilation fallback (the normal flow ships a cubin built by `nvcc -cubin`)
# ---------------------------------------------------------------------------
def compile_header(header: str, include_dirs: list[str], arch: str = "sm_90a") -> bytes:
    header = os.path.abspath(header)
    nvcc = None if os.environ.get("ATTNC_NO_NVCC") else shutil.which("nvcc")
    if nvcc:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "pattern.cubin")
            cmd = [nvcc, "-cubin", f"-gencode=arch=compute_{arch[3:]},code={arch}", "-std=c++17", "-O3",
                   "-x", "cu", header, "-o", out] + [f"-I{d}" for d in include_dirs]
            subprocess.run(cmd, check=True, capture_output=True)
            with open(out, "rb") as f:
                return f.read()
    from cuda.bindings import nvrtc  # cuda-python

    with open(header) as f:
        src = f.read()
    err, prog = nvrtc.nvrtcCreateProgram(src.encode(), os.path.basename(header).encode(), 0, [], [])
    cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
    opts = [f"--gpu-architecture={arch}".encode(), b"-std=c++17", b"-default-device",
            f"-I{os.path.dirname(header)}".encode(), f"-I{cuda_home}/include".encode()]
    opts += [f"-I{d}".encode() for d in include_dirs]
    (err,) = nvrtc.nvrtcCompileProgram(prog, len(opts), opts)
    if err != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        _, size = nvrtc.nvrtcGetProgramLogSize(prog)
        log = b" " * size
        nvrtc.nvrtcGetProgramLog(prog, log)
        raise RuntimeError("attnc: NVRTC failed:\n" + log.decode(errors="replace"))
    _, size = nvrtc.nvrtcGetCUBINSize(prog)
    cubin = b" " * size
    nvrtc.nvrtcGetCUBIN(prog, cubin)
    return bytes(cubin)


# ---------------------------------------------------------------------------
# Parameter block: mirrors attnc::FwdParams = { FwdTensors t; PatternParams pattern; }
# ---------------------------------------------------------------------------
class FwdTensors(ctypes.Structure):
    _fields_ = [(n, ctypes.c_void_p) for n in ("q", "k", "v", "o", "lse")] + \
               [(n, ctypes.c_longlong) for n in ("q_sb", "q_sh", "q_sn", "k_sb", "k_sh", "k_sn",
                                                 "v_sb", "v_sh", "v_sn", "o_sb", "o_sh", "o_sn")] + \
               [(n, ctypes.c_int) for n in ("B", "H", "Hkv", "Nq", "Nk", "layer")] + \
               [("scale", ctypes.c_float), ("scale_log2", ctypes.c_float)]


_CTYPES = {"i32": ctypes.c_int, "f32": ctypes.c_float, "ptr": ctypes.c_void_p}
STANDARD_PATTERN_FIELDS = [("Nq", "i32"), ("Nk", "i32"), ("H", "i32"), ("Hkv", "i32"), ("L", "i32")]


def _pattern_struct(fields: list[tuple[str, str]]):
    return type("PatternParams", (ctypes.Structure,), {"_fields_": [(n, _CTYPES[t]) for n, t in fields]})


def smem_bytes(path: str, head_dim: int, block_n: int) -> int:
    """Mirror of Sm90Config / Sm80Config::SMEM_BYTES (used when the cubin has no *_smem)."""
    stages = 3 if path == "sm90" else 2
    return 1024 + BLOCK_M * head_dim * 2 + stages * 2 * block_n * head_dim * 2


class CompiledPattern:
    """One compiled pattern: cubin + metadata.

    meta keys (see docs/cuda-kernel.md): cubin, header, include_dirs, block_n, num_layers,
    pattern_fields [{name, type}], tables {name: file}, path ("sm90" | "sm80").
    """

    def __init__(self, meta: dict[str, Any], base_dir: str = "."):
        self.meta = meta
        self.base_dir = base_dir
        self.block_n = int(meta["block_n"])
        self.num_layers = int(meta.get("num_layers", 1))
        self.path = meta.get("path", "sm90")
        extra = [(f["name"], f["type"]) for f in meta.get("pattern_fields", [])]
        self.pattern_fields = STANDARD_PATTERN_FIELDS + extra
        self.PatternParams = _pattern_struct(self.pattern_fields)
        self.FwdParams = type("FwdParams", (ctypes.Structure,),
                              {"_fields_": [("t", FwdTensors), ("pattern", self.PatternParams)]})
        self._module: _Module | None = None
        self._tables: dict[str, torch.Tensor] = {}

    # -- loading -----------------------------------------------------------
    def _resolve(self, p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(self.base_dir, p)

    def module(self, device: torch.device) -> _Module:
        if self._module is None:
            _ensure_context(device)
            cubin = self.meta.get("cubin")
            if cubin and os.path.exists(self._resolve(cubin)):
                with open(self._resolve(cubin), "rb") as f:
                    image = f.read()
            else:
                image = compile_header(self._resolve(self.meta["header"]),
                                       [self._resolve(d) for d in self.meta.get("include_dirs", [])])
            self._module = _Module(image)
        return self._module

    def table(self, name: str, device: torch.device) -> torch.Tensor:
        if name not in self._tables:
            src = self.meta["tables"][name]
            if isinstance(src, str):
                import numpy as np

                path = self._resolve(src)
                arr = np.load(path) if path.endswith(".npy") else np.fromfile(path, dtype=np.int32)
                src = torch.from_numpy(np.ascontiguousarray(arr))
            self._tables[name] = torch.as_tensor(src).to(device=device).contiguous()
        return self._tables[name]

    def kernel_name(self, dtype: torch.dtype, head_dim: int) -> str:
        ty = {torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]
        prefix = "attnc_fwd_sm80_" if self.path == "sm80" else "attnc_fwd_"
        return f"{prefix}{ty}_d{head_dim}"

    # -- launching ---------------------------------------------------------
    def _kernel(self, mod: _Module, name: str, head_dim: int):
        cache = self.__dict__.setdefault("_kernels", {})
        if name not in cache:
            fn = mod.function(name)
            smem = mod.read_int(name + "_smem") or smem_bytes(self.path, head_dim, self.block_n)
            _check(_driver().cuFuncSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
                   "cuFuncSetAttribute")
            cache[name] = (fn, smem)
        return cache[name]

    def attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None = None,
                  layer: int = 0, out: torch.Tensor | None = None, lse: torch.Tensor | None = None,
                  **runtime_inputs) -> tuple[torch.Tensor, torch.Tensor]:
        if torch.is_grad_enabled() and any(x.requires_grad for x in (q, k, v)):
            # differentiable path (backward kernels, see attention_backward); out/lse buffers unused
            return _AttentionFunction.apply(self, q, k, v, scale, layer, runtime_inputs)
        B, H, Nq, D = q.shape
        Bk, Hkv, Nk, Dk = k.shape
        assert v.shape == k.shape and Bk == B and Dk == D, "k/v shapes"
        assert H % Hkv == 0, "Hkv must divide H"
        assert D in (64, 128) and q.dtype in (torch.bfloat16, torch.float16)
        assert q.dtype == k.dtype == v.dtype and q.is_cuda
        q, k, v = (_vector_ready(x) for x in (q, k, v))
        device = q.device
        if out is None:
            out = torch.empty((B, H, Nq, D), dtype=q.dtype, device=device)
        if lse is None:
            lse = torch.empty((B, H, Nq), dtype=torch.float32, device=device)
        assert out.stride(-1) == 1 and out.data_ptr() % 16 == 0 and lse.is_contiguous()
        scale = 1.0 / math.sqrt(D) if scale is None else float(scale)
        assert scale > 0

        mod = self.module(device)
        name = self.kernel_name(q.dtype, D)
        fn, smem = self._kernel(mod, name, D)

        t = FwdTensors(q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(), lse.data_ptr(),
                       *q.stride()[:3], *k.stride()[:3], *v.stride()[:3], *out.stride()[:3],
                       B, H, Hkv, Nq, Nk, layer, scale, scale * LOG2E)
        num_q_tiles = (Nq + BLOCK_M - 1) // BLOCK_M
        derived = {"Nq": Nq, "Nk": Nk, "H": H, "Hkv": Hkv, "L": self.num_layers, "num_q_tiles": num_q_tiles}
        derived["num_k_tiles"] = (Nk + self.block_n - 1) // self.block_n  # backward (transposed) tables
        keep_alive = []
        params = self.FwdParams(t, _pattern_values(self, runtime_inputs, derived, device, keep_alive))
        args = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.pointer(params), ctypes.c_void_p))
        stream = torch.cuda.current_stream(device).cuda_stream
        _check(_driver().cuLaunchKernel(fn, num_q_tiles, H, B, THREADS, 1, 1, smem,
                                        ctypes.c_void_p(stream), args, None), f"cuLaunchKernel({name})")
        return out, lse


def _vector_ready(x: torch.Tensor) -> torch.Tensor:
    """The kernels need a contiguous head dim, 16-byte aligned rows and base pointer."""
    ok = x.stride(-1) == 1 and x.data_ptr() % 16 == 0 and all(s % 8 == 0 for s in x.stride()[:3])
    return x if ok else x.contiguous()


def load_pattern(meta_path: str, **overrides) -> CompiledPattern:
    with open(meta_path) as f:
        meta = json.load(f)
    meta.update(overrides)
    return CompiledPattern(meta, base_dir=os.path.dirname(os.path.abspath(meta_path)))


# ---------------------------------------------------------------------------
# Backward pass (codegen/cuda/runtime/attnc_bwd*.cuh, docs/cuda-kernel.md "Backward")
# ---------------------------------------------------------------------------
class BwdTensors(ctypes.Structure):
    """Mirrors attnc::BwdTensors."""
    _fields_ = [(n, ctypes.c_void_p) for n in ("q", "k", "v", "o", "dout", "lse", "delta", "dq", "dk", "dv")] + \
               [(f"{t}_s{d}", ctypes.c_longlong) for t in ("q", "k", "v", "o", "do", "dq", "dk", "dv")
                for d in ("b", "h", "n")] + \
               [(n, ctypes.c_int) for n in ("B", "H", "Hkv", "Nq", "Nk", "layer")] + \
               [("scale", ctypes.c_float), ("scale_log2", ctypes.c_float), ("dq_accum", ctypes.c_void_p)]


def compile_backward(header: str, include_dirs: list[str], arch: str = "sm_90a") -> bytes:
    """Backward module from source: the pattern header followed by attnc_bwd.cuh."""
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = os.path.join(tmp, "pattern_bwd.cu")
        with open(wrapper, "w") as f:
            f.write(f'#include "{os.path.abspath(header)}"\n#include "attnc_bwd.cuh"\n')
        return compile_header(wrapper, include_dirs + [os.path.dirname(os.path.abspath(header))], arch)


def _bwd_module(self: CompiledPattern, device: torch.device) -> _Module:
    """meta["bwd_cubin"] if present on disk, else <cubin stem>.bwd.cubin, else compile
    meta["bwd_header"] (the emitted <pattern>_bwd.cu), else the header + attnc_bwd.cuh."""
    if getattr(self, "_bwd_mod", None) is None:
        if self.meta.get("backward_unsupported"):
            raise RuntimeError("attnc: pattern has no backward pass: " + self.meta["backward_unsupported"])
        _ensure_context(device)
        cands = [self.meta.get("bwd_cubin")]
        if self.meta.get("cubin", "").endswith(".cubin"):
            cands.append(self.meta["cubin"][: -len(".cubin")] + ".bwd.cubin")
        image = None
        for c in cands:
            if c and os.path.exists(self._resolve(c)):
                with open(self._resolve(c), "rb") as f:
                    image = f.read()
                break
        if image is None and self.meta.get("bwd_header"):
            image = compile_header(self._resolve(self.meta["bwd_header"]),
                                   [self._resolve(d) for d in self.meta.get("include_dirs", [])])
        if image is None:
            image = compile_backward(self._resolve(self.meta["header"]),
                                     [self._resolve(d) for d in self.meta.get("include_dirs", [])])
        self._bwd_mod = _Module(image)
        self._bwd_kernels = {}
    return self._bwd_mod


def _bwd_kernel(self: CompiledPattern, name: str):
    mod = self._bwd_mod
    if name not in self._bwd_kernels:
        fn = mod.function(name)
        smem = mod.read_int(name + "_smem") or 0
        threads = mod.read_int(name + "_threads") or THREADS
        if smem:
            _check(_driver().cuFuncSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
                   "cuFuncSetAttribute")
        self._bwd_kernels[name] = (fn, smem, threads)
    return self._bwd_kernels[name]


def _pattern_values(self: CompiledPattern, runtime_inputs: dict, derived: dict, device, keep_alive: list):
    values = []
    for fname, ftype in self.pattern_fields:
        if fname in runtime_inputs:
            val = runtime_inputs[fname]
        elif fname in derived:
            val = derived[fname]
        elif fname in self.meta.get("tables", {}):
            val = self.table(fname, device)
        else:
            raise KeyError(f"attnc: no value for pattern field '{fname}'")
        if ftype == "ptr":
            assert isinstance(val, torch.Tensor) and val.is_cuda and val.is_contiguous()
            keep_alive.append(val)
            val = val.data_ptr()
        values.append(val)
    return self.PatternParams(*values)


def attention_backward(self: CompiledPattern, q, k, v, out, lse, dout, scale=None, layer: int = 0,
                       dq=None, dk=None, dv=None, **runtime_inputs):
    """Gradients (dq, dk, dv) of attention(q, k, v) for the output gradient dout, given the
    forward's out and lse. Three launches on the current stream: pre (delta = rowsum(dO*O)),
    dK/dV per key tile (transposed schedule, GQA groups summed), dQ per query tile.
    dq/dk/dv: optional output buffers (any strides with a contiguous, 16-byte aligned head dim)."""
    B, H, Nq, D = q.shape
    _, Hkv, Nk, _ = k.shape
    q, k, v, out, dout = (_vector_ready(x) for x in (q, k, v, out, dout))
    lse = lse.contiguous()
    device = q.device
    dq = torch.empty_like(q, memory_format=torch.contiguous_format) if dq is None else dq
    dk = torch.empty_like(k, memory_format=torch.contiguous_format) if dk is None else dk
    dv = torch.empty_like(v, memory_format=torch.contiguous_format) if dv is None else dv
    for x in (dq, dk, dv):
        assert x.stride(-1) == 1 and x.data_ptr() % 16 == 0 and all(s % 8 == 0 for s in x.stride()[:3])
    # delta = rowsum(dO*O), then room for the log2-domain LSE the pre kernel may write after it
    delta = torch.empty((2, B, H, Nq), dtype=torch.float32, device=device)
    scale = 1.0 / math.sqrt(D) if scale is None else float(scale)

    mod = _bwd_module(self, device)
    # sm_90a modules sum dQ into an fp32 accumulator (zeroed by pre, converted by dq); the flag
    # is read once (reading a module global copies device to host, which synchronises)
    if getattr(self, "_bwd_dq_accum", None) is None:
        self._bwd_dq_accum = bool(mod.read_int("attnc_bwd_dq_accum"))
        # keys per dK/dV CTA (64 or 128 on sm_90a, the key tile on the mma.sync path)
        self._bwd_dkdv_keys = mod.read_int("attnc_bwd_dkdv_keys") or self.block_n
    dq_accum = torch.empty((B, H, (Nq + 127) // 128 * 128, D), dtype=torch.float32, device=device) \
        if self._bwd_dq_accum else None
    ty = {torch.bfloat16: "bf16", torch.float16: "fp16"}[q.dtype]
    t = BwdTensors(q.data_ptr(), k.data_ptr(), v.data_ptr(), out.data_ptr(), dout.data_ptr(),
                   lse.data_ptr(), delta.data_ptr(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr(),
                   *q.stride()[:3], *k.stride()[:3], *v.stride()[:3], *out.stride()[:3], *dout.stride()[:3],
                   *dq.stride()[:3], *dk.stride()[:3], *dv.stride()[:3],
                   B, H, Hkv, Nq, Nk, layer, scale, scale * LOG2E,
                   dq_accum.data_ptr() if dq_accum is not None else None)
    keep_alive: list = [dq_accum]
    num_q_tiles = (Nq + BLOCK_M - 1) // BLOCK_M
    num_k_tiles = (Nk + self.block_n - 1) // self.block_n
    derived = {"Nq": Nq, "Nk": Nk, "H": H, "Hkv": Hkv, "L": self.num_layers,
               "num_q_tiles": num_q_tiles, "num_k_tiles": num_k_tiles}
    BwdParams = getattr(self, "_BwdParams", None)
    if BwdParams is None:
        BwdParams = self._BwdParams = type("BwdParams", (ctypes.Structure,),
                                           {"_fields_": [("t", BwdTensors), ("pattern", self.PatternParams)]})
    params = BwdParams(t, _pattern_values(self, runtime_inputs, derived, device, keep_alive))
    args = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.pointer(params), ctypes.c_void_p))
    stream = ctypes.c_void_p(torch.cuda.current_stream(device).cuda_stream)
    cu = _driver()
    sched_t = self.meta.get("bwd_schedule_t")
    if sched_t:
        # runtime patterns: the transposed schedule (read by dkdv) from the forward's summaries
        fn = mod.function(sched_t["kernel"])
        SParams = getattr(self, "_BwdScheduleParams", None)
        if SParams is None:
            SParams = self._BwdScheduleParams = type("ScheduleBuildParams", (ctypes.Structure,), {
                "_fields_": [("pattern", self.PatternParams), ("B", ctypes.c_int), ("H", ctypes.c_int), ("layer", ctypes.c_int)]})
        sparams = SParams(params.pattern, B, H, layer)
        sargs = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.pointer(sparams), ctypes.c_void_p))
        grid = (B * H * int(sched_t["num_k_tiles"]) + SCHEDULE_BUILD_ROWS - 1) // SCHEDULE_BUILD_ROWS
        _check(cu.cuLaunchKernel(fn, grid, 1, 1, SCHEDULE_BUILD_THREADS, 1, 1, 0, stream, sargs, None),
               f"cuLaunchKernel({sched_t['kernel']})")
    for kind in ("pre", "dkdv", "dq"):
        name = f"attnc_bwd_{kind}_{ty}_d{D}"
        fn, smem, threads = _bwd_kernel(self, name)
        if kind == "pre":
            grid = ((Nq + threads // (D // 8) - 1) // (threads // (D // 8)), H, B)
        elif kind == "dkdv":
            grid = ((Nk + self._bwd_dkdv_keys - 1) // self._bwd_dkdv_keys, Hkv, B)
        else:
            grid = (num_q_tiles, H, B)
        _check(cu.cuLaunchKernel(fn, *grid, threads, 1, 1, smem, stream, args, None), f"cuLaunchKernel({name})")
    return dq, dk, dv


CompiledPattern.bwd_module = _bwd_module
CompiledPattern.attention_backward = attention_backward


# ---------------------------------------------------------------------------
# Runtime schedules (codegen/lower/runtime.ts, attnc_schedule_build.cuh): the builder kernel's
# launch. The summaries run as kernels (attnc_runtime_helpers.py, which also allocates the
# schedule buffers); sorted_list below is the torch version of one (same results as
# codegen/lower/runtimeSummaries.ts), used for list rows too long for shared memory.
# ---------------------------------------------------------------------------
INT32_MAX = 2147483647
SCHEDULE_BUILD_THREADS = 128
SCHEDULE_BUILD_ROWS = SCHEDULE_BUILD_THREADS // 32  # one warp per (b, h, qt)


def sorted_list(x: torch.Tensor, rows: int, n: int) -> torch.Tensor:
    """x: [E, rows * n] int -> per row its distinct non-negative entries ascending, then INT32_MAX."""
    E = x.shape[0]
    v = x.reshape(E, rows, n).to(torch.int64)
    v = torch.where(v < 0, torch.full_like(v, INT32_MAX), v)
    v = torch.sort(v, dim=-1).values
    dup = torch.zeros_like(v, dtype=torch.bool)
    dup[..., 1:] = v[..., 1:] == v[..., :-1]
    v = torch.sort(torch.where(dup, torch.full_like(v, INT32_MAX), v), dim=-1).values
    return v.reshape(E, -1).to(torch.int32).contiguous()


def build_schedule(self: CompiledPattern, B: int, H: int, layer: int = 0, **fields) -> None:
    """Launches attnc_schedule_build on the current stream: writes the runtime schedule buffer
    of `fields` (attnc_runtime_helpers.run_runtime_steps allocates it) for one layer."""
    device = next(v.device for v in fields.values() if isinstance(v, torch.Tensor))
    mod = self.module(device)
    fn = mod.function("attnc_schedule_build")
    Params = getattr(self, "_ScheduleBuildParams", None)
    if Params is None:
        Params = self._ScheduleBuildParams = type("ScheduleBuildParams", (ctypes.Structure,), {
            "_fields_": [("pattern", self.PatternParams), ("B", ctypes.c_int), ("H", ctypes.c_int), ("layer", ctypes.c_int)]})
    sizes, num_q_tiles = self.meta["sizes"], int(self.meta["num_q_tiles"])
    derived = {"Nq": sizes["Nq"], "Nk": sizes["Nk"], "H": H, "Hkv": sizes["Hkv"], "L": self.num_layers,
               "num_q_tiles": num_q_tiles}
    keep_alive: list = []
    params = Params(_pattern_values(self, fields, derived, device, keep_alive), B, H, layer)
    args = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.pointer(params), ctypes.c_void_p))
    grid = (B * H * num_q_tiles + SCHEDULE_BUILD_ROWS - 1) // SCHEDULE_BUILD_ROWS
    stream = ctypes.c_void_p(torch.cuda.current_stream(device).cuda_stream)
    _check(_driver().cuLaunchKernel(fn, grid, 1, 1, SCHEDULE_BUILD_THREADS, 1, 1, 0, stream, args, None),
           "cuLaunchKernel(attnc_schedule_build)")


CompiledPattern.build_schedule = build_schedule


# ---------------------------------------------------------------------------
# Row permutation (codegen/lower/permutation.ts; docs/cuda-kernel.md, "Row permutation"): sort
# query rows per (b, h) and key rows per (b, key row) by (sort key, position), gather the sort
# inputs, Q, K and V into sorted order, run attention over sorted rows (its mask reads the
# original positions from the position tables), scatter O and LSE back. Torch ops with the same
# results as codegen/lower/permutationHost.ts; the gathers are differentiable, so the backward
# runs over sorted rows too and its gradients come back through them.
# ---------------------------------------------------------------------------
def row_sort(keys: torch.Tensor, rows: int, n: int, key_kind: str, buckets: int) -> torch.Tensor:
    """keys: [E, rows * n] int -> [E, rows * n] int32: per row the positions 0..n-1 ordered by
    (key, position); key = clamp(value, 0, buckets - 1), or 0 for kept (nonzero), 1 for dropped."""
    E = keys.shape[0]
    v = keys.reshape(E, rows, n).to(torch.int64)
    key = (v == 0).to(torch.int64) if key_kind == "keep" else v.clamp(0, buckets - 1)
    pos = torch.arange(n, dtype=torch.int64, device=keys.device)
    order = torch.argsort(key * n + pos, dim=-1)  # distinct keys: the order is exact
    return order.to(torch.int32).reshape(E, -1).contiguous()


def _entries(fields: dict, buf: str, B: int) -> int:
    return 1 if fields[buf + "_bstride"] == 0 else B


def permutation_fields(meta: dict, fields: dict, B: int) -> None:
    """Adds the position tables (row_sort) and the gathered inputs (row_gather) to the pattern
    fields, in the metadata's helper order (the sort inputs are in `fields` already)."""
    for helper in meta.get("helpers", []):
        kind, buf, rows, n = helper["kind"], helper["buffer"], helper.get("rows"), helper.get("n")
        if kind == "row_sort":
            E = _entries(fields, helper["of"], B)
            keys = fields[helper["of"]].reshape(-1)[: E * rows * n].view(E, -1)
            fields[buf] = row_sort(keys, rows, n, helper["keyKind"], helper["buckets"])
        elif kind == "row_gather":
            src, pos = helper["of"], helper["positions"]
            E = max(_entries(fields, src, B), _entries(fields, pos, B))
            x = fields[src].reshape(-1)[: _entries(fields, src, B) * rows * n].view(-1, rows, n).expand(E, rows, n)
            idx = fields[pos].reshape(-1)[: _entries(fields, pos, B) * rows * n].view(-1, rows, n).expand(E, rows, n)
            fields[buf] = torch.gather(x, 2, idx.to(torch.int64)).reshape(E, -1).contiguous()
        else:
            continue
        fields[buf + "_bstride"] = 0 if fields[buf].shape[0] == 1 else rows * n


def _row_index(fields: dict, side: dict, B: int, D: int) -> torch.Tensor:
    """[B, rows, n, D] int64 index of the sorted rows' original positions."""
    rows, n = side["rows"], side["n"]
    E = _entries(fields, side["positions"], B)
    pos = fields[side["positions"]].reshape(-1)[: E * rows * n].view(E, rows, n).expand(B, rows, n)
    return pos.to(torch.int64).unsqueeze(-1).expand(B, rows, n, D)


def sort_rows(meta: dict, fields: dict, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor):
    """Q, K, V gathered into sorted row order (K / V heads expanded when keys sort per query head)."""
    perm = meta["permutation"]
    B, D = q.shape[0], q.shape[3]
    group = perm["kvHeads"] // k.shape[1]
    if group > 1:
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    qi, ki = _row_index(fields, perm["query"], B, D), _row_index(fields, perm["key"], B, D)
    return torch.gather(q, 2, qi), torch.gather(k, 2, ki), torch.gather(v, 2, ki)


def unsort_rows(meta: dict, fields: dict, out: torch.Tensor, lse: torch.Tensor):
    """O [B, H, Nq, D] and LSE [B, H, Nq] of the sorted rows back in the caller's row order."""
    perm = meta["permutation"]
    B, D = out.shape[0], out.shape[3]
    qi = _row_index(fields, perm["query"], B, D)
    inverse = torch.argsort(qi[..., 0], dim=2)  # the inverse permutation
    return torch.gather(out, 2, inverse.unsqueeze(-1).expand_as(out)), torch.gather(lse, 2, inverse)


class _AttentionFunction(torch.autograd.Function):
    """Differentiable attention. Saves q, k, v, out (input dtype) and lse (fp32 [B, H, Nq]);
    the backward recomputes P from them (FlashAttention-2). lse is returned but not
    differentiable. Runtime inputs (tables, scalars, top-k selections) get no gradient:
    runtime selections are straight-through (the selected set is treated as constant)."""

    @staticmethod
    def forward(ctx, pattern, q, k, v, scale, layer, runtime_inputs):
        out, lse = pattern.attention(q, k, v, scale=scale, layer=layer, **runtime_inputs)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.pattern, ctx.scale, ctx.layer, ctx.runtime_inputs = pattern, scale, layer, runtime_inputs
        ctx.mark_non_differentiable(lse)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        q, k, v, out, lse = ctx.saved_tensors
        if dout is None:
            dout = torch.zeros_like(out)
        dq, dk, dv = ctx.pattern.attention_backward(q, k, v, out, lse, dout, scale=ctx.scale, layer=ctx.layer,
                                                    **ctx.runtime_inputs)
        return None, dq, dk, dv, None, None, None
