/*
 * test_cuda_emulated.cpp -- the CUDA kernels of csrc/cuda/row_kernels.cu,
 * run on the CPU and compared with the C library.
 *
 * No GPU is needed: the kernel source is compiled here as C++ with the few
 * CUDA names it uses defined below (a thread block is blockDim.x std::threads,
 * __syncthreads() a std::barrier, __shared__ a static shared by them), and
 * launched block after block.  What this checks is the kernels' own logic
 * (the split of a row over the block's threads, the tree merges of scans and
 * sums, the grid-stride loop over rows, strides, edge rules, every function
 * and dtype): each output within 1 ULP of the C library's for the same row
 * (the two differ only in the order the double-double terms are summed).
 * That the same source compiles for a GPU is checked by tests/test_cupy.py
 * with NVRTC; that it gives these results there, by the conformance suite on
 * a machine with a GPU.
 */
#include <barrier>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

struct psm_emulated_dim3 {
    unsigned int x, y, z;
};

static thread_local psm_emulated_dim3 threadIdx;
static psm_emulated_dim3 blockIdx, blockDim, gridDim; /* one block runs at a time */
static std::unique_ptr<std::barrier<>> psm_emulated_barrier; /* the running block's */

static void __syncthreads()
{
    psm_emulated_barrier->arrive_and_wait();
}

#define __global__
#define __device__
#define __shared__ static

#include "../cuda/row_kernels.cu"

#include "psm_test.h"

/* Runs `kernel` on a grid of `grid` blocks of `block` threads. */
static void launch(unsigned int grid, unsigned int block, const std::function<void()> &kernel)
{
    psm_emulated_barrier = std::make_unique<std::barrier<>>(block);
    gridDim = {grid, 1, 1};
    blockDim = {block, 1, 1};
    for (unsigned int b = 0; b < grid; b++) {
        std::vector<std::thread> threads;
        blockIdx = {b, 0, 0};
        for (unsigned int t = 0; t < block; t++)
            threads.emplace_back([t, &kernel] {
                threadIdx = {t, 0, 0};
                kernel();
            });
        for (std::thread &thread : threads)
            thread.join();
    }
}

static uint64_t ulp_distance(float a, float b)
{
    return psm_ulp_distance_f32(a, b);
}

static uint64_t ulp_distance(double a, double b)
{
    return psm_ulp_distance_f64(a, b);
}

/* The C library's strided functions and the kernels, for one element type. */
template <typename Element> struct Functions;

template <> struct Functions<float> {
    static constexpr const char *name = "f32";
    static constexpr auto c_softmax = psm_softmax_strided_f32;
    static constexpr auto c_log_softmax = psm_log_softmax_strided_f32;
    static constexpr auto c_logsumexp = psm_logsumexp_strided_f32;
    static constexpr auto cuda_softmax = psm_cuda_softmax_f32;
    static constexpr auto cuda_log_softmax = psm_cuda_log_softmax_f32;
    static constexpr auto cuda_logsumexp = psm_cuda_logsumexp_f32;
};

template <> struct Functions<double> {
    static constexpr const char *name = "f64";
    static constexpr auto c_softmax = psm_softmax_strided_f64;
    static constexpr auto c_log_softmax = psm_log_softmax_strided_f64;
    static constexpr auto c_logsumexp = psm_logsumexp_strided_f64;
    static constexpr auto cuda_softmax = psm_cuda_softmax_f64;
    static constexpr auto cuda_log_softmax = psm_cuda_log_softmax_f64;
    static constexpr auto cuda_logsumexp = psm_cuda_logsumexp_f64;
};

/* A rows x n matrix stored with the given strides (element (r, i) at
 * origin + r * row_stride + i * stride), in a buffer that fits any of them. */
template <typename Element> struct Matrix {
    std::vector<Element> buffer;
    psm_index origin, row_stride, stride;

    Matrix(size_t rows, size_t n, psm_index row_stride_, psm_index stride_)
        : buffer(8 * (rows * n + 1), (Element)12345), row_stride(row_stride_), stride(stride_)
    {
        origin = (psm_index)buffer.size() / 2;
    }
    Element *at(size_t r, size_t i)
    {
        return &buffer[(size_t)(origin + (psm_index)r * row_stride + (psm_index)i * stride)];
    }
    Element *start()
    {
        return at(0, 0);
    }
};

/* The values of row r: random, with the special values of the edge-case
 * table and the extremes of the dtype in some rows. */
