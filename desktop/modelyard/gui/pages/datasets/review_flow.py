"""The reviewed import: read in the background, review in a dialog, then save in the
background. Cancel or closing the dialog saves nothing."""

from __future__ import annotations

from modelyard.gui import tasks


def start(window, path, name, privacy) -> None:
    from modelyard.datasets.review import preview_file

    strip = window.datasets_page.progress
    strip.start(f"Reading {path.name} for review")
    reviewing = []
    task = tasks.start(
        lambda progress: preview_file(path, progress),
        on_success=lambda preview: reviewing.append(_review(window, preview, name, privacy)),
        on_failure=window._import_failed,
        on_progress=strip.update_progress,
    )
    task.signals.cancelled.connect(
        lambda: window.notify(f"Import of {path.name} cancelled; nothing was saved.")
    )
    task.signals.finished.connect(lambda: _read(window, bool(reviewing)))
    window._import_task = task


def _read(window, reviewing: bool) -> None:
    """The next file waits until this one's review is answered."""
    if not reviewing:
        window._import_finished()
        return
    window._import_task = None
    window.datasets_page.progress.hide()


def _review(window, preview, name, privacy) -> None:
    from modelyard.gui.pages.datasets.review_dialog import ReviewDialog

    dialog = ReviewDialog(preview, window)
    window.review_dialog = dialog
    dialog.accepted.connect(lambda: _save(window, preview, name, privacy, dialog.overrides()))
    dialog.rejected.connect(lambda: _rejected(window, preview.path.name))
    dialog.open()
    return dialog


def _rejected(window, file_name: str) -> None:
    window.notify(f"Import of {file_name} cancelled; nothing was saved.")
    window._import_finished()


def _save(window, preview, name, privacy, overrides) -> None:
    from modelyard.datasets.service import default_name, store_table

    strip = window.datasets_page.progress
    strip.start(f"Saving {preview.path.name}")
    task = tasks.start(
        lambda progress: store_table(
            window.store,
            preview.table,
            preview.path,
            preview.source_size,
            name or default_name(preview.path),
            progress,
            privacy,
            overrides,
        ),
        on_success=window._import_succeeded,
        on_failure=window._import_failed,
        on_progress=strip.update_progress,
    )
    task.signals.cancelled.connect(
        lambda: window.notify(f"Import of {preview.path.name} cancelled; nothing was saved.")
    )
    task.signals.finished.connect(window._import_finished)
    window._import_task = task
