/*
 * float_environment.h -- what every public function saves on entry and
 * restores on exit.  Internal.
 *
 * The caller's floating-point exception flags: the kernels raise underflow
 * and the like on the way, and the caller must see its flags as they were.
 * Flush-to-zero and denormals-are-zero: XLA's threads (JAX callbacks) and
 * torch.set_flush_denormal run with them on, and they would turn every
 * subnormal intermediate or result into 0; the kernels need IEEE gradual
 * underflow, so they switch both off for the duration of the call.  That
 * part is processor-specific, hence the guarded blocks (x86 SSE's MXCSR);
 * elsewhere the mode is left as the caller set it.
 *
 * On x86-64 all of the library's floating-point arithmetic is SSE (no long
 * double, no x87 instruction; the tests check the flags by fetestexcept,
 * which reads both units): the MXCSR alone holds every flag the call can
 * raise, so saving and restoring that one register is the whole job.
 * fegetexceptflag and fesetexceptflag also store and reload the x87
 * environment: measured 87 ns a call in C, half of a 10-entry softmax.
 */
#ifndef PSM_FLOAT_ENVIRONMENT_H
#define PSM_FLOAT_ENVIRONMENT_H

#include <fenv.h>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <xmmintrin.h>
#define PSM_HAS_MXCSR 1
#endif

typedef struct {
    fexcept_t flags; /* unused where the MXCSR holds every flag */
#if defined(PSM_HAS_MXCSR)
    unsigned int mxcsr;
#endif
} psm_float_environment;

#if defined(PSM_HAS_MXCSR) && (defined(__x86_64__) || defined(_M_X64))
#define PSM_MXCSR_HOLDS_EVERY_FLAG 1
#endif

static inline psm_float_environment psm_enter(void)
{
    psm_float_environment saved;
#if !defined(PSM_MXCSR_HOLDS_EVERY_FLAG)
    fegetexceptflag(&saved.flags, FE_ALL_EXCEPT);
#endif
#if defined(PSM_HAS_MXCSR)
    saved.mxcsr = _mm_getcsr();
    /* Bit 15: flush to zero; bit 6: denormals are zero. */
    _mm_setcsr(saved.mxcsr & ~(0x8000u | 0x0040u));
#endif
    return saved;
}

static inline void psm_leave(const psm_float_environment *saved)
{
#if defined(PSM_HAS_MXCSR)
    _mm_setcsr(saved->mxcsr); /* the caller's modes, and its flags (bits 0-5) */
#endif
#if !defined(PSM_MXCSR_HOLDS_EVERY_FLAG)
    fesetexceptflag(&saved->flags, FE_ALL_EXCEPT);
#endif
}

#endif /* PSM_FLOAT_ENVIRONMENT_H */
