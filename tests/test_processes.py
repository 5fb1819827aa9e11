"""Child processes: cancellation kills the whole group; the slot limit holds; failures explain."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from creator_service.processes import (
    AHEAD_NICENESS,
    CHILD_NICENESS,
    CancelToken,
    ChildProcessFailed,
    ProcessSlots,
    StageCancelled,
    run_child,
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
    return "State:\tZ" not in status


def test_cancel_kills_the_child_and_its_grandchildren(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    cancel = CancelToken()
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            run_child([sys.executable, "-c", script], cancel=cancel, slots=ProcessSlots(1),
                      stderr_path=tmp_path / "err.log", what="sleeper")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    started = time.monotonic()
    cancel.cancel()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert isinstance(outcome[0], StageCancelled)
    while alive(grandchild):
        assert time.monotonic() - started < 5, "grandchild survived the cancel"
        time.sleep(0.05)


def test_a_failing_child_says_why(tmp_path: Path) -> None:
    with pytest.raises(ChildProcessFailed) as caught:
        run_child([sys.executable, "-c", "import sys; sys.stderr.write('boom: bad frame\\n'); sys.exit(3)"],
                  cancel=CancelToken(), slots=ProcessSlots(1), stderr_path=tmp_path / "e.log",
                  what="the renderer")
    assert "the renderer failed (exit code 3)" in str(caught.value)
    assert "boom: bad frame" in str(caught.value)


def test_slots_cap_how_many_children_run_at_once(tmp_path: Path) -> None:
    slots = ProcessSlots(2)
    running = 0
    peak = 0
    lock = threading.Lock()

    def on_line(_: str) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.3)
        with lock:
            running -= 1

    threads = [
        threading.Thread(target=run_child, kwargs=dict(
            command=[sys.executable, "-c", "print('x', flush=True)"], cancel=CancelToken(), slots=slots,
            stderr_path=tmp_path / f"{i}.log", what="echo", on_line=on_line))
        for i in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert peak == 2


def test_waiting_for_a_slot_can_be_cancelled(tmp_path: Path) -> None:
    slots = ProcessSlots(1)
    assert slots.try_acquire()
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(StageCancelled):
        run_child([sys.executable, "-c", "pass"], cancel=cancel, slots=slots,
                  stderr_path=tmp_path / "x.log", what="never")
    assert time.monotonic() - started < 2
    slots.release()


def test_a_linked_token_stops_with_its_parent_and_alone(tmp_path: Path) -> None:
    parent = CancelToken()
    first, second = parent.linked(), parent.linked()
    outcome: list[BaseException] = []

    def sleeper(token: CancelToken) -> None:
        try:
            run_child([sys.executable, "-c", "import time; time.sleep(60)"], cancel=token, slots=None,
                      stderr_path=tmp_path / "err.log", what="sleeper")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    def stopped_while_sleeping(token: CancelToken, stop: CancelToken) -> BaseException:
        worker = threading.Thread(target=sleeper, args=(token,))
        worker.start()
        time.sleep(0.3)
        stop.cancel()
        worker.join(timeout=10)
        assert not worker.is_alive()
        return outcome.pop()

    # Cancelled alone (a sibling failed): its child stops, the parent and the other do not.
    assert isinstance(stopped_while_sleeping(first, stop=first), StageCancelled)
    assert not parent.cancelled and not second.cancelled
    # Cancelled with the parent (the session stopped), even when linked afterwards.
    assert isinstance(stopped_while_sleeping(second, stop=parent), StageCancelled)
    assert parent.linked().cancelled


@pytest.mark.parametrize("background", [False, True])
def test_children_run_at_a_lower_priority_than_the_server(tmp_path: Path, background: bool) -> None:
    # The event loop must win the cores whenever it has a message to answer, and a stage's
    # children must win them from work done ahead of need.
    out = tmp_path / "nice.txt"
    report = ("import os, pathlib; group = pathlib.Path('/proc/self/autogroup'); "
              f"open({str(out)!r}, 'w').write(str(os.nice(0)) + ' ' + "
              "(group.read_text().split()[-1] if group.exists() else 'none'))")
    run_child([sys.executable, "-c", report], cancel=CancelToken(), slots=ProcessSlots(1),
              stderr_path=tmp_path / "err.log", what="nice", background=background)
    niceness = AHEAD_NICENESS if background else CHILD_NICENESS
    process_nice, group_nice = out.read_text().split()
    assert int(process_nice) == min(19, os.nice(0) + niceness)
    # Each child is a session of its own, so with autogroup scheduling its group's nice is what
    # ranks it against the server and the other children.
    if group_nice != "none":
        assert int(group_nice) == niceness


def test_a_server_that_ignores_sigterm_is_killed_and_reported() -> None:
    # The test harness's stop (devserver.running_server): a process that stops on SIGTERM is
    # reported as stopped; one that ignores it is killed after the wait and reported, so a
    # shutdown that hangs fails the tests that started the server instead of passing slowly.
    from creator_service.devserver import _stop_within

    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, sys, time\n"
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                 "print('ready', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE)
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    assert _stop_within(polite, 5.0) is True
    began = time.monotonic()
    assert _stop_within(stubborn, 0.5) is False
    assert stubborn.returncode == -9 and time.monotonic() - began < 5
    stubborn.stdout.close()
