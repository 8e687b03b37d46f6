#!/usr/bin/env bash
# Install the Debian packages hazmap needs, only those missing.
#   install-debian.sh spatialite   SpatiaLite for the embedded database (GDAL, GEOS, PROJ come in wheels)
#   install-debian.sh gdal         GDAL's command-line tools (ogrinfo, ogr2ogr): an OGC API client for the tests
#   install-debian.sh wrk          the HTTP load generator of the benchmarks
#   install-debian.sh chromium     Chromium for the front-end tests, and a Chinese font for its screenshots
#   install-debian.sh qgis         QGIS's Python bindings (python3-qgis, for Debian's python3): a client of the tests
# Uses sudo when not root. Refreshes the package lists only if an install fails without it.
set -euo pipefail

case "${1:-}" in
  spatialite) packages=(libsqlite3-mod-spatialite) ;;
  gdal) packages=(gdal-bin) ;;
  wrk) packages=(wrk) ;;
  chromium) packages=(chromium fonts-wqy-microhei) ;;
  qgis) packages=(python3-qgis) ;;  # brings qgis-providers (OAPIF, vector tiles); runs headless (offscreen)
  *) echo "usage: $0 spatialite|gdal|wrk|chromium|qgis" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" \
  || { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; }
