/*
 * backward_f64.c -- the double instantiation of backward_functions.inc.
 */
#define PSM_ELEM double
#define PSM_NAME(base) PSM_NAME_WITH_SUFFIX(base, _f64)
#define PSM_NAME_WITH_SUFFIX(base, suffix) PSM_NAME_PASTE(base, suffix)
#define PSM_NAME_PASTE(base, suffix) base##suffix

#include "backward_functions.inc"
