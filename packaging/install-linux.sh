#!/bin/sh
# Put the built app (dist/Modelyard/) into the user's desktop: application menu entry, icons,
# "Open with Modelyard" for CSV, Parquet and .xlsx. Per user, no root needed.
#
#   packaging/install-linux.sh [--prefix DIR] [APP_FOLDER]   # default ~/.local, dist/Modelyard
#   packaging/install-linux.sh --uninstall [--prefix DIR]    # removes exactly what it installed
#
# What it installed is listed in $PREFIX/share/modelyard/installed.txt; --uninstall removes
# those paths and nothing else (the desktop's own indexes, mime.cache and the like, are
# refreshed afterwards by the standard update-* tools).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
prefix="${XDG_DATA_HOME:+$(dirname "$XDG_DATA_HOME")}"
prefix="${prefix:-$HOME/.local}"
app_src="$here/dist/Modelyard"
mode=install
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) mode=uninstall ;;
    --prefix) prefix="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) app_src="$1" ;;
  esac
  shift
done
share="$prefix/share"
record="$share/modelyard/installed.txt"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$share/applications" || true
  command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$share/mime" >/dev/null 2>&1 || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
}

if [ "$mode" = uninstall ]; then
  if [ ! -f "$record" ]; then
    echo "Modelyard is not installed under $prefix (no $record)." >&2
    exit 1
  fi
  # deepest paths first, so folders empty out before they are removed
  sort -r "$record" | while IFS= read -r path; do
    if [ -d "$path" ] && [ ! -L "$path" ]; then rmdir "$path" 2>/dev/null || true
    else rm -f "$path"; fi
  done
  rm -f "$record"
  rmdir "$share/modelyard" 2>/dev/null || true
  refresh
  echo "Removed Modelyard from $prefix."
  exit 0
fi

if [ ! -x "$app_src/Modelyard" ]; then
  echo "No built app at $app_src; build it first with: python packaging/build.py" >&2
  exit 1
fi
if [ -f "$record" ]; then
  echo "Modelyard is already installed under $prefix; run with --uninstall first." >&2
  exit 1
fi
resources="$app_src/_internal/resources"
[ -d "$resources" ] || resources="$here/resources"
app_dir="$share/modelyard/app"
mkdir -p "$share/modelyard"
: > "$record.partial"
note() { echo "$1" >> "$record.partial"; }

# the app folder itself (its files are recorded one by one, so uninstall removes only those)
mkdir -p "$app_dir"
cp -a "$app_src/." "$app_dir/"
(cd "$app_dir" && find . -mindepth 1) | sed "s|^\.|$app_dir|" >> "$record.partial"
note "$app_dir"

mkdir -p "$prefix/bin"
ln -sf "$app_dir/Modelyard" "$prefix/bin/modelyard"
note "$prefix/bin/modelyard"

mkdir -p "$share/applications"
sed "s|@EXEC@|$app_dir/Modelyard|g" "$here/resources/modelyard.desktop" > "$share/applications/modelyard.desktop"
note "$share/applications/modelyard.desktop"

mkdir -p "$share/mime/packages"
cp "$here/resources/modelyard-mime.xml" "$share/mime/packages/modelyard.xml"
note "$share/mime/packages/modelyard.xml"

icons="$resources/icons/hicolor"
for dir in "$icons"/*/apps; do
  [ -f "$dir/modelyard.png" ] || continue
  size=$(basename "$(dirname "$dir")")
  mkdir -p "$share/icons/hicolor/$size/apps"
  cp "$dir/modelyard.png" "$share/icons/hicolor/$size/apps/modelyard.png"
  note "$share/icons/hicolor/$size/apps/modelyard.png"
done
mkdir -p "$share/icons/hicolor/scalable/apps"
cp "$here/resources/icons/modelyard.svg" "$share/icons/hicolor/scalable/apps/modelyard.svg"
note "$share/icons/hicolor/scalable/apps/modelyard.svg"

mv "$record.partial" "$record"
note() { :; }
echo "$record" >> "$record"
refresh
echo "Installed Modelyard under $prefix: find it in the application menu, or run 'modelyard'."
