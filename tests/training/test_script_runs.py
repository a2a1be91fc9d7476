"""A user's own script as a tracked job: queued, run in a worker, its SDK calls go to its run."""

import subprocess
import textwrap

import pytest

from modelyard.cli.main import main as cli
from modelyard.errors import InvalidInputError
from modelyard.tracking.artifacts import list_artifacts
from modelyard.tracking.runs import get_run, list_runs
from modelyard.tracking.scripts import create_script_run
from modelyard.training import launcher
from modelyard.training.rerun import rerun
from tests.conftest import store_snapshot
from tests.training.test_worker_process import wait_for

pytestmark = pytest.mark.slow

TRAIN = """
import os, sys
import modelyard
print("args", sys.argv[1:], "in", os.getcwd())
with modelyard.start_run(experiment="scripts", name="ignored-if-named") as run:
    run.log_params({"alpha": float(sys.argv[1])})
    for step in range(30):
        run.log_metric("loss", 1 / (step + 1))
    with open("report.txt", "w") as f:
        f.write("done")
    run.log_artifact("report.txt")
if sys.argv[2:] == ["fail"]:
    raise ValueError("wrong on purpose")
if sys.argv[2:] == ["exit"]:
    sys.exit(3)
"""


@pytest.fixture
def script(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / "train.py"
    path.write_text(TRAIN)
    return path


def test_modelyard_run_tracks_the_script_in_one_run(store, script, capsys):
    assert cli(["run", "--name", "mine", "--wait", str(script), "0.5"]) == 0
    (run,) = list_runs(store)  # the script's start_run took over the job's run
    assert (run.status, run.source, run.name, run.experiment) == (
        "finished",
        "script",
        "mine",
        "scripts",
    )
    assert run.params == {"alpha": 0.5} and run.metrics == {"loss": 1 / 30}
    assert [a.path for a in list_artifacts(store, run.id)] == ["report.txt"]
    log = launcher.log_path(store, run.id).read_text()
    assert f"args ['0.5'] in {script.parent}" in log
    assert run.environment["code"]["script"] == str(script)
    assert "finished" in capsys.readouterr().out


def test_a_failing_script_fails_its_run_with_the_reason(store, script):
    assert cli(["run", "--wait", str(script), "1", "fail"]) == 1
    assert cli(["run", "--wait", str(script), "1", "exit"]) == 1
    failed, exited = sorted(list_runs(store), key=lambda r: r.id)
    assert failed.status == "failed" and "ValueError: wrong on purpose" in failed.error
    assert f'File "{script}", line' in failed.error
    assert failed.metrics == {"loss": 1 / 30}  # what it logged before failing is kept
    assert exited.status == "failed" and "exited with code 3" in exited.error


def test_a_script_without_the_sdk_is_tracked_too_and_reruns_with_its_arguments(store, tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("import sys\nprint('plain', *sys.argv[1:])\n")
    run = create_script_run(store, plain, ["a", "b c"], experiment="e")
    launcher.submit(store, run.id)
    assert launcher.wait_for_run(store, run.id, timeout=60).status == "finished"
    again = rerun(store, run.id)
    assert again.command["args"] == ["a", "b c"] and again.tags["rerun_of"] == str(run.id)
    launcher.submit(store, again.id)
    assert launcher.wait_for_run(store, again.id, timeout=60).status == "finished"
    assert "plain a b c" in launcher.log_path(store, again.id).read_text()


def test_cancel_stops_a_running_script(store, tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\nprint('started', flush=True)\ntime.sleep(120)\n")
    run = create_script_run(store, slow)
    launcher.submit(store, run.id)
    assert wait_for(
        lambda: (
            "started" in launcher.log_path(store, run.id).read_text()
            if launcher.log_path(store, run.id).exists()
            else False
        )
    )
    assert launcher.cancel(store, run.id)
    assert get_run(store, run.id).status == "cancelled"


def test_the_scripts_git_commit_is_recorded(store, script):
    folder = script.parent
    for args in (
        ["init", "-q"],
        ["add", "train.py"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first"],
    ):
        subprocess.run(["git", *args], cwd=folder, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert cli(["run", "--wait", str(script), "0.1"]) == 0
    git = list_runs(store)[0].environment["code"]["git"]
    assert git["commit"] == commit and git["dirty"] is False


def test_bad_scripts_are_refused_and_nothing_is_written(store, tmp_path):
    before = store_snapshot(store)
    (tmp_path / "notes.txt").write_text("not python")
    with pytest.raises(InvalidInputError, match="no script"):
        create_script_run(store, tmp_path / "missing.py")
    with pytest.raises(InvalidInputError, match="not a Python script"):
        create_script_run(store, tmp_path / "notes.txt")
    assert cli(["run", str(tmp_path / "missing.py")]) == 1
    assert store_snapshot(store) == before


def test_an_sdk_run_from_a_terminal_cannot_be_rerun(store, monkeypatch):
    import modelyard

    monkeypatch.delenv("MODELYARD_RUN_ID", raising=False)
    with modelyard.start_run(capture_output=False, system_metrics=False) as run:
        run.log_metric("x", 1.0)
    with pytest.raises(InvalidInputError, match="run that code again"):
        rerun(store, run.id)


def test_a_script_launched_twice_gets_two_runs_and_both_keep_their_output(store, tmp_path):
    script = tmp_path / "hello.py"
    script.write_text(
        textwrap.dedent("""
        import modelyard
        with modelyard.start_run() as run:
            print("inside run", run.id)
    """)
    )
    ids = [create_script_run(store, script).id for _ in range(2)]
    for run_id in ids:
        launcher.submit(store, run_id)
    for run_id in ids:
        assert launcher.wait_for_run(store, run_id, timeout=60).status == "finished"
        assert f"inside run {run_id}" in launcher.log_path(store, run_id).read_text()
    assert len(list_runs(store)) == 2


def test_cancel_stops_the_scripts_own_child_processes_too(store, tmp_path):
    import psutil

    script = tmp_path / "spawn.py"
    script.write_text(
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    run = create_script_run(store, script)
    launcher.submit(store, run.id)
    log = launcher.log_path(store, run.id)
    assert wait_for(lambda: log.exists() and "child" in log.read_text())
    child = int(log.read_text().split("child", 1)[1].split()[0])
    assert launcher.cancel(store, run.id)
    assert wait_for(
        lambda: (
            not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
        ),
        timeout=10,
    )


def test_a_scripts_environment_does_not_leak_into_the_next_run(store, tmp_path):
    from modelyard.training import queue

    queue.set_limits(store, cpu_runs=1)
    first = tmp_path / "first.py"
    first.write_text("import os, time\nos.environ['LEAKED'] = 'yes'\ntime.sleep(1)\n")
    second = tmp_path / "second.py"
    second.write_text("import os\nprint('LEAKED =', os.environ.get('LEAKED'))\n")
    a, b = create_script_run(store, first), create_script_run(store, second)
    launcher.submit(store, a.id)
    launcher.submit(store, b.id)  # waits; started by the first script's worker when it ends
    assert launcher.wait_for_run(store, b.id, timeout=60).status == "finished"
    assert "LEAKED = None" in launcher.log_path(store, b.id).read_text()


def test_a_child_process_of_a_script_opens_its_own_run(store, tmp_path):
    child = tmp_path / "child.py"
    child.write_text(
        "import modelyard\n"
        "with modelyard.start_run(experiment='other', name='child') as run:\n"
        "    run.log_metric('x', 2.0)\n"
    )
    parent = tmp_path / "parent.py"
    parent.write_text(
        "import subprocess, sys, modelyard\n"
        "with modelyard.start_run(name='parent') as run:\n"
        "    run.log_metric('x', 1.0)\n"
        f"    subprocess.run([sys.executable, {str(child)!r}], check=True)\n"
    )
    assert cli(["run", "--wait", str(parent)]) == 0
    runs = {r.name: r for r in list_runs(store)}
    assert runs["parent"].experiment == "Default" and runs["parent"].metrics == {"x": 1.0}
    assert runs["child"].experiment == "other" and runs["child"].source == "sdk"


def test_start_run_with_its_own_home_inside_a_job_writes_there(store, tmp_path):
    other = tmp_path / "elsewhere"
    script = tmp_path / "home.py"
    script.write_text(
        "import modelyard\n"
        f"with modelyard.start_run(home={str(other)!r}, name='away') as run:\n"
        "    run.log_metric('x', 1.0)\n"
    )
    assert cli(["run", "--wait", str(script)]) == 0
    from modelyard.store import open_store

    away = open_store(other, url=f"sqlite:///{other / 'modelyard.db'}")
    try:
        assert [r.name for r in list_runs(away)] == ["away"]
    finally:
        away.close()
    assert [r.source for r in list_runs(store)] == ["script"]


def test_an_sdk_run_is_never_killed_from_outside(store, tmp_path, monkeypatch):
    import os
    import sys

    from modelyard.errors import ModelyardError
    from modelyard.tracking.runs import get_run

    script = tmp_path / "own.py"
    script.write_text(
        "import sys, time, modelyard\n"
        "run = modelyard.start_run(capture_output=False, system_metrics=False)\n"
        "print(run.id, flush=True)\n"
        "sys.stdin.readline()\n"
        "run.end()\n"
    )
    env = dict(os.environ, MODELYARD_HOME=str(store.home))
    env.pop("MODELYARD_RUN_ID", None)
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    run_id = int(proc.stdout.readline())
    with pytest.raises(ModelyardError, match="stop it there"):
        launcher.cancel(store, run_id)
    assert proc.poll() is None and get_run(store, run_id).status == "running"
    proc.communicate("\n", timeout=30)
    assert get_run(store, run_id).status == "finished"
