/*
 * test_isa.c -- psm_isa() and the PSM_ISA environment variable.
 *
 * With PSM_ISA unset: psm_isa() names one of the variants.  With PSM_ISA set
 * to a variant: psm_isa() is that variant, or the test reports SKIPPED (77)
 * when this processor cannot run it (CTest runs the accuracy and golden
 * tests once per variant the same way, see CMakeLists.txt).  With an
 * unknown name: the library ignores it and picks a variant itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psm_test.h"
#include "pysoftmax.h"

int main(void)
{
    static const char *const variants[] = {"baseline", "avx2", "avx512"};
    const char *forced = getenv("PSM_ISA");
    const char *active = psm_isa();
    size_t k;
    int known = 0;
    for (k = 0; k < sizeof variants / sizeof variants[0]; k++)
        known |= strcmp(active, variants[k]) == 0;
    CHECK(known, "psm_isa() = \"%s\" is not a variant", active);
    CHECK(psm_isa() == active, "psm_isa() changed between calls");
    printf("PSM_ISA=%s: kernels %s\n", forced != NULL ? forced : "(unset)", active);
    if (forced != NULL && strcmp(forced, "baseline") == 0)
        CHECK(strcmp(active, "baseline") == 0, "baseline forced, got %s", active);
    if (forced != NULL && (strcmp(forced, "avx2") == 0 || strcmp(forced, "avx512") == 0) &&
        strcmp(active, forced) != 0) {
        printf("this processor cannot run the %s kernels: skipped\n", forced);
        return 77;
    }
    return psm_test_finish("test_isa");
}
