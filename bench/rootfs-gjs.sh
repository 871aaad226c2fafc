#!/usr/bin/env bash
# Runs `gjs -m BUNDLE ARGS...` with the gjs of the e2e rootfs (GNOME Shell's own: 1.82 on trixie) in a
# private mount namespace: /proc, the host's /dev (with /dev/shm, where the synthetic tree is) and a
# private /tmp holding a copy of the bundle. Root only.
#   bench/rootfs-gjs.sh ROOTFS BUNDLE ARGS...
set -euo pipefail
R=$1 B=$2
shift 2
exec unshare -m --propagation private -- /bin/bash -c '
  set -e
  R=$1 B=$2
  shift 2
  mount -t proc proc "$R/proc"
  mount --rbind /dev "$R/dev"
  mount -t tmpfs -o mode=1777 tmp "$R/tmp"
  cp "$B" "$R/tmp/bench.gjs.js"
  exec chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 gjs -m /tmp/bench.gjs.js "$@"
' _ "$R" "$B" "$@"