template <typename Element> static double entry(psm_rng *rng, size_t r, size_t i, size_t n)
{
    const double huge = (double)std::numeric_limits<Element>::max();
    const double tiny = (double)std::numeric_limits<Element>::denorm_min();
    switch (r % 9) {
    case 1:
        return i == n / 2 ? NAN : psm_rng_normalish(rng);
    case 2:
        return i % 3 == 0 ? INFINITY : psm_rng_normalish(rng);
    case 3:
        return -INFINITY;
    case 4:
        return i % 2 == 0 ? -INFINITY : 5.0 * psm_rng_normalish(rng);
    case 5:
        return (i % 2 == 0 ? huge : -huge) * psm_rng_uniform(rng);
    case 6:
        return tiny * (double)(i % 5);
    case 7:
        return 7.0; /* all equal */
    default:
        return 30.0 * psm_rng_normalish(rng);
    }
}

template <typename Element>
static void check_layout(size_t rows, size_t n, psm_index row_stride, psm_index stride,
                         unsigned int grid, unsigned int block, uint64_t *worst)
{
    using F = Functions<Element>;
    static const double temperatures[] = {1.0, 0.37, 6.5, 0.0, INFINITY, 1e-30};
    psm_rng rng = psm_rng_seed(rows * 1000003u + n * 101u + (uint64_t)block);
    Matrix<Element> x(rows, n, row_stride, stride);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            *x.at(r, i) = (Element)entry<Element>(&rng, r, i, n);

    for (double temperature : temperatures) {
        for (int log_output = 0; log_output < 2; log_output++) {
            std::vector<Element> expected(rows * n), actual(rows * n, (Element)12345);
            auto c_function = log_output ? F::c_log_softmax : F::c_softmax;
            auto cuda_function = log_output ? F::cuda_log_softmax : F::cuda_softmax;
            int status = c_function(x.start(), x.row_stride, x.stride, expected.data(),
                                    (ptrdiff_t)n, 1, rows, n, (Element)temperature);
            CHECK(status == PSM_OK, "C status %d", status);
            launch(grid, block, [&] {
                cuda_function(x.start(), x.row_stride, x.stride, actual.data(), (psm_index)n, 1,
                              (psm_index)rows, (psm_index)n, (double)(Element)temperature);
            });
            for (size_t k = 0; k < rows * n; k++) {
                uint64_t distance = ulp_distance(actual[k], expected[k]);
                if (distance > *worst)
                    *worst = distance;
                CHECK(distance <= 1,
                      "%s %s rows=%zu n=%zu strides=(%lld,%lld) grid=%u block=%u T=%g entry %zu: "
                      "kernel %.17g, C %.17g",
                      F::name, log_output ? "log_softmax" : "softmax", rows, n,
                      (long long)row_stride, (long long)stride, grid, block, temperature, k,
                      (double)actual[k], (double)expected[k]);
            }
        }
    }

    std::vector<Element> expected(rows), actual(rows, (Element)12345);
    int status = F::c_logsumexp(x.start(), x.row_stride, x.stride, expected.data(), 1, rows, n);
    CHECK(status == PSM_OK, "C status %d", status);
    launch(grid, block, [&] {
        F::cuda_logsumexp(x.start(), x.row_stride, x.stride, actual.data(), 1, (psm_index)rows,
                          (psm_index)n);
    });
    for (size_t r = 0; r < rows; r++) {
        uint64_t distance = ulp_distance(actual[r], expected[r]);
        if (distance > *worst)
            *worst = distance;
        CHECK(distance <= 1, "%s logsumexp rows=%zu n=%zu grid=%u block=%u row %zu: %.17g vs %.17g",
              F::name, rows, n, grid, block, r, (double)actual[r], (double)expected[r]);
    }
}

template <typename Element> static void check_all(uint64_t *worst)
{
    struct Shape {
        size_t rows, n;
    };
    static const Shape shapes[] = {{1, 1}, {9, 7}, {9, 33}, {2, 1000}, {18, 65}};
    static const unsigned int blocks[] = {1, 2, 32, 64};
    for (const Shape &shape : shapes) {
        const psm_index rows = (psm_index)shape.rows, n = (psm_index)shape.n;
        /* contiguous, transposed (rows are columns), reversed, spaced out */
        const psm_index layouts[][2] = {{n, 1}, {1, rows}, {-n, -1}, {3 * n, 2}};
        for (const auto &layout : layouts) {
            for (unsigned int block : blocks) {
                unsigned int grid = shape.rows > 3 ? 3 : (unsigned int)shape.rows;
                check_layout<Element>(shape.rows, shape.n, layout[0], layout[1], grid, block,
                                      worst);
            }
        }
    }
}

int main()
{
    uint64_t worst_f32 = 0, worst_f64 = 0;
    check_all<float>(&worst_f32);
    check_all<double>(&worst_f64);
    printf("worst distance from the C library: %llu ULP (f32), %llu ULP (f64)\n",
           (unsigned long long)worst_f32, (unsigned long long)worst_f64);
    return psm_test_finish("test_cuda_emulated");
}
