"""The README is the front door: its commands and its diagram must stay true."""

from __future__ import annotations

from pathlib import Path

from creator_service.diagrams import BLOCKS, readme_block

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_are_at_the_top() -> None:
    top = README[:1500]
    assert "make demo" in top and "make test" in top


def test_the_diagrams_are_drawn_from_the_code_itself() -> None:
    for name in BLOCKS:
        assert readme_block(name) in README, f"README's {name} diagram is stale: run `make diagram`"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "make test" in ci
