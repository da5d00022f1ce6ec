/*
 * fuzz_status.c -- libFuzzer harness for the functions without arrays:
 * psm_strerror, psm_version, psm_version_number and psm_isa.
 *
 * Each input is a sequence of 4-byte status values (any int).  Invariants:
 * - psm_strerror(status) is never NULL, is a short NUL-terminated string,
 *   is "unknown status" for every value that is not a PSM status, and a
 *   distinct message of its own for each of PSM_OK and the five PSM_E_*
 *   codes; the same pointer every time for the same status (static storage);
 * - psm_version() is "MAJOR.MINOR.PATCH" of the header's macros and
 *   psm_version_number() is PSM_VERSION_NUMBER;
 * - psm_isa() is the variant PSM_ISA asks for where the processor runs it,
 *   else the best one (checked once at start-up), and the same thereafter;
 * - none of them changes the floating-point exception flags.
 */
#include <fenv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define FZ_STATUS_COUNT 7
static const int fz_statuses[FZ_STATUS_COUNT] = {
    PSM_OK,        PSM_E_NULL_POINTER, PSM_E_TEMPERATURE,    PSM_E_SIZE_OVERFLOW,
    PSM_E_OVERLAP, PSM_E_STRIDE,       PSM_E_NO_DISTRIBUTION};
static const char *fz_messages[FZ_STATUS_COUNT];
static const char *fz_unknown;
static const char *fz_isa_at_start;
static char fz_version_text[64];

/* Length of a string that must end within `limit` bytes (checked with
 * memchr one byte at a time, so that ASan sees any read past its end). */
static size_t fz_bounded_length(const char *text, size_t limit)
{
    size_t i;
    for (i = 0; i < limit; i++)
        if (text[i] == '\0')
            return i;
    FZ_FAIL("a string of the library is longer than %zu bytes", limit);
    return limit;
}

static int fz_known_index(int status)
{
    int k;
    for (k = 0; k < FZ_STATUS_COUNT; k++)
        if (fz_statuses[k] == status)
            return k;
    return -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int k, j;
    (void)argc;
    (void)argv;
    fz_check_isa("fuzz_status");
    fz_isa_at_start = psm_isa();
    fz_unknown = psm_strerror(12345);
    FZ_CHECK(fz_unknown != NULL && strcmp(fz_unknown, "unknown status") == 0,
             "psm_strerror(12345) is not \"unknown status\"");
    for (k = 0; k < FZ_STATUS_COUNT; k++) {
        fz_messages[k] = psm_strerror(fz_statuses[k]);
        FZ_CHECK(fz_messages[k] != NULL, "psm_strerror(%d) is NULL", fz_statuses[k]);
        FZ_CHECK(fz_bounded_length(fz_messages[k], 200) > 0, "psm_strerror(%d) is empty",
                 fz_statuses[k]);
        FZ_CHECK(strcmp(fz_messages[k], fz_unknown) != 0,
                 "psm_strerror(%d) says \"unknown status\"", fz_statuses[k]);
        for (j = 0; j < k; j++)
            FZ_CHECK(strcmp(fz_messages[j], fz_messages[k]) != 0,
                     "psm_strerror(%d) and psm_strerror(%d) are the same message",
                     fz_statuses[j], fz_statuses[k]);
    }
    snprintf(fz_version_text, sizeof fz_version_text, "%d.%d.%d", PSM_VERSION_MAJOR,
             PSM_VERSION_MINOR, PSM_VERSION_PATCH);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t offset;
    const char *version, *isa;
    int flags_before, flags_after;
    feclearexcept(FE_ALL_EXCEPT);
    if (size > 0 && (data[0] & 1))
        feraiseexcept(FE_INEXACT | FE_UNDERFLOW);
    flags_before = fetestexcept(FE_ALL_EXCEPT);
    for (offset = 0; offset + 4 <= size || offset == 0; offset += 4) {
        uint32_t bits = 0;
        int status, known;
        const char *message;
        size_t k;
        for (k = 0; k < 4 && offset + k < size; k++)
            bits |= (uint32_t)data[offset + k] << (8 * k);
        /* Also the values next to the codes, and the ends of int. */
        status = (int)bits;
        if (size > 0 && (data[size - 1] & 3) == 1)
            status = (int)(bits % 16) - 10;
        message = psm_strerror(status);
        FZ_CHECK(message != NULL, "psm_strerror(%d) is NULL", status);
        fz_bounded_length(message, 200);
        known = fz_known_index(status);
        if (known < 0)
            FZ_CHECK(message == fz_unknown || strcmp(message, "unknown status") == 0,
                     "psm_strerror(%d), not a status, is \"%s\"", status, message);
        else
            FZ_CHECK(message == fz_messages[known],
                     "psm_strerror(%d) moved: not the message it gave before", status);
        if (offset + 4 > size)
            break;
    }
    version = psm_version();
    FZ_CHECK(version != NULL && fz_bounded_length(version, 64) < 64 &&
                 strcmp(version, fz_version_text) == 0,
             "psm_version() is \"%s\", the header says %s", version ? version : "(null)",
             fz_version_text);
    FZ_CHECK(psm_version_number() == PSM_VERSION_NUMBER, "psm_version_number() = %d, not %d",
             psm_version_number(), PSM_VERSION_NUMBER);
    isa = psm_isa();
    FZ_CHECK(isa == fz_isa_at_start || strcmp(isa, fz_isa_at_start) == 0,
             "psm_isa() changed from \"%s\" to \"%s\"", fz_isa_at_start, isa);
    flags_after = fetestexcept(FE_ALL_EXCEPT);
    FZ_CHECK(flags_after == flags_before, "exception flags changed: %#x -> %#x",
             (unsigned)flags_before, (unsigned)flags_after);
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}
