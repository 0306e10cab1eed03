// Host emulation of what the mma.sync forward path (codegen/cuda/runtime/attnc_fwd_sm80.cuh)
// needs beyond cudaEmu.hpp, so that the emitted kernel itself runs under g++
// (test/codegen/sm80Emu.test.ts): CUDA qualifiers, bf16/fp16 conversions, shared memory as a
// byte array addressed by offsets, cp.async as an immediate copy, and ldmatrix / mma.sync
// m16n8k16 as exchanges between the 32 threads of a warp. The runtime headers compile these
// in place of their PTX when ATTNC_HOST_EMU names this file.
#pragma once
#include <cmath>
#include <type_traits>

#include "cudaEmu.hpp"

#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__
#define __launch_bounds__(...)

struct uint4 { uint32_t x, y, z, w; };
struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
inline float __log2f(float x) { return std::log2(x); }
inline void __syncwarp() { emu::warp_barrier[threadIdx.x / 32]->arrive_and_wait(); }

// round-to-nearest-even float -> bf16 / fp16, packed in pairs as the device types are
struct __nv_bfloat162 { __nv_bfloat16 x, y; };
struct __half2 { __half x, y; };
inline __nv_bfloat16 emu_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return {static_cast<uint16_t>((u >> 16) | 0x40)};  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return {static_cast<uint16_t>(u >> 16)};
}
inline __half emu_f16(float f) {
  const _Float16 h = static_cast<_Float16>(f);
  __half out;
  std::memcpy(&out.bits, &h, 2);
  return out;
}
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi) { return {emu_bf16(lo), emu_bf16(hi)}; }
inline __half2 __floats2half2_rn(float lo, float hi) { return {emu_f16(lo), emu_f16(hi)}; }
inline float2 __bfloat1622float2(__nv_bfloat162 v) { return {__bfloat162float(v.x), __bfloat162float(v.y)}; }
inline float2 __half22float2(__half2 v) { return {__half2float(v.x), __half2float(v.y)}; }

namespace attnc {
// The kernel's `extern __shared__ uint8_t smem_raw[]` (one CTA at a time); shared addresses
// are byte offsets into it.
alignas(1024) inline uint8_t smem_raw[232448 + 1024];
inline uint32_t smem_u32(const void* p) { return static_cast<uint32_t>(static_cast<const uint8_t*>(p) - smem_raw); }
inline void cp_async_16(uint32_t dst, const void* src, bool valid) {
  if (valid) std::memcpy(smem_raw + dst, src, 16);
  else std::memset(smem_raw + dst, 0, 16);
}
inline void cp_async_commit() {}
template <int N> inline void cp_async_wait() {}
inline void st_shared_b32(uint32_t addr, uint32_t v) { std::memcpy(smem_raw + addr, &v, 4); }
inline void st_shared_f32(uint32_t addr, float v) { std::memcpy(smem_raw + addr, &v, 4); }
inline float ld_shared_f32(uint32_t addr) {
  float v;
  std::memcpy(&v, smem_raw + addr, 4);
  return v;
}
inline int ld_shared_s32(uint32_t addr) {
  int v;
  std::memcpy(&v, smem_raw + addr, 4);
  return v;
}
inline uint4 ld_shared_v4(uint32_t addr) {
  uint4 v;
  std::memcpy(&v, smem_raw + addr, 16);
  return v;
}
inline float fast_exp2(float x) { return std::exp2(x); }

// Every lane publishes `n` words, then reads what it needs from the warp's slots.
inline uint32_t emu_regs[emu::MAX_WARPS][32][6];
template <typename Body> void warp_exchange(const uint32_t* mine, int n, Body body) {
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int i = 0; i < n; ++i) emu_regs[w][lane][i] = mine[i];
  emu::warp_barrier[w]->arrive_and_wait();
  body(emu_regs[w]);
  emu::warp_barrier[w]->arrive_and_wait();
}
inline uint16_t smem_b16(uint32_t addr) {
  uint16_t v;
  std::memcpy(&v, smem_raw + addr, 2);
  return v;
}

