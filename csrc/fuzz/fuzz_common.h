/*
 * fuzz_common.h -- what the fuzz harnesses of csrc/fuzz share: failing
 * loudly, reading the fuzzer's bytes, and checking that the kernels in use
 * are the ones PSM_ISA asked for.  Header-only, every function static, so
 * that each harness stays one C99 translation unit (plus the driver:
 * libFuzzer's, or standalone_main.c where there is no libFuzzer).
 */
#ifndef PSM_FUZZ_COMMON_H
#define PSM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pysoftmax.h"

/* The entry points every libFuzzer harness defines (also called by
 * standalone_main.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Prints what the harness was doing (a function each harness may set) and
 * aborts: libFuzzer reports a crash and saves the input. */
static void (*fz_describe)(void) = NULL;

#define FZ_FAIL(...)                                                                            \
    do {                                                                                        \
        fprintf(stderr, "\nINVARIANT VIOLATED (%s:%d): ", __FILE__, __LINE__);                  \
        fprintf(stderr, __VA_ARGS__);                                                           \
        fputc('\n', stderr);                                                                    \
        if (fz_describe != NULL)                                                                \
            fz_describe();                                                                      \
        fflush(stderr);                                                                         \
        abort();                                                                                \
    } while (0)

#define FZ_CHECK(condition, ...)                                                                \
    do {                                                                                        \
        if (!(condition))                                                                       \
            FZ_FAIL(__VA_ARGS__);                                                               \
    } while (0)

/* ------------------------------------------------------------ the input */

/* The fuzzer's bytes, read from the front; once they run out, a PRNG
 * seeded from all of them takes over, so that a short input still makes a
 * long row (and the same input always the same case). */
typedef struct {
    const uint8_t *data;
    size_t size, position;
    uint64_t state;
} fz_input;

static inline fz_input fz_start(const uint8_t *data, size_t size)
{
    fz_input in;
    uint64_t hash = 0xcbf29ce484222325u; /* FNV-1a */
    size_t i;
    for (i = 0; i < size; i++)
        hash = (hash ^ data[i]) * 0x100000001b3u;
    in.data = data;
    in.size = size;
    in.position = 0;
    in.state = hash ? hash : 1;
    return in;
}

/* xorshift64*. */
static inline uint64_t fz_random(fz_input *in)
{
    uint64_t x = in->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    in->state = x;
    return x * 0x2545f4914f6cdd1du;
}

static inline unsigned fz_byte(fz_input *in)
{
    if (in->position < in->size)
        return in->data[in->position++];
    return (unsigned)(fz_random(in) >> 56);
}

/* `count` bytes (at most 8), little-endian. */
static inline uint64_t fz_bytes(fz_input *in, int count)
{
    uint64_t value = 0;
    int k;
    for (k = 0; k < count; k++)
        value |= (uint64_t)fz_byte(in) << (8 * k);
    return value;
}

/* Uniform in [0, 1) from the PRNG (not the bytes). */
static inline double fz_uniform(fz_input *in)
{
    return (double)(fz_random(in) >> 11) * 0x1p-53;
}

/* Roughly standard normal (Irwin-Hall, 12 terms). */
static inline double fz_normal(fz_input *in)
{
    double sum = 0.0;
    int k;
    for (k = 0; k < 12; k++)
        sum += fz_uniform(in);
    return sum - 6.0;
}

/* ------------------------------------------------------------ the ISA */

/* What psm_isa() must say: the variant PSM_ISA names if this processor
 * runs it, else the best one it runs (the header's rule).  NULL where this
 * harness cannot tell (not x86 with GCC/Clang builtins). */
static inline const char *fz_expected_isa(void)
{
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    const char *forced = getenv("PSM_ISA");
    int has_avx2, has_avx512;
    __builtin_cpu_init();
    has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw");
    if (forced != NULL && strcmp(forced, "baseline") == 0)
        return "baseline";
    if (forced != NULL && strcmp(forced, "avx2") == 0 && has_avx2)
        return "avx2";
    if (forced != NULL && strcmp(forced, "avx512") == 0 && has_avx512)
        return "avx512";
    return has_avx512 ? "avx512" : has_avx2 ? "avx2" : "baseline";
#else
    return NULL;
#endif
}

/* Checks psm_isa() once at start-up and says which kernels run (the
 * Python test reads this line). */
static inline void fz_check_isa(const char *harness)
{
    const char *isa = psm_isa();
    const char *expected = fz_expected_isa();
    const char *forced = getenv("PSM_ISA");
    FZ_CHECK(isa != NULL, "psm_isa() returned NULL");
    FZ_CHECK(strcmp(isa, "baseline") == 0 || strcmp(isa, "avx2") == 0 ||
                 strcmp(isa, "avx512") == 0,
             "psm_isa() = \"%s\", not one of baseline, avx2, avx512", isa);
    FZ_CHECK(expected == NULL || strcmp(isa, expected) == 0,
             "psm_isa() = \"%s\" with PSM_ISA=%s, expected \"%s\"", isa,
             forced ? forced : "(unset)", expected);
    fprintf(stderr, "%s: kernels %s (PSM_ISA=%s)\n", harness, isa, forced ? forced : "(unset)");
}

#endif /* PSM_FUZZ_COMMON_H */
