"""The planner interface: what writes the scene plan and the script.

`TemplatePlanner` (built in, offline) implements it today; an OpenAI-backed planner slots in
behind the same two methods. Stage functions only ever see this interface. `evidence` is what the
brief gives to substantiate the video: its references, and the risks the safety scene must state.
"""

from __future__ import annotations

from typing import Protocol

from ..claims import Evidence
from ..models import ScenePlan, Script


class Planner(Protocol):
    name: str

    def supports(self, video_type: str) -> bool: ...

    def plan_scenes(
        self, video_type: str, brief: object, feedback: str | None, previous: ScenePlan | None,
        *, evidence: Evidence | None = None,
    ) -> ScenePlan: ...

    def write_script(
        self,
        video_type: str,
        brief: object,
        plan: ScenePlan,
        feedback: str | None,
        previous: Script | None,
        *, evidence: Evidence | None = None,
    ) -> Script: ...
