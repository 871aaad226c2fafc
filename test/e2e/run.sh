#!/usr/bin/env bash
# Run Headroom's end-to-end tests in real headless GNOME Shells (needs root, CAP_SYS_ADMIN): every spec
# (test/e2e/*.e2e.ts) on Debian trixie (GNOME Shell 48), then on Debian sid (GNOME Shell 51).
#   bash test/e2e/run.sh [extra mocha args]
# Builds or restores each suite's rootfs first (rootfs.sh, both at once), then runs mocha once per suite
# against dist/headroom@headroom.github.io.shell-extension.zip (override: HEADROOM_E2E_ZIP); both suites
# test the same copy of the zip. A failing suite does not stop the next one; the exit status is non-zero
# if any failed. Screenshots: test/e2e/screenshots/<suite>/.
# Env: HEADROOM_E2E_SUITES (default "trixie sid"), plus what rootfs.sh and shell.sh read.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ "$(id -u)" = 0 ] || { echo "test/e2e/run.sh: needs root (mount/PID namespaces, chroot); try sudo" >&2; exit 1; }
read -r -a SUITES <<<"${HEADROOM_E2E_SUITES:-trixie sid}"
[ ${#SUITES[@]} -gt 0 ] || { echo "test/e2e/run.sh: HEADROOM_E2E_SUITES is empty" >&2; exit 2; }
ZIP="${HEADROOM_E2E_ZIP:-dist/headroom@headroom.github.io.shell-extension.zip}"
[ -f "$ZIP" ] || { echo "test/e2e/run.sh: $ZIP missing: run 'make pack' first" >&2; exit 1; }

TMP=$(mktemp -d)
# Never leave a session behind, whatever happens to mocha.
cleanup() {
  local s
  for s in "${SUITES[@]}"; do HEADROOM_E2E_SUITE=$s bash test/e2e/shell.sh stop || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
cp "$ZIP" "$TMP/"
export HEADROOM_E2E_ZIP="$TMP/$(basename "$ZIP")"

t0=$SECONDS
pids=()
for s in "${SUITES[@]}"; do
  bash test/e2e/rootfs.sh "$s" 2>&1 >/dev/null | sed -u "s/^/[$s] /" >&2 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "test/e2e/run.sh: rootfs for ${SUITES[$i]} failed" >&2; exit 1; }
done
echo "e2e: rootfs ready for ${SUITES[*]} in $((SECONDS - t0)) s" >&2

failed=()
summary=()
for s in "${SUITES[@]}"; do
  echo "=== e2e on $s ===" >&2
  t=$SECONDS
  if HEADROOM_E2E_SUITE=$s npx mocha --config test/e2e/.mocharc.json "$@"; then
    summary+=("$s: passed in $((SECONDS - t)) s")
  else
    summary+=("$s: FAILED in $((SECONDS - t)) s")
    failed+=("$s")
  fi
done
printf 'e2e: %s\n' "${summary[@]}" >&2
echo "e2e: total $((SECONDS - t0)) s" >&2
[ ${#failed[@]} -eq 0 ]
