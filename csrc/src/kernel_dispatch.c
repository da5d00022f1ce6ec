/*
 * kernel_dispatch.c -- which fast row kernels this process uses, and
 * psm_isa().
 *
 * The choice is made once, when the library is loaded (a constructor, with
 * GCC or Clang): the best variant the processor and the operating system
 * support, unless the environment variable PSM_ISA names another
 * ("baseline", "avx2", "avx512"); a variant this machine cannot run, or an
 * unknown name, leaves the best one in place.  Elsewhere the same choice is
 * made on every call (it is cheap and the same for every thread), so the
 * library keeps no state that a caller could see change.
 */
#include <stdlib.h>
#include <string.h>

#include "backward_table.h"
#include "kernel_table.h"
#include "pysoftmax.h"

static const psm_row_kernels *psm_choose_kernels(void)
{
    const psm_row_kernels *best = &psm_row_kernels_baseline;
    const char *forced = getenv("PSM_ISA");
#if defined(PSM_X86_VARIANTS)
    int has_avx2, has_avx512;
    __builtin_cpu_init();
    has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw");
    if (has_avx512)
        best = &psm_row_kernels_avx512;
    else if (has_avx2)
        best = &psm_row_kernels_avx2;
    if (forced != NULL && strcmp(forced, "avx2") == 0 && has_avx2)
        return &psm_row_kernels_avx2;
    if (forced != NULL && strcmp(forced, "avx512") == 0 && has_avx512)
        return &psm_row_kernels_avx512;
#endif
    if (forced != NULL && strcmp(forced, "baseline") == 0)
        return &psm_row_kernels_baseline;
    return best;
}

#if defined(__GNUC__) || defined(__clang__)
static const psm_row_kernels *psm_chosen_kernels = NULL;

__attribute__((constructor)) static void psm_choose_at_load(void)
{
    psm_chosen_kernels = psm_choose_kernels();
}

const psm_row_kernels *psm_active_kernels(void)
{
    /* Set before any function of the library can be called. */
    return psm_chosen_kernels != NULL ? psm_chosen_kernels : psm_choose_kernels();
}
#else
const psm_row_kernels *psm_active_kernels(void)
{
    return psm_choose_kernels();
}
#endif

const char *psm_isa(void)
{
    return psm_active_kernels()->name;
}

/* The backward kernels (backward_table.h) of the variant chosen above. */
const psm_backward_kernels *psm_active_backward_kernels(void)
{
    const psm_row_kernels *forward = psm_active_kernels();
#if defined(PSM_X86_VARIANTS)
    if (forward == &psm_row_kernels_avx512)
        return &psm_backward_kernels_avx512;
    if (forward == &psm_row_kernels_avx2)
        return &psm_backward_kernels_avx2;
#endif
    (void)forward;
    return &psm_backward_kernels_baseline;
}
