// Host emulation of what the Hopper backward (codegen/cuda/runtime/attnc_bwd_sm90.cuh) needs
// beyond cudaEmuMma.hpp, so that its dK/dV kernel runs under g++ (test/codegen/sm80Emu.test.ts,
// "the wgmma backward"): mbarriers (phase-tracked counters), named barriers, wgmma m64nNk16 as
// a synchronous product whose operands come from shared memory through the matrix
// descriptors and the 128-byte swizzle (and, for the register operand, from the four lanes of
// a warp that hold a row), bulk reduce-adds as immediate additions. The kernel's own code --
// descriptors, swizzled layouts, fragment mappings, the item walk over the transposed
// schedule, the stage ring, the dQ staging -- runs unchanged; what the emulation cannot show is
// timing (every wgmma completes at issue, so a wait placed too late goes unnoticed).
#pragma once
#include <condition_variable>
#include <map>
#include <mutex>

#include "cudaEmuMma.hpp"

#define ATTNC_HOST_EMU_SM90 1

struct uint2 { uint32_t x, y; };
inline float __uint_as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float2 make_float2(float x, float y) { return {x, y}; }
namespace attnc::emu90 {
inline std::mutex add_mu;  // the additions of one CTA's warpgroups land on the same dQ tiles
}
inline void atomicAdd(float2* p, float2 v) {
  std::lock_guard<std::mutex> lock(attnc::emu90::add_mu);
  p->x += v.x;
  p->y += v.y;
}

namespace attnc {
namespace emu90 {
inline std::mutex mu;
inline std::condition_variable cv;
struct Mbarrier { int count = 0, pending = 0, phase = 0; };
inline std::map<uint32_t, Mbarrier> mbarriers;  // by shared-memory address
inline std::map<int, std::unique_ptr<std::barrier<>>> named;
}  // namespace emu90

inline void mbarrier_init(uint32_t bar, int count) {
  std::lock_guard<std::mutex> lock(emu90::mu);
  emu90::mbarriers[bar] = {count, count, 0};
}
inline void mbarrier_arrive(uint32_t bar) {
  std::lock_guard<std::mutex> lock(emu90::mu);
  emu90::Mbarrier& m = emu90::mbarriers.at(bar);
  if (--m.pending == 0) {
    m.phase ^= 1;
    m.pending = m.count;
    emu90::cv.notify_all();
  }
}
// copies are immediate, so the arrival is too
inline void cp_async_mbarrier_arrive(uint32_t bar) { mbarrier_arrive(bar); }
// returns once the phase of this parity has completed (the current phase has the other one)
inline void mbarrier_wait(uint32_t bar, int parity) {
  std::unique_lock<std::mutex> lock(emu90::mu);
  emu90::cv.wait(lock, [&] { return emu90::mbarriers.at(bar).phase != (parity & 1); });
}
inline void named_barrier(int id, int count) {
  std::barrier<>* b;
  {
    std::lock_guard<std::mutex> lock(emu90::mu);
    auto& slot = emu90::named[id * 4096 + count];
    if (!slot) slot.reset(new std::barrier<>(count));
    b = slot.get();
  }
  b->arrive_and_wait();
}

inline uint2 ld_shared_v2(uint32_t addr) {
  uint2 v;
  std::memcpy(&v, smem_raw + addr, 8);
  return v;
}
inline void st_shared_v2_f32(uint32_t addr, float x, float y) {
  std::memcpy(smem_raw + addr, &x, 4);
  std::memcpy(smem_raw + addr + 4, &y, 4);
}
inline void cp_async_4(uint32_t dst, const void* src, bool valid) {
  if (valid) std::memcpy(smem_raw + dst, src, 4);
  else std::memset(smem_raw + dst, 0, 4);
}
inline void bulk_reduce_add_f32(float* dst, uint32_t src, int bytes) {
  std::lock_guard<std::mutex> lock(emu90::add_mu);  // element-wise atomic on the device
  for (int i = 0; i < bytes / 4; ++i) {
    float x;
    std::memcpy(&x, smem_raw + src + 4 * i, 4);
    dst[i] += x;
  }
}
inline void bulk_wait_read() {}
inline void bulk_wait_all() {}

inline void wgmma_fence() {}
inline void wgmma_commit() {}
template <int N> inline void wgmma_wait() {}
template <int R> inline void fence_operands(float (&)[R]) {}
template <int R> inline void fence_operands(uint32_t (&)[R][4]) {}
template <int R> inline void copy_out(float (&dst)[R], const float (&src)[R]) { for (int i = 0; i < R; ++i) dst[i] = src[i]; }

// --- wgmma operands in shared memory (make_smem_desc: start >> 4, LBO >> 4 at bit 16, SBO >> 4
// at bit 32, 128-byte swizzle: the 16-byte chunk index XOR the row within the 1024-byte atom)
struct Desc {
  uint32_t start, lbo, sbo;
  explicit Desc(uint64_t d)
      : start(static_cast<uint32_t>(d & 0x3FFF) << 4), lbo(static_cast<uint32_t>((d >> 16) & 0x3FFF) << 4),
        sbo(static_cast<uint32_t>((d >> 32) & 0x3FFF) << 4) {}
  // K-major: row r (M or N), element k of the 16-wide k-step
  uint32_t kmajor(int r, int k) const { return start + (r / 8) * sbo + (r % 8) * 128 + 2 * k; }
  // MN-major: element m/n of the 64-wide blocks (LBO apart), row k of the k-step
  uint32_t mnmajor(int mn, int k) const { return start + (mn / 64) * lbo + (k / 8) * sbo + (k % 8) * 128 + 2 * (mn % 64); }
};
template <typename Elem> inline float smem_elem(uint32_t addr) {
  const uint32_t a = addr ^ (((addr >> 7) & 7) << 4);
  return emu_to_float<Elem>(smem_b16(a));
}

// d[4i + 2r + c] of thread (warp w of the warpgroup, lane g, tq): row 16w + g + 8r, column 8i + 2tq + c
template <int N, typename F> inline void wgmma_each(float (&d)[N / 2], int scale_d, F dot) {
  const int w = (threadIdx.x % 128) / 32, lane = threadIdx.x % 32, g = lane / 4, tq = lane % 4;
  for (int i = 0; i < N / 8; ++i)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c) {
        float& x = d[4 * i + 2 * r + c];
        x = (scale_d ? x : 0.0f) + dot(16 * w + g + 8 * r, 8 * i + 2 * tq + c);
      }
}

