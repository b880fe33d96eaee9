"""docs/tour.md and docs/rollout.md still work: their commands run again for real (tests/tour.py), each exits 0
and prints every line the doc shows that holds no number, id or time (spacing aside: column widths follow the
values)."""

import re

import pytest
from tour import DOCS, run, scratch

BOX_ONLY = re.compile(r"^[\s─━┃│┏┓┗┛┡┩╇┳┻└┘├┤┼┴┬]*$")


def stable(line: str) -> bool:
    """A line a re-run prints the same: no digits (ids, times, counts, speeds), not a table rule."""
    return bool(line.strip()) and not re.search(r"\d", line) and not BOX_ONLY.match(line)


def squeezed(line: str) -> str:
    return " ".join(line.split())


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_command_of_the_walk_through_runs_and_prints_what_the_doc_shows(tmp_path, doc):
    # Given a scratch folder like a fresh clone's (the repo's sample_data/, scripts/ and jobs/)
    # When the doc's commands run in order, against the `batchsvc up` it starts
    tour, outputs = run(scratch(tmp_path), doc)
    # Then each exits 0 and prints the doc's stable lines
    assert len(outputs) == len(tour)
    for step, (text, code) in zip(tour, outputs):
        assert code == 0, f"$ {step.command}\n{text}"
        printed = {squeezed(line) for line in text.splitlines()}
        missing = [line for line in step.expected if stable(line) and squeezed(line) not in printed]
        assert not missing, f"$ {step.command}\nmissing {missing}\nprinted:\n{text}"