// ldmatrix .x4: lanes 8m..8m+7 give the row addresses of 8x8 matrix m; lane t gets row t/4,
// columns 2(t%4), 2(t%4)+1 of each matrix (.trans: of its transpose).
inline void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  const int t = threadIdx.x % 32;
  warp_exchange(&addr, 1, [&](uint32_t (*regs)[6]) {
    for (int m = 0; m < 4; ++m) std::memcpy(&r[m], smem_raw + regs[8 * m + t / 4][0] + 4 * (t % 4), 4);
  });
}
inline void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  const int t = threadIdx.x % 32;
  warp_exchange(&addr, 1, [&](uint32_t (*regs)[6]) {
    for (int m = 0; m < 4; ++m) {
      const uint32_t lo = smem_b16(regs[8 * m + 2 * (t % 4)][0] + 2 * (t / 4));
      const uint32_t hi = smem_b16(regs[8 * m + 2 * (t % 4) + 1][0] + 2 * (t / 4));
      r[m] = lo | (hi << 16);
    }
  });
}

template <typename Elem> inline float emu_to_float(uint16_t bits) {
  if constexpr (std::is_same_v<Elem, __nv_bfloat16>) return __bfloat162float({bits});
  else return __half2float({bits});
}
// d = a (16x16, row) * b (16x8, col) + c: lane (g, tq) holds a rows g, g+8 at k 2tq.. and
// 2tq+8.., b at k 2tq.., 2tq+8.. of column g, and c rows g, g+8 at columns 2tq, 2tq+1.
template <typename Elem> inline void mma_16816(float* c, const uint32_t* a, uint32_t b0, uint32_t b1) {
  const int t = threadIdx.x % 32, g = t / 4, tq = t % 4;
  const uint32_t mine[6] = {a[0], a[1], a[2], a[3], b0, b1};
  warp_exchange(mine, 6, [&](uint32_t (*regs)[6]) {
    auto half = [](uint32_t w, int i) { return static_cast<uint16_t>(i ? w >> 16 : w & 0xffffu); };
    auto A = [&](int row, int k) {  // a[row][k]
      const int lane = 4 * (row % 8) + (k % 8) / 2, reg = (row >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0);
      return emu_to_float<Elem>(half(regs[lane][reg], k % 2));
    };
    auto B = [&](int k, int col) {  // b[k][col]
      const int lane = 4 * col + (k % 8) / 2, reg = 4 + (k >= 8 ? 1 : 0);
      return emu_to_float<Elem>(half(regs[lane][reg], k % 2));
    };
    for (int e = 0; e < 4; ++e) {
      const int row = g + 8 * (e / 2), col = 2 * tq + e % 2;
      float acc = c[e];
      for (int k = 0; k < 16; ++k) acc += A(row, k) * B(k, col);
      c[e] = acc;
    }
  });
}
}  // namespace attnc

inline unsigned __ballot_sync(unsigned, int pred) {
  const uint32_t mine = pred ? 1u : 0u;
  unsigned bits = 0;
  attnc::warp_exchange(&mine, 1, [&](uint32_t (*regs)[6]) {
    for (int i = 0; i < 32; ++i) bits |= regs[i][0] << i;
  });
  return bits;
}
inline int __popc(unsigned x) { return __builtin_popcount(x); }

namespace emu {
/** Runs kernel() for every thread of every CTA of a 3-D grid; CTAs one after another. */
template <typename Kernel>
void launch3(EmuDim grid, int threads, Kernel kernel) {
  blockDim = {static_cast<unsigned>(threads), 1, 1};
  gridDim = grid;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        std::memset(attnc::smem_raw, 0xa5, sizeof(attnc::smem_raw));  // garbage, as on the device
        run_cta(threads, {x, y, z}, kernel);
      }
}
}  // namespace emu