template <typename Elem, int N> struct Wgmma {
  // d (+)= A[smem, K-major] * B[smem, K-major]
  static void ss(float (&d)[N / 2], uint64_t desc_a, uint64_t desc_b, int scale_d) {
    const Desc a(desc_a), b(desc_b);
    wgmma_each<N>(d, scale_d, [&](int m, int n) {
      float s = 0.0f;
      for (int k = 0; k < 16; ++k) s += smem_elem<Elem>(a.kmajor(m, k)) * smem_elem<Elem>(b.kmajor(n, k));
      return s;
    });
  }
  // d (+)= A[registers] * B[smem, MN-major]; lane (g, tq) of warp w holds A rows 16w + g (+8),
  // k = 2tq, 2tq + 1 (+8): register (row >= 8) + 2 (k >= 8)
  static void rs(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t desc_b, int scale_d = 1) {
    const Desc b(desc_b);
    const int g = (threadIdx.x % 32) / 4;
    float arow[2][16];
    warp_exchange(a, 4, [&](uint32_t (*regs)[6]) {
      for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 16; ++k) {
          const uint32_t w = regs[4 * g + (k % 8) / 2][r + (k >= 8 ? 2 : 0)];
          arow[r][k] = emu_to_float<Elem>(static_cast<uint16_t>(k % 2 ? w >> 16 : w & 0xffffu));
        }
    });
    wgmma_each<N>(d, scale_d, [&](int m, int n) {
      float s = 0.0f;
      for (int k = 0; k < 16; ++k) s += arow[(m % 16) / 8][k] * smem_elem<Elem>(b.mnmajor(n, k));
      return s;
    });
  }
};
// d (+)= A^T[smem, MN-major] * B[smem, MN-major], m64n64k16 (the backward's dQ product)
template <typename Elem> struct WgmmaTT {
  static void ss(float (&d)[32], uint64_t desc_a, uint64_t desc_b, int scale_d) {
    const Desc a(desc_a), b(desc_b);
    wgmma_each<64>(d, scale_d, [&](int m, int n) {
      float s = 0.0f;
      for (int k = 0; k < 16; ++k) s += smem_elem<Elem>(a.mnmajor(m, k)) * smem_elem<Elem>(b.mnmajor(n, k));
      return s;
    });
  }
};
}  // namespace attnc
