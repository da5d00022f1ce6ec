/*
 * row_kernels.cu -- the C core's row algorithm on an NVIDIA GPU: one thread
 * block per row, the same numerics (row_numerics.h, compiled as device code)
 * and the same edge-case table as the CPU.
 *
 * Compiled at run time by NVRTC (the CuPy backend) with the include path
 * csrc/src and --fmad=false: the double-double arithmetic is exact only if
 * no multiply and add are fused behind its back (the products that need it
 * use fma() explicitly).  The host-side test csrc/tests/test_cuda_emulated.cpp
 * runs these same kernels on the CPU, threads standing in for a block.
 *
 * Per row, the block's threads take entries i = t, t + B, t + 2B, ... and
 *   1. scan them (max, first argmax, counts) and merge the scans in a tree;
 *   2. pick the edge rule, if one holds, and write its constants; else
 *   3. sum exp((x_i - max) / T) as double-doubles, merged in a tree, and
 *   4. write each output from the total, as the CPU does.
 * Each merge is exact (scan) or carries 106 bits (sum), so the result differs
 * from the CPU's at most in the summation order of the double-double terms.
 *
 * Launch: blockDim.x a power of two up to PSM_CUDA_MAX_BLOCK, any gridDim.x
 * (rows beyond it are taken in turn).  Strides count elements and may be
 * negative or 0 (inputs); the caller (pysoftmax/_backends/cupy.py) has
 * checked the layout and allocated the outputs.
 */
#include "row_numerics.h"

#define PSM_CUDA_MAX_BLOCK 256

typedef long long psm_index;

/* Entry i of a row whose entries lie `stride` elements apart. */
#define PSM_CUDA_AT(row, stride, i) ((row)[(i) * (stride)])

/* The scan of row `x` by the whole block; every thread gets the result. */
template <typename Element>
static __device__ psm_row_scan psm_block_scan(const Element *x, psm_index stride, psm_index n,
                                              psm_row_scan *shared)
{
    psm_row_scan scan = psm_scan_start();
    psm_row_scan result;
    psm_index i;
    unsigned int step;
    for (i = threadIdx.x; i < n; i += blockDim.x)
        psm_scan_push(&scan, (double)PSM_CUDA_AT(x, stride, i), (size_t)i);
    shared[threadIdx.x] = scan;
    __syncthreads();
    for (step = blockDim.x / 2; step > 0; step /= 2) {
        if (threadIdx.x < step)
            shared[threadIdx.x] = psm_scan_merge(shared[threadIdx.x], shared[threadIdx.x + step]);
        __syncthreads();
    }
    result = shared[0];
    __syncthreads(); /* before `shared` is written again */
    return result;
}

/* s = the sum of exp((x_i - max) / T) over every entry but the argmax, by
 * the whole block; every thread gets the total. */
template <typename Element>
static __device__ psm_dd psm_block_exp_sum(const Element *x, psm_index stride, psm_index n,
                                           const psm_row_scan *scan, double temperature,
                                           psm_exp_sum *shared)
{
    psm_exp_sum sum = psm_exp_sum_start();
    psm_dd total;
    psm_index i;
    unsigned int step;
    for (i = threadIdx.x; i < n; i += blockDim.x) {
        if ((size_t)i != scan->argmax)
            psm_exp_sum_add(&sum, psm_shifted((double)PSM_CUDA_AT(x, stride, i), scan->max,
                                              temperature));
    }
    shared[threadIdx.x] = sum;
    __syncthreads();
    for (step = blockDim.x / 2; step > 0; step /= 2) {
        if (threadIdx.x < step)
            psm_exp_sum_merge(&shared[threadIdx.x], &shared[threadIdx.x + step]);
        __syncthreads();
    }
    total = psm_exp_sum_total(&shared[0]);
    __syncthreads();
    return total;
}

