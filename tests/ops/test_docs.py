"""The operations docs hold together: every relative link and anchor in docs/operations.md and
docs/runbooks.md leads somewhere, and every runbook is indexed in operations.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ops.support import OPERATIONS, RUNBOOKS, alert_rules, markdown_anchors

LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", [OPERATIONS, RUNBOOKS], ids=lambda p: p.name)
def test_relative_links_and_anchors_resolve(doc: Path) -> None:
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+://", target):
            continue
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        assert path.exists(), f"{doc.name}: link to missing {target}"
        if anchor:
            assert anchor in markdown_anchors(path.read_text()), (
                f"{doc.name}: {path.name} has no section #{anchor}"
            )


def test_operations_indexes_every_alert_and_its_runbook() -> None:
    text = OPERATIONS.read_text()
    for rule in alert_rules():
        rows = [line for line in text.splitlines() if line.startswith("|")]
        row = next((line for line in rows if f"`{rule['alert']}`" in line), None)
        assert row is not None, f"docs/operations.md does not list {rule['alert']}"
        assert rule["annotations"]["runbook_url"].removeprefix("docs/") in row, row
