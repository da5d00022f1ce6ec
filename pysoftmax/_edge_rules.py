"""The edge-case table (``edge_cases.json``), read once, for the code that follows it.

The array-API backend applies :data:`RULES` directly; the C core reads the
same rules from ``csrc/src/edge_rules.h``, which :func:`c_header` renders
from the same file (``python -m pysoftmax._edge_rules --c-header``; a test
checks that the committed header is current); :func:`markdown` renders the
README's table.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

TABLE: dict[str, Any] = json.loads(
    resources.files("pysoftmax").joinpath("edge_cases.json").read_text(encoding="utf-8")
)
FUNCTIONS = ("softmax", "log_softmax", "logsumexp")


@dataclass(frozen=True)
class EdgeRule:
    """One rule that the code applies: when it holds, the row's answer is constant.

    Attributes
    ----------
    id : str
        The rule's name in the table.
    applies_when : str
        The condition, one of the table's ``vocabulary["applies_when"]``.
    selects : str
        Which entries take the ``selected`` value: ``all``, ``maximal`` or
        ``above_negative_infinity``.
    softmax, log_softmax : tuple of str
        The values of the selected entries and of the others.
    logsumexp : str or None
        The value of the row's logsumexp; None where the rule does not apply
        to logsumexp (it takes no temperature).
    """

    id: str
    applies_when: str
    selects: str
    softmax: tuple[str, str]
    log_softmax: tuple[str, str]
    logsumexp: str | None


def _rules() -> tuple[EdgeRule, ...]:
    vocabulary = TABLE["vocabulary"]
    rules = []
    for rule in TABLE["rules"]:
        if "applies_when" not in rule:
            continue
        result = rule["result"]
        edge_rule = EdgeRule(
            id=rule["id"],
            applies_when=rule["applies_when"],
            selects=rule["selects"],
            softmax=(result["softmax"]["selected"], result["softmax"]["others"]),
            log_softmax=(result["log_softmax"]["selected"], result["log_softmax"]["others"]),
            logsumexp=result["logsumexp"],
        )
        values = [*edge_rule.softmax, *edge_rule.log_softmax]
        values += [edge_rule.logsumexp] if edge_rule.logsumexp is not None else []
        if (
            edge_rule.applies_when not in vocabulary["applies_when"]
            or edge_rule.selects not in vocabulary["selects"]
            or any(v not in vocabulary["values"] for v in values)
        ):
            raise ValueError(f"edge_cases.json: rule {edge_rule.id!r} is outside the vocabulary")
        rules.append(edge_rule)
    return tuple(rules)


RULES = _rules()


def markdown() -> str:
    """Render the whole table as Markdown, one row per rule, in order of precedence.

    Examples
    --------
    >>> print(markdown().splitlines()[2])
    | any NaN in the row | all NaN | all NaN | NaN |
    """
    lines = [
        "| input (one row), first match wins | softmax | log_softmax | logsumexp |",
        "|---|---|---|---|",
    ]
    for rule in TABLE["rules"]:
        cells = [rule["when"], *(rule[f] for f in FUNCTIONS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _c_name(prefix: str, word: str) -> str:
    spelled = {
        "0": "zero",
        "nan": "nan",
        "-inf": "negative_infinity",
        "inf": "positive_infinity",
        "1/count": "one_over_count",
        "-log(count)": "minus_log_count",
    }.get(word, word)
    return f"{prefix}_{spelled}".upper()


def c_header() -> str:
    """``csrc/src/edge_rules.h``: the rules as a C table, for the C core."""
    vocabulary = TABLE["vocabulary"]

    def enum(name: str, prefix: str, words: list[str]) -> list[str]:
        entries = [f"    {_c_name(prefix, word)}," for word in words]
        return ["typedef enum {", *entries, f"}} {name};", ""]

    lines = [
        "/*",
        " * edge_rules.h -- the edge-case table's rules, as data for the C core.",
        " * Generated from pysoftmax/edge_cases.json by",
        " * `python -m pysoftmax._edge_rules --c-header`: do not edit.  Internal.",
        " */",
        "#ifndef PSM_EDGE_RULES_H",
        "#define PSM_EDGE_RULES_H",
        "",
        '#include "portability.h"',
        "",
        *enum("psm_condition", "psm_when", vocabulary["applies_when"]),
        *enum("psm_selection", "psm_selects", vocabulary["selects"]),
        *enum("psm_value", "psm_value", [*vocabulary["values"], "none"]),
        "typedef struct {",
        "    psm_condition applies_when;",
        "    psm_selection selects;",
        "    psm_value softmax_selected, softmax_others;",
        "    psm_value log_softmax_selected, log_softmax_others;",
        "    psm_value logsumexp; /* PSM_VALUE_NONE: not a logsumexp rule */",
        "} psm_edge_rule;",
        "",
        "/* In order of precedence: the first rule that holds decides the row. */",
        "PSM_TABLE psm_edge_rule psm_edge_rules[] = {",
    ]
    for rule in RULES:
        values = [*rule.softmax, *rule.log_softmax, rule.logsumexp or "none"]
        fields = [_c_name("psm_when", rule.applies_when), _c_name("psm_selects", rule.selects)]
        fields += [_c_name("psm_value", v) for v in values]
        lines.append(f"    /* {rule.id} */")
        lines.append("    {" + ", ".join(fields) + "},")
    lines += [
        "};",
        "",
        "#define PSM_EDGE_RULE_COUNT (sizeof psm_edge_rules / sizeof psm_edge_rules[0])",
        "",
        "#endif /* PSM_EDGE_RULES_H */",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--c-header"]:
        sys.stdout.write(c_header())
    elif sys.argv[1:] == ["--markdown"]:
        print(markdown())
    else:
        sys.exit("usage: python -m pysoftmax._edge_rules --c-header | --markdown")
