// Host emulation of the CUDA execution model, enough to run the helper kernels of
// codegen/cuda/runtime/attnc_runtime_helpers.cuh under g++ (test/codegen/runtimeHelpersHost.test.ts):
// one std::thread per CUDA thread, CTAs one after another, __syncthreads as a barrier of the
// CTA, warp shuffles as an exchange through per-warp slots between two barriers of the warp.
// The test rewrites the header's CUDA qualifiers (__shared__ becomes a function-level static,
// shared by the threads of the one running CTA) before including it after this file.
#pragma once
#include <algorithm>
#include <barrier>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

using std::max;
using std::min;

struct EmuDim { unsigned x = 0, y = 0, z = 0; };
inline thread_local EmuDim threadIdx, blockIdx;
inline EmuDim blockDim, gridDim;

namespace emu {
constexpr int MAX_WARPS = 32;
inline std::barrier<>* block_barrier = nullptr;
inline std::barrier<>* warp_barrier[MAX_WARPS];
inline uint64_t warp_slots[MAX_WARPS][32];
alignas(16) inline unsigned char dynamic_smem[512 * 1024];

template <typename T>
T exchange(T v, int src_lane) {
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  warp_slots[w][lane] = bits;
  warp_barrier[w]->arrive_and_wait();
  bits = warp_slots[w][src_lane];
  warp_barrier[w]->arrive_and_wait();
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

/** Runs kernel() on every thread of one CTA (block index `block`): a thread per CUDA thread. */
template <typename Kernel>
void run_cta(int threads, EmuDim block, Kernel kernel) {
  std::barrier<> cta(threads);
  block_barrier = &cta;
  std::vector<std::unique_ptr<std::barrier<>>> warps;
  for (int w = 0; w < threads / 32; ++w) {
    warps.emplace_back(new std::barrier<>(32));
    warp_barrier[w] = warps.back().get();
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      threadIdx = {static_cast<unsigned>(t), 0, 0};
      blockIdx = block;
      kernel();
    });
  }
  for (auto& th : pool) th.join();
}

/** Runs kernel() for every thread of every CTA of a 1-D grid; CTAs one after another. */
template <typename Kernel>
void launch(int grid, int threads, Kernel kernel) {
  blockDim = {static_cast<unsigned>(threads), 1, 1};
  gridDim = {static_cast<unsigned>(grid), 1, 1};
  std::memset(dynamic_smem, 0xa5, sizeof(dynamic_smem));  // garbage, as on the device
  for (int b = 0; b < grid; ++b) run_cta(threads, {static_cast<unsigned>(b), 0, 0}, kernel);
}
}  // namespace emu

#define __syncthreads() emu::block_barrier->arrive_and_wait()
template <typename T> T __shfl_xor_sync(unsigned, T v, int mask) { return emu::exchange(v, (threadIdx.x % 32) ^ mask); }
template <typename T> T __shfl_up_sync(unsigned, T v, int delta) {
  const int lane = threadIdx.x % 32;
  const T got = emu::exchange(v, std::max(lane - delta, 0));
  return lane >= delta ? got : v;
}
template <typename T> T __ldg(const T* p) { return *p; }
inline uint32_t __float_as_uint(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// 16-bit storage types: bf16 is the top half of a float; fp16 through the compiler's _Float16
struct __nv_bfloat16 { uint16_t bits; };
struct __half { uint16_t bits; };
inline float __bfloat162float(__nv_bfloat16 x) {
  const uint32_t u = static_cast<uint32_t>(x.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline float __half2float(__half x) {
  _Float16 h;
  std::memcpy(&h, &x.bits, 2);
  return static_cast<float>(h);
}
