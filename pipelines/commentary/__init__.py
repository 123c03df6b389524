"""The pack explains itself (issue 13): drafted commentary traced to facts, "why did it change?"
decompositions, "what would it take?" milestone gaps, and analyst overrides.

    facts = build_facts(measures, equity, trend, decomposition, targets)   # published tables in
    drafts = draft_paragraphs(facts)          # district × measure → paragraph + its fact ids
    shown = apply_overrides(drafts, read_overrides(OVERRIDES_DIR))

See docs/commentary.md.
"""

from pipelines.commentary.drafts import draft_paragraphs
from pipelines.commentary.facts import build_facts, facts_frame
from pipelines.commentary.milestones import events_to_reach
from pipelines.commentary.overrides import apply_overrides, read_overrides
from pipelines.commentary.verify import facts_unmatched, numbers_untraced

__all__ = [
    "apply_overrides",
    "build_facts",
    "draft_paragraphs",
    "events_to_reach",
    "facts_frame",
    "facts_unmatched",
    "numbers_untraced",
    "read_overrides",
]
