"""The `modelyard` entry point: data files on the command line open the app's import flow."""

import pytest

from modelyard import main as entry


@pytest.fixture
def opened(monkeypatch):
    calls = []
    import modelyard.gui.app as app

    monkeypatch.setattr(app, "run", lambda open_files=None: calls.append(open_files) or 0)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    return calls


def test_data_files_on_the_command_line_open_the_import_flow(opened, sample_csv, tmp_path):
    other = tmp_path / "more.parquet"
    other.write_bytes(b"PAR1")
    assert entry.main([str(sample_csv), str(other)]) == 0
    assert opened == [[str(sample_csv.resolve()), str(other.resolve())]]


def test_other_arguments_stay_the_command_line(opened, home, tmp_path, capsys):
    notes = tmp_path / "notes.docx"
    notes.write_text("x")
    assert entry.main(["datasets"]) == 0 and opened == []
    assert entry._data_files([str(notes)]) == [] and entry._data_files(["--help"]) == []
