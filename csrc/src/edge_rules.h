/*
 * edge_rules.h -- the edge-case table's rules, as data for the C core.
 * Generated from pysoftmax/edge_cases.json by
 * `python -m pysoftmax._edge_rules --c-header`: do not edit.  Internal.
 */
#ifndef PSM_EDGE_RULES_H
#define PSM_EDGE_RULES_H

#include "portability.h"

typedef enum {
    PSM_WHEN_ROW_HAS_NAN,
    PSM_WHEN_MAX_IS_NEGATIVE_INFINITY,
    PSM_WHEN_MAX_IS_POSITIVE_INFINITY,
    PSM_WHEN_TEMPERATURE_IS_ZERO,
    PSM_WHEN_TEMPERATURE_IS_INFINITE,
} psm_condition;

typedef enum {
    PSM_SELECTS_ALL,
    PSM_SELECTS_MAXIMAL,
    PSM_SELECTS_ABOVE_NEGATIVE_INFINITY,
} psm_selection;

typedef enum {
    PSM_VALUE_NAN,
    PSM_VALUE_ZERO,
    PSM_VALUE_NEGATIVE_INFINITY,
    PSM_VALUE_POSITIVE_INFINITY,
    PSM_VALUE_ONE_OVER_COUNT,
    PSM_VALUE_MINUS_LOG_COUNT,
    PSM_VALUE_NONE,
} psm_value;

typedef struct {
    psm_condition applies_when;
    psm_selection selects;
    psm_value softmax_selected, softmax_others;
    psm_value log_softmax_selected, log_softmax_others;
    psm_value logsumexp; /* PSM_VALUE_NONE: not a logsumexp rule */
} psm_edge_rule;

/* In order of precedence: the first rule that holds decides the row. */
PSM_TABLE psm_edge_rule psm_edge_rules[] = {
    /* nan */
    {PSM_WHEN_ROW_HAS_NAN, PSM_SELECTS_ALL, PSM_VALUE_NAN, PSM_VALUE_NAN, PSM_VALUE_NAN, PSM_VALUE_NAN, PSM_VALUE_NAN},
    /* all_negative_infinity */
    {PSM_WHEN_MAX_IS_NEGATIVE_INFINITY, PSM_SELECTS_ALL, PSM_VALUE_NAN, PSM_VALUE_NAN, PSM_VALUE_NAN, PSM_VALUE_NAN, PSM_VALUE_NEGATIVE_INFINITY},
    /* positive_infinity */
    {PSM_WHEN_MAX_IS_POSITIVE_INFINITY, PSM_SELECTS_MAXIMAL, PSM_VALUE_ONE_OVER_COUNT, PSM_VALUE_ZERO, PSM_VALUE_MINUS_LOG_COUNT, PSM_VALUE_NEGATIVE_INFINITY, PSM_VALUE_POSITIVE_INFINITY},
    /* zero_temperature */
    {PSM_WHEN_TEMPERATURE_IS_ZERO, PSM_SELECTS_MAXIMAL, PSM_VALUE_ONE_OVER_COUNT, PSM_VALUE_ZERO, PSM_VALUE_MINUS_LOG_COUNT, PSM_VALUE_NEGATIVE_INFINITY, PSM_VALUE_NONE},
    /* infinite_temperature */
    {PSM_WHEN_TEMPERATURE_IS_INFINITE, PSM_SELECTS_ABOVE_NEGATIVE_INFINITY, PSM_VALUE_ONE_OVER_COUNT, PSM_VALUE_ZERO, PSM_VALUE_MINUS_LOG_COUNT, PSM_VALUE_NEGATIVE_INFINITY, PSM_VALUE_NONE},
};

#define PSM_EDGE_RULE_COUNT (sizeof psm_edge_rules / sizeof psm_edge_rules[0])

#endif /* PSM_EDGE_RULES_H */
