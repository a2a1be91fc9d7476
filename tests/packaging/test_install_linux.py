"""packaging/install-linux.sh on a stand-in build: what it installs, and that --uninstall
removes exactly that."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "install-linux.sh"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG desktops")


def files_under(folder: Path) -> set[Path]:
    """Files, leaving out the indexes the desktop's update-* tools rebuild from them."""
    mime = folder / "share" / "mime"

    def derived(p: Path) -> bool:
        in_mime = mime in p.parents and (mime / "packages") not in p.parents
        return in_mime or p.name in ("mimeinfo.cache", "icon-theme.cache")

    return {p for p in folder.rglob("*") if (p.is_file() or p.is_symlink()) and not derived(p)}


def test_install_then_uninstall_leaves_only_what_was_there(tmp_path):
    app = tmp_path / "dist" / "Modelyard"
    (app / "_internal" / "resources" / "icons" / "hicolor" / "48x48" / "apps").mkdir(parents=True)
    (
        app / "_internal" / "resources" / "icons" / "hicolor" / "48x48" / "apps" / "modelyard.png"
    ).write_bytes(b"png")
    (app / "Modelyard").write_text("#!/bin/sh\n")
    (app / "Modelyard").chmod(0o755)
    prefix = tmp_path / "prefix"
    mine = prefix / "share" / "applications" / "other.desktop"  # the user's own file stays
    mine.parent.mkdir(parents=True)
    mine.write_text("[Desktop Entry]\n")
    env = dict(os.environ, PATH="/usr/bin:/bin")  # the refresh tools are optional
    subprocess.run(["sh", str(SCRIPT), "--prefix", str(prefix), str(app)], check=True, env=env)
    share = prefix / "share"
    entry = (share / "applications" / "modelyard.desktop").read_text()
    assert f"Exec={prefix}/share/modelyard/app/Modelyard %F" in entry
    assert "text/csv" in entry and "application/vnd.apache.parquet" in entry
    assert "spreadsheetml.sheet" in entry
    assert (share / "icons/hicolor/48x48/apps/modelyard.png").is_file()
    assert (share / "icons/hicolor/scalable/apps/modelyard.svg").is_file()
    assert (share / "mime/packages/modelyard.xml").is_file()
    assert (prefix / "bin" / "modelyard").is_symlink()
    assert (share / "modelyard" / "app" / "Modelyard").is_file()

    subprocess.run(["sh", str(SCRIPT), "--uninstall", "--prefix", str(prefix)], check=True, env=env)
    assert files_under(prefix) == {mine}
    assert not (share / "modelyard").exists()
