#!/usr/bin/env bash
# Refreshes the vendored Grafana JSON schemas (schemas/grafana/) from a grafana-foundation-sdk release's
# jsonschema/ folder. Usage: scripts/refresh-grafana-schemas.sh <jsonschema-folder> <release, e.g. v0.0.21>
set -euo pipefail
src=${1:?usage: $0 <grafana-foundation-sdk jsonschema folder> <release>}
release=${2:?usage: $0 <grafana-foundation-sdk jsonschema folder> <release>}
dest="$(cd "$(dirname "$0")/.." && pwd)/schemas/grafana"
files=(dashboard common prometheus timeseries stat gauge table piechart bargauge text)
for f in "${files[@]}"; do
  [ -f "$src/$f.jsonschema.json" ] || { echo "missing $src/$f.jsonschema.json" >&2; exit 1; }
done
for f in "${files[@]}"; do cp "$src/$f.jsonschema.json" "$dest/"; done
for lic in "$src/LICENSE" "$src/../LICENSE"; do
  if [ -f "$lic" ]; then cp "$lic" "$dest/LICENSE"; break; fi
done
echo "grafana-foundation-sdk $release jsonschema/" > "$dest/SOURCE"
echo "copied ${#files[@]} schemas from $src ($release) to $dest"
