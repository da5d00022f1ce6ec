"""Print the edge-case table (pysoftmax/edge_cases.json) as the Markdown table of the README.

``python -m conformance.edge_table``; a test checks that the README holds
exactly this output, so the README cannot drift from the table.
"""

from __future__ import annotations

import json
from importlib import resources


def markdown() -> str:
    """Return the table as Markdown, one row per rule, in order of precedence."""
    table = json.loads(resources.files("pysoftmax").joinpath("edge_cases.json").read_text())
    lines = [
        "| input (one row), first match wins | softmax | log_softmax | logsumexp |",
        "|---|---|---|---|",
    ]
    for rule in table["rules"]:
        cells = [rule["when"], rule["softmax"], rule["log_softmax"], rule["logsumexp"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
