from modelyard.datasets.drops import expand_paths


def test_folders_expand_to_their_data_files_and_files_pass_through(tmp_path):
    folder = tmp_path / "exports"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.csv").write_text("x\n1\n")
    (folder / "nested" / "b.parquet").write_bytes(b"PAR1")
    (folder / "notes.docx").write_text("not data")
    (folder / ".hidden.csv").write_text("x\n1\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    loose = tmp_path / "loose.xyz"
    loose.write_text("?")
    files, skipped = expand_paths([folder, empty, loose, folder / "a.csv"])
    assert files == [folder / "a.csv", folder / "nested" / "b.parquet", loose]
    assert skipped == ["The folder empty holds no data files that Modelyard can read."]
