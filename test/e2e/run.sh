#!/usr/bin/env bash
# Run Headroom's end-to-end tests in a real headless GNOME Shell (needs root, CAP_SYS_ADMIN).
#   bash test/e2e/run.sh [extra mocha args]
# Builds or restores the rootfs (rootfs.sh), then runs mocha on test/e2e/*.e2e.ts against
# dist/headroom@headroom.github.io.shell-extension.zip (override: HEADROOM_E2E_ZIP).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ "$(id -u)" = 0 ] || { echo "test/e2e/run.sh: needs root (mount/PID namespaces, chroot); try sudo" >&2; exit 1; }
# Never leave a session behind, whatever happens to mocha.
trap 'bash test/e2e/shell.sh stop' EXIT
bash test/e2e/rootfs.sh >/dev/null
npx mocha --config test/e2e/.mocharc.json "$@"
