"""The state machine: every legal transition goes where the spec says, every other is refused."""

from __future__ import annotations

import asyncio

import pytest
from transitions import MachineError

from creator_service.machine import STATES, TRIGGERS, build_machine, mermaid_diagram


class Recorder:
    """A model with the callbacks the machine names, recording what ran."""

    def __init__(self, last_stage: bool) -> None:
        self.last_stage = last_stage
        self.calls: list[str] = []

    def is_last_stage(self) -> bool:
        return self.last_stage

    def advance_stage(self) -> None:
        self.calls.append("advance_stage")

    def accept_final(self) -> None:
        self.calls.append("accept_final")

    def skip_current(self) -> None:
        self.calls.append("skip_current")

    def go_back(self) -> None:
        self.calls.append("go_back")

    def take_chosen(self) -> None:
        self.calls.append("take_chosen")


# (state, trigger, last stage?) -> destination; anything not listed must be refused.
LEGAL = {
    ("idle", "start"): "running",
    ("idle", "stop"): "stopped",
    ("running", "stage_done"): "awaiting_review",
    ("running", "stage_failed"): "error",
    ("running", "stop"): "stopped",
    ("awaiting_review", "accept", False): "running",
    ("awaiting_review", "accept", True): "complete",
    ("awaiting_review", "regenerate"): "running",
    ("awaiting_review", "stop"): "stopped",
    ("error", "regenerate"): "running",
    ("error", "stop"): "stopped",
    ("complete", "stop"): "stopped",
    # An optional stage is skipped whatever it is doing.
    ("running", "skip"): "running",
    ("awaiting_review", "skip"): "running",
    ("error", "skip"): "running",
    # Back to an earlier stage when none runs.
    ("awaiting_review", "goto"): "awaiting_review",
    ("error", "goto"): "awaiting_review",
    ("complete", "goto"): "awaiting_review",
    # Another completed version of the current stage goes under review.
    ("awaiting_review", "choose"): "awaiting_review",
    ("error", "choose"): "awaiting_review",
    # Nobody attached for the idle time: any session not yet over ends.
    ("idle", "expire"): "expired",
    ("running", "expire"): "expired",
    ("awaiting_review", "expire"): "expired",
    ("error", "expire"): "expired",
}


def expected(state: str, trigger: str, last_stage: bool) -> str | None:
    return LEGAL.get((state, trigger, last_stage), LEGAL.get((state, trigger)))


CASES = [
    (state, trigger, last_stage)
    for state in STATES
    for trigger in TRIGGERS
    for last_stage in (False, True)
]


@pytest.mark.parametrize(("state", "trigger", "last_stage"), CASES)
def test_every_state_and_trigger(state: str, trigger: str, last_stage: bool) -> None:
    async def scenario() -> None:
        model = Recorder(last_stage)
        machine = build_machine(model)
        machine.set_state(state)
        destination = expected(state, trigger, last_stage)
        assert await getattr(model, f"may_{trigger}")() is (destination is not None)
        if destination is None:
            with pytest.raises(MachineError):
                await getattr(model, trigger)()
            assert model.state == state
        else:
            assert await getattr(model, trigger)() is True
            assert model.state == destination

    asyncio.run(scenario())


def test_accept_on_a_middle_stage_advances_and_on_the_last_completes() -> None:
    async def scenario() -> None:
        middle = Recorder(last_stage=False)
        build_machine(middle).set_state("awaiting_review")
        await middle.accept()
        assert middle.calls == ["advance_stage"]

        last = Recorder(last_stage=True)
        build_machine(last).set_state("awaiting_review")
        await last.accept()
        assert last.calls == ["accept_final"]

    asyncio.run(scenario())


@pytest.mark.parametrize("final", ["stopped", "expired"])
def test_stopped_and_expired_are_final(final: str) -> None:
    async def scenario() -> None:
        model = Recorder(last_stage=False)
        build_machine(model).set_state(final)
        for trigger in TRIGGERS:
            assert await getattr(model, f"may_{trigger}")() is False

    asyncio.run(scenario())


@pytest.mark.parametrize("state", ["running", "stopped", "expired"])
def test_a_session_is_never_restored_into_a_state_that_needs_work_or_is_over(state: str) -> None:
    with pytest.raises(ValueError, match=state):
        build_machine(Recorder(last_stage=False), initial=state)


def test_the_diagram_is_drawn_from_the_machine() -> None:
    diagram = mermaid_diagram()
    assert diagram.splitlines()[3] == "stateDiagram-v2"
    for state in STATES:
        assert f'state "{state}" as {state}' in diagram
    assert "awaiting_review --> complete: accept [is_last_stage]" in diagram
    assert "error --> running: regenerate" in diagram
