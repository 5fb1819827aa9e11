"""The Creator Mode state machine, declared as data and built with `transitions`.

One machine per session. The model (a `Pipeline`) supplies the condition `is_last_stage` and
the callbacks named by convention (`on_enter_<state>`, `advance_stage`, `accept_final`). The
README's diagram is drawn from these same tables (`python -m creator_service.diagrams`).
"""

from __future__ import annotations

from typing import Any

from transitions.extensions.asyncio import AsyncMachine

STATES: list[str] = ["idle", "running", "awaiting_review", "error", "complete", "stopped", "expired"]
TRIGGERS: list[str] = ["start", "stage_done", "stage_failed", "accept", "regenerate", "skip", "goto", "choose",
                       "stop", "expire"]
# States a session can be restored into from the store (a running stage restarts from idle).
RESTORABLE: tuple[str, ...] = ("idle", "awaiting_review", "error", "complete")

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start", "source": "idle", "dest": "running"},
    {"trigger": "stage_done", "source": "running", "dest": "awaiting_review"},
    {"trigger": "stage_failed", "source": "running", "dest": "error"},
    # With several transitions on one trigger, the first whose conditions pass wins.
    {
        "trigger": "accept",
        "source": "awaiting_review",
        "dest": "complete",
        "conditions": "is_last_stage",
        "before": "accept_final",
    },
    {
        "trigger": "accept",
        "source": "awaiting_review",
        "dest": "running",
        "unless": "is_last_stage",
        "before": "advance_stage",
    },
    {"trigger": "regenerate", "source": ["awaiting_review", "error"], "dest": "running"},
    # An optional stage is skipped whatever it is doing; the next stage runs.
    {"trigger": "skip", "source": ["running", "awaiting_review", "error"], "dest": "running",
     "before": "skip_current"},
    # Back to a stage already reached, when no stage runs: its version is offered for review again.
    {"trigger": "goto", "source": ["awaiting_review", "error", "complete"], "dest": "awaiting_review",
     "before": "go_back"},
    {
        "trigger": "stop",
        "source": ["idle", "running", "awaiting_review", "error", "complete"],
        "dest": "stopped",
    },
    # Any completed version of the current stage becomes the one under review.
    {"trigger": "choose", "source": ["awaiting_review", "error"], "dest": "awaiting_review",
     "before": "take_chosen"},
    # Nobody attached for CREATOR_SESSION_IDLE_HOURS: the session ends, its files stay.
    {"trigger": "expire", "source": ["idle", "running", "awaiting_review", "error"], "dest": "expired"},
]


def build_machine(model: object, initial: str = "idle") -> AsyncMachine:
    if initial not in RESTORABLE:
        raise ValueError(f"a session cannot start in state {initial!r}")
    return AsyncMachine(
        model=model,
        states=STATES,
        transitions=TRANSITIONS,
        initial=initial,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def mermaid_diagram() -> str:
    """The machine drawn as a mermaid state diagram, from the very tables above."""
    from transitions.extensions import GraphMachine

    class _Drawing:
        def is_last_stage(self) -> bool:
            return True

    drawing = _Drawing()
    GraphMachine(
        model=drawing,
        states=STATES,
        transitions=TRANSITIONS,
        initial="idle",
        auto_transitions=False,
        graph_engine="mermaid",
        title="Creator Mode session",
        show_conditions=True,
    )
    source = drawing.get_graph().draw(None)  # type: ignore[attr-defined]
    return str(source).strip() + "\n"
