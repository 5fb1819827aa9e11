"""The brief's evidence (references and risks) as a stage sees it, and what a finding does.

One place decides what an unsupported claim or a failed rule does to a stage: in compliance_video
or under CREATOR_COMPLIANCE=strict it is a stage error; elsewhere it goes into the output as a
warning the reviewer must acknowledge before accepting.
"""

from __future__ import annotations

from ..claims import Evidence, evidence_for
from ..models import ReviewWarning
from ..references import ReferenceStore
from .context import StageContext, StageFailure


def brief_evidence(ctx: StageContext) -> Evidence:
    ids = list(getattr(ctx.brief, "references", None) or [])
    try:
        references = ReferenceStore(ctx.services.settings.assets_root).many(ids)
    except FileNotFoundError as exc:
        raise StageFailure(f"{exc}; upload it again and start a new video") from None
    return evidence_for(ctx.brief, references)


def enforce(ctx: StageContext, warnings: list[ReviewWarning], what: str) -> None:
    """A stage error for the findings under strict mode; otherwise they stay warnings."""
    if warnings and ctx.services.settings.compliance == "strict":
        lines = [f"{len(warnings)} {what} (CREATOR_COMPLIANCE=strict makes them errors):"]
        lines += [f"{n}. {w.rule}: {w.text + ' - ' if w.text else ''}{w.detail}" for n, w in enumerate(warnings, 1)]
        raise StageFailure("\n".join(lines))
