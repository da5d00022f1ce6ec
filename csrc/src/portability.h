/*
 * portability.h -- what lets the row numerics (double_double.h,
 * row_numerics.h, edge_rules.h) compile from the same source both as C99 for
 * the CPU and as CUDA device code for the GPU kernels (csrc/cuda/, compiled
 * at run time by NVRTC for the CuPy backend).  Internal.
 */
#ifndef PSM_PORTABILITY_H
#define PSM_PORTABILITY_H

#if defined(__CUDACC__)
/* Every helper is device code; the edge-rule table lives in global memory
 * (constant memory would not be reachable through an ordinary pointer). */
#define PSM_INTERNAL static __device__ inline
#define PSM_TABLE static __device__ const
#else
#define PSM_INTERNAL static inline
#define PSM_TABLE static const
#endif

#if defined(__CUDACC_RTC__)
/* NVRTC has no C library headers: size_t, ptrdiff_t and the math functions
 * (floor, ldexp, log, log1p, fabs, fma) are built in; these two are not. */
#define INFINITY __longlong_as_double(0x7ff0000000000000LL)
#define NAN __longlong_as_double(0x7ff8000000000000LL)
#else
#include <float.h>
#include <math.h>
#include <stddef.h>
#endif

/* For the vector kernels' hot loops: compiled as functions of their own,
 * GCC vectorizes them; inlined into their callers, sometimes not. */
#if defined(__GNUC__) || defined(__clang__)
#define PSM_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define PSM_NOINLINE __declspec(noinline)
#else
#define PSM_NOINLINE
#endif

/* Hints that the vector kernels will soon read (or write) the cache line
 * at p, a valid pointer: they load the next row (and the lines of the
 * output) while the current row's exponentials keep the core busy, instead
 * of waiting for memory in the passes that follow.  Nothing where the
 * compiler has no such builtin. */
#if defined(__GNUC__) || defined(__clang__)
#define PSM_PREFETCH_READ(p) __builtin_prefetch((p), 0, 3)
#define PSM_PREFETCH_WRITE(p) __builtin_prefetch((p), 1, 3)
#else
#define PSM_PREFETCH_READ(p) ((void)(p))
#define PSM_PREFETCH_WRITE(p) ((void)(p))
#endif

/* A hot loop written once with flags that its callers pass as constants:
 * inlined into each, so that every copy is specialized (GCC's own choice,
 * with four callers, was one copy testing the flags inside the loop). */
#if defined(__GNUC__) || defined(__clang__)
#define PSM_ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define PSM_ALWAYS_INLINE static __forceinline
#else
#define PSM_ALWAYS_INLINE static inline
#endif

/* The GPU has an exact fused multiply-add for the error of a product; on the
 * CPU it is used only where the C library says fma is fast. */
#if defined(FP_FAST_FMA) || defined(__CUDA_ARCH__)
#define PSM_HAS_FAST_FMA 1
#endif

#endif /* PSM_PORTABILITY_H */
