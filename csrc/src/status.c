/*
 * status.c -- status messages and the library's version.
 */
#include "pysoftmax.h"

#define PSM_STRINGIFY_VALUE(x) #x
#define PSM_STRINGIFY(x) PSM_STRINGIFY_VALUE(x)

const char *psm_strerror(int status)
{
    switch (status) {
    case PSM_OK:
        return "success";
    case PSM_E_NULL_POINTER:
        return "a pointer argument is NULL but its array is not empty";
    case PSM_E_TEMPERATURE:
        return "temperature must be >= 0 (0 and +inf allowed), not negative or NaN";
    case PSM_E_SIZE_OVERFLOW:
        return "rows * n elements exceed the addressable size";
    case PSM_E_OVERLAP:
        return "output overlaps the input without being the same array";
    case PSM_E_STRIDE:
        return "output strides make two outputs share an element";
    case PSM_E_NO_DISTRIBUTION:
        return "a row to sample from holds NaN, is empty or has no entry above -inf";
    default:
        return "unknown status";
    }
}

const char *psm_version(void)
{
    return PSM_STRINGIFY(PSM_VERSION_MAJOR) "." PSM_STRINGIFY(PSM_VERSION_MINOR) "." PSM_STRINGIFY(
        PSM_VERSION_PATCH);
}

int psm_version_number(void)
{
    return PSM_VERSION_NUMBER;
}
