#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script). The end-to-end tests drive the local stack with
# the real AWS CLI v2 and the dashboard with Debian's chromium (/usr/bin/chromium, through
# playwright-core: no browser download). This checks for both; on Debian/Ubuntu with root or
# passwordless sudo it installs what is missing with apt-get, saying so; anywhere else it stops
# before any test runs, with the exact command to run.
#
# For its own test, the places it looks and the commands it runs can be overridden:
# ENSURE_TEST_DEPS_AWS (candidates, space-separated), ENSURE_TEST_DEPS_CHROMIUM,
# ENSURE_TEST_DEPS_APT_GET, ENSURE_TEST_DEPS_SUDO, ENSURE_TEST_DEPS_UID.
set -euo pipefail

aws_candidates=${ENSURE_TEST_DEPS_AWS:-"/usr/bin/aws /usr/local/bin/aws aws"}
chromium=${ENSURE_TEST_DEPS_CHROMIUM:-/usr/bin/chromium}
apt_get=${ENSURE_TEST_DEPS_APT_GET:-apt-get}
sudo_command=${ENSURE_TEST_DEPS_SUDO:-sudo}
uid=${ENSURE_TEST_DEPS_UID:-$(id -u)}

has_aws_cli_v2() {
  local candidate
  for candidate in $aws_candidates; do
    if command -v "$candidate" >/dev/null 2>&1 && AWS_PAGER="" "$candidate" --version 2>&1 | grep -q 'aws-cli/2\.'; then
      return 0
    fi
  done
  return 1
}

missing() {
  local packages=()
  has_aws_cli_v2 || packages+=(awscli)
  [ -x "$chromium" ] || packages+=(chromium)
  echo "${packages[*]:-}"
}

packages=$(missing)
[ -z "$packages" ] && exit 0

describe() {
  case "$1" in
    awscli) echo "the AWS CLI v2 (Debian package awscli)" ;;
    chromium) echo "chromium at $chromium (Debian package chromium)" ;;
  esac
}
needs=$(for package in $packages; do describe "$package"; done | paste -sd ';' - | sed 's/;/ and /g')

sudo=""
can_install=false
if command -v "$apt_get" >/dev/null 2>&1; then
  if [ "$uid" = "0" ]; then
    can_install=true
  elif command -v "$sudo_command" >/dev/null 2>&1 && "$sudo_command" -n true 2>/dev/null; then
    sudo="$sudo_command -n"
    can_install=true
  fi
fi

if [ "$can_install" != true ]; then
  {
    echo "npm test needs $needs for its end-to-end tests, and cannot install them here (no apt-get, or neither root nor passwordless sudo)."
    echo "Install them, then run npm test again. On Debian or Ubuntu:"
    echo ""
    echo "  sudo apt-get update && sudo apt-get install -y $packages"
    echo ""
  } >&2
  exit 1
fi

echo "npm test needs $needs for its end-to-end tests: installing with ${sudo:+$sudo }$apt_get install -y $packages …"
$sudo "$apt_get" update -qq
$sudo env DEBIAN_FRONTEND=noninteractive "$apt_get" install -y -qq $packages >/dev/null
still=$(missing)
if [ -n "$still" ]; then
  echo "installed $packages, but still missing: $still" >&2
  exit 1
fi
echo "installed: $packages"
