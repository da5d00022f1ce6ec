/*
 * consumer.c -- a program outside the project that uses the installed
 * library: built by the install tests through pkg-config and through the
 * CMake package (find_package(pysoftmax)).  Prints softmax([10, 2, 10000, 4])
 * and checks it is [0, 0, 1, 0]; exits nonzero otherwise.
 */
#include <stdio.h>
#include <string.h>

#include <pysoftmax.h>

int main(void)
{
    static const double x[4] = {10.0, 2.0, 10000.0, 4.0};
    static const double expected[4] = {0.0, 0.0, 1.0, 0.0};
    char header_version[32];
    double y[4];
    int status, i, ok = 1;

    status = psm_softmax_f64(x, y, 1, 4, 1.0);
    if (status != PSM_OK) {
        printf("psm_softmax_f64 failed: %s\n", psm_strerror(status));
        return 1;
    }
    printf("softmax([10, 2, 10000, 4]) = [%g, %g, %g, %g]\n", y[0], y[1], y[2], y[3]);
    for (i = 0; i < 4; i++)
        if (y[i] != expected[i])
            ok = 0;

    snprintf(header_version, sizeof header_version, "%d.%d.%d", PSM_VERSION_MAJOR,
             PSM_VERSION_MINOR, PSM_VERSION_PATCH);
    printf("pysoftmax %s (header %s)\n", psm_version(), header_version);
    if (strcmp(psm_version(), header_version) != 0 || psm_version_number() != PSM_VERSION_NUMBER)
        ok = 0;
    printf(ok ? "consumer: OK\n" : "consumer: WRONG\n");
    return ok ? 0 : 1;
}
