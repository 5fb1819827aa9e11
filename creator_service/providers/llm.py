"""The planner interface: what writes the scene plan and the script.

`TemplatePlanner` (built in, offline) implements it today; an OpenAI-backed planner slots in
behind the same two methods. Stage functions only ever see this interface.
"""

from __future__ import annotations

from typing import Protocol

from ..models import ScenePlan, Script


class Planner(Protocol):
    name: str

    def supports(self, video_type: str) -> bool: ...

    def plan_scenes(
        self, video_type: str, brief: object, feedback: str | None, previous: ScenePlan | None
    ) -> ScenePlan: ...

    def write_script(
        self,
        video_type: str,
        brief: object,
        plan: ScenePlan,
        feedback: str | None,
        previous: Script | None,
    ) -> Script: ...
