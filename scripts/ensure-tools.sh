#!/usr/bin/env bash
# `npm test`'s pretest: the tests run the real Prometheus tools and openssl. Finds them on PATH; when
# some are missing, installs Debian's packages with apt-get if running as root (as CI does), and
# otherwise stops at once with one line naming what is missing and the command that installs it.
# Only bash builtins are used for the checks, so it works on any PATH.
# KNOWTON_INSTALL_TOOLS=never checks without installing.
set -uo pipefail

# tool:Debian package that ships it
tools=(promtool:prometheus prometheus:prometheus amtool:prometheus-alertmanager
  prometheus-alertmanager:prometheus-alertmanager openssl:openssl)

missing_tools=() missing_pkgs=()
check() {
  missing_tools=() missing_pkgs=()
  for entry in "${tools[@]}"; do
    local tool=${entry%%:*} pkg=${entry#*:}
    command -v "$tool" >/dev/null 2>&1 && continue
    missing_tools+=("$tool")
    [[ " ${missing_pkgs[*]} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
  done
}

check
[ ${#missing_tools[@]} -eq 0 ] && exit 0

if [ "${KNOWTON_INSTALL_TOOLS:-auto}" != never ] && [ "$EUID" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: installing ${missing_pkgs[*]} (for ${missing_tools[*]})" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >&2
  # Where an init system runs, the packages just installed start their own daemons; the tests start theirs.
  for svc in prometheus prometheus-alertmanager; do
    [[ " ${missing_pkgs[*]} " == *" $svc "* ]] && pkill -x "$svc" 2>/dev/null
  done
  check
  [ ${#missing_tools[@]} -eq 0 ] && exit 0
fi

echo "npm test needs ${missing_tools[*]} on PATH (missing); install them with: sudo apt-get update && sudo apt-get install -y ${missing_pkgs[*]}" >&2
exit 1
