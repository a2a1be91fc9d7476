"""`modelyard settings`: the Settings page's Python for user scripts, from the command line."""

import sys

from modelyard.cli.main import main


def test_settings_shows_and_sets_the_python_for_user_scripts(home, capsys):
    from modelyard.store import open_store
    from modelyard.training.launcher import script_python

    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "script python  the app's own Python" in out and str(home) in out

    assert main(["settings", "--script-python", sys.executable]) == 0
    assert f"User scripts now run with {sys.executable}." in capsys.readouterr().out
    store = open_store()
    assert script_python(store) == sys.executable  # what the Settings page reads too
    store.close()

    assert main(["settings", "--script-python", "/no/such/python"]) == 1
    assert "is not a Python interpreter that can be run" in capsys.readouterr().err
    assert main(["settings", "--script-python", ""]) == 0
    store = open_store()
    assert script_python(store) is None
    store.close()