template <typename Element>
static __device__ void psm_block_normalize(const Element *x, psm_index x_row_stride,
                                           psm_index x_stride, Element *y,
                                           psm_index y_row_stride, psm_index y_stride,
                                           psm_index rows, psm_index n, double temperature,
                                           int log_output)
{
    __shared__ psm_row_scan scans[PSM_CUDA_MAX_BLOCK];
    __shared__ psm_exp_sum sums[PSM_CUDA_MAX_BLOCK];
    psm_index r, i;
    for (r = blockIdx.x; r < rows; r += gridDim.x) {
        const Element *row = x + r * x_row_stride;
        Element *out = y + r * y_row_stride;
        psm_row_scan scan = psm_block_scan(row, x_stride, n, scans);
        const psm_edge_rule *rule = psm_find_rule(&scan, temperature);
        if (rule != NULL) {
            size_t count = psm_selected_count(rule->selects, &scan, (size_t)n);
            double selected = psm_rule_value(
                log_output ? rule->log_softmax_selected : rule->softmax_selected, count);
            double others = psm_rule_value(
                log_output ? rule->log_softmax_others : rule->softmax_others, count);
            for (i = threadIdx.x; i < n; i += blockDim.x)
                PSM_CUDA_AT(out, y_stride, i) = (Element)(
                    psm_is_selected(rule->selects, (double)PSM_CUDA_AT(row, x_stride, i), scan.max)
                        ? selected
                        : others);
            continue;
        }
        {
            psm_dd total = psm_block_exp_sum(row, x_stride, n, &scan, temperature, sums);
            if (log_output) {
                psm_dd log_total = psm_log1p_dd(total);
                for (i = threadIdx.x; i < n; i += blockDim.x)
                    PSM_CUDA_AT(out, y_stride, i) = (Element)psm_log_softmax_value(
                        psm_shifted((double)PSM_CUDA_AT(row, x_stride, i), scan.max, temperature),
                        log_total);
            } else {
                total = psm_one_plus(total);
                for (i = threadIdx.x; i < n; i += blockDim.x)
                    PSM_CUDA_AT(out, y_stride, i) = (Element)psm_softmax_value(
                        psm_shifted((double)PSM_CUDA_AT(row, x_stride, i), scan.max, temperature),
                        total);
            }
        }
    }
}

template <typename Element>
static __device__ void psm_block_logsumexp(const Element *x, psm_index x_row_stride,
                                           psm_index x_stride, Element *out, psm_index out_stride,
                                           psm_index rows, psm_index n)
{
    __shared__ psm_row_scan scans[PSM_CUDA_MAX_BLOCK];
    __shared__ psm_exp_sum sums[PSM_CUDA_MAX_BLOCK];
    psm_index r;
    for (r = blockIdx.x; r < rows; r += gridDim.x) {
        const Element *row = x + r * x_row_stride;
        psm_row_scan scan = psm_block_scan(row, x_stride, n, scans);
        const psm_edge_rule *rule = psm_find_rule(&scan, 1.0);
        double value;
        if (rule != NULL) {
            value = psm_rule_value(rule->logsumexp,
                                   psm_selected_count(rule->selects, &scan, (size_t)n));
        } else {
            psm_dd total = psm_block_exp_sum(row, x_stride, n, &scan, 1.0, sums);
            value = psm_logsumexp_value(scan.max, psm_log1p_dd(total));
        }
        if (threadIdx.x == 0)
            out[r * out_stride] = (Element)value;
    }
}

/* The entry points CuPy looks up by name, one per function and dtype. */
#define PSM_CUDA_ENTRY_POINTS(Element, suffix)                                                    \
    extern "C" __global__ void psm_cuda_softmax_##suffix(                                         \
        const Element *x, psm_index x_row_stride, psm_index x_stride, Element *y,                 \
        psm_index y_row_stride, psm_index y_stride, psm_index rows, psm_index n,                  \
        double temperature)                                                                       \
    {                                                                                             \
        psm_block_normalize(x, x_row_stride, x_stride, y, y_row_stride, y_stride, rows, n,        \
                            temperature, 0);                                                      \
    }                                                                                             \
    extern "C" __global__ void psm_cuda_log_softmax_##suffix(                                     \
        const Element *x, psm_index x_row_stride, psm_index x_stride, Element *y,                 \
        psm_index y_row_stride, psm_index y_stride, psm_index rows, psm_index n,                  \
        double temperature)                                                                       \
    {                                                                                             \
        psm_block_normalize(x, x_row_stride, x_stride, y, y_row_stride, y_stride, rows, n,        \
                            temperature, 1);                                                      \
    }                                                                                             \
    extern "C" __global__ void psm_cuda_logsumexp_##suffix(                                       \
        const Element *x, psm_index x_row_stride, psm_index x_stride, Element *out,               \
        psm_index out_stride, psm_index rows, psm_index n)                                        \
    {                                                                                             \
        psm_block_logsumexp(x, x_row_stride, x_stride, out, out_stride, rows, n);                 \
    }

PSM_CUDA_ENTRY_POINTS(float, f32)
PSM_CUDA_ENTRY_POINTS(double, f64)
