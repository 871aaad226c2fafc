#!/usr/bin/env bash
# Build (or restore from cache) a slim Debian rootfs with GNOME Shell for the e2e tests.
#
#   sudo bash test/e2e/rootfs.sh [suite]        # suite: trixie (default) | sid
#
# Env:
#   HEADROOM_E2E_SUITE   suite if no argument is given (default trixie)
#   HEADROOM_E2E_CACHE   where cached tarballs live (default /var/cache/headroom-e2e)
#   HEADROOM_E2E_WORK    where rootfs trees are extracted (default /var/tmp/headroom-e2e)
#   HEADROOM_E2E_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#
# Result: $HEADROOM_E2E_WORK/<suite> is a ready rootfs; a stamp file inside it
# (/etc/headroom-e2e-rootfs) records the cache key so reruns are no-ops.
# Host needs: root (CAP_SYS_ADMIN), debootstrap, zstd, tar, util-linux (unshare).
set -euo pipefail

SCRIPT_VERSION=2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE="${1:-${HEADROOM_E2E_SUITE:-trixie}}"
CACHE="${HEADROOM_E2E_CACHE:-/var/cache/headroom-e2e}"
WORK="${HEADROOM_E2E_WORK:-/var/tmp/headroom-e2e}"
MIRROR="${HEADROOM_E2E_MIRROR:-http://deb.debian.org/debian}"
# librsvg2-common: GdkPixbuf's SVG loader (symbolic icons), which used to come in through GNOME Settings.
PACKAGES=(gnome-shell dbus dbus-daemon libgl1-mesa-dri libegl-mesa0 libgles2 at-spi2-core
  fonts-cantarell adwaita-icon-theme procps librsvg2-common)
# gnome-shell depends on GNOME Settings, which no test opens. An empty package of that name stands in for it
# and keeps 99 packages (220 MB installed, a fifth of the rootfs: samba, sane, colord, perl, gnupg...) out,
# which shortens a cold build by the time it took to download and unpack them.
STUBS=(gnome-control-center)
STUB_VERSION=1:999

log() { echo "[rootfs $(date +%T)] $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "rootfs.sh: must run as root" >&2; exit 1; }
for tool in debootstrap zstd unshare tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "rootfs.sh: missing host tool '$tool' (apt-get install debootstrap zstd)" >&2; exit 1; }
done

KEY=$(printf '%s\n' "v$SCRIPT_VERSION" "$SUITE" "${PACKAGES[@]}" "${STUBS[@]}" | sha256sum | cut -c1-16)
TARBALL="$CACHE/$SUITE-$KEY.tar.zst"
ROOT="$WORK/$SUITE"
STAMP_CONTENT="$SUITE-$KEY"

mkdir -p "$CACHE" "$WORK"
exec 9>"$WORK/.$SUITE.lock"
flock 9

if [ -f "$ROOT/etc/headroom-e2e-rootfs" ] && [ "$(cat "$ROOT/etc/headroom-e2e-rootfs")" = "$STAMP_CONTENT" ]; then
  log "rootfs $ROOT is current ($STAMP_CONTENT)"
  echo "$ROOT"
  exit 0
fi

# Make sure nothing is still mounted below the old tree before deleting it.
clean_tree() {
  local dir=$1
  [ -e "$dir" ] || return 0
  if grep -q " $dir/" /proc/self/mounts; then
    echo "rootfs.sh: something is still mounted below $dir; stop running sessions first" >&2
    exit 1
  fi
  rm -rf --one-file-system "$dir"
}

# While debootstrap works (mostly dpkg, on one CPU), the host's apt, if it has one, downloads what the rootfs's
# apt will install into a folder of its own: apt fetches from a mirror at 7-9 MB/s here, so these 160 MB
# are about 20 s that no longer follow debootstrap. The host's apt checks them against the archive's signed
# index, with the keyring debootstrap uses (the rootfs's apt takes a file already in its archives folder
# without checking its hash).
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
prefetch() {
  local dir=$1 stub
  command -v apt-get >/dev/null && [ -f "$KEYRING" ] ||
    { echo "no apt-get or no $KEYRING on the host: the rootfs's apt downloads everything"; return 0; }
  mkdir -p "$dir/lists/partial" "$dir/archives/partial"
  for stub in "${STUBS[@]}"; do
    printf '%s\n' "Package: $stub" 'Status: install ok installed' "Version: $STUB_VERSION" 'Architecture: all' ''
  done >"$dir/status"
  echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$dir/sources.list"
  local opts=(-q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null -o Dir::State::Lists="$dir/lists"
    -o Dir::State::status="$dir/status" -o Dir::Cache="$dir" -o Dir::Cache::Archives="$dir/archives"
    -o Debug::NoLocking=true -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false)
  apt-get "${opts[@]}" update && apt-get "${opts[@]}" install -y --download-only "${PACKAGES[@]}"
}

if [ -f "$TARBALL" ]; then
  log "restoring $TARBALL -> $ROOT"
  clean_tree "$ROOT.new"
  mkdir -p "$ROOT.new"
  tar -C "$ROOT.new" -I zstd --numeric-owner -xpf "$TARBALL"
else
  log "cold build of $SUITE (cache key $KEY)"
  clean_tree "$ROOT.new"
  mkdir -p "$ROOT.new"
  R="$ROOT.new"
  PREFETCH_DIR="$WORK/.prefetch-$SUITE"
  rm -rf "$PREFETCH_DIR"
  prefetch "$PREFETCH_DIR" >"$WORK/prefetch-$SUITE.log" 2>&1 &
  PREFETCH_PID=$!
  debootstrap --variant=minbase "$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap-$SUITE.log" 2>&1 || {
    kill "$PREFETCH_PID" 2>/dev/null; tail -n 30 "$WORK/debootstrap-$SUITE.log" >&2; exit 1; }
  log "debootstrap done"
  if wait "$PREFETCH_PID"; then
    log "$(find "$PREFETCH_DIR/archives" -maxdepth 1 -name '*.deb' | wc -l) packages downloaded meanwhile"
    find "$PREFETCH_DIR/archives" -maxdepth 1 -name '*.deb' -exec mv -t "$R/var/cache/apt/archives/" {} +
  else
    log "downloading ahead failed ($WORK/prefetch-$SUITE.log); the rootfs's apt downloads everything"
  fi
  rm -rf "$PREFETCH_DIR"
  echo 'Acquire::Check-Valid-Until "false";' >"$R/etc/apt/apt.conf.d/99e2e-no-valid-until"
  printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
  chmod 755 "$R/usr/sbin/policy-rc.d"
  cat >"$R/etc/dpkg/dpkg.cfg.d/01-e2e-slim" <<'EOF'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/help/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
  # Remove docs/locales debootstrap already unpacked.
  find "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/info" -mindepth 1 -delete 2>/dev/null || true
  find "$R/usr/share/locale" -mindepth 1 ! -name locale.alias -delete 2>/dev/null || true
  cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
  for stub in "${STUBS[@]}"; do
    mkdir -p "$R/root/stub-$stub/DEBIAN"
    printf '%s\n' "Package: $stub" "Version: $STUB_VERSION" 'Architecture: all' 'Maintainer: Headroom e2e <e2e@headroom.invalid>' \
      "Description: empty stand-in for $stub in the e2e rootfs (test/e2e/rootfs.sh)" >"$R/root/stub-$stub/DEBIAN/control"
  done
  unshare -m --propagation private -- /bin/bash -euc '
    R=$1; shift
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    mount --rbind /dev "$R/dev"
    mount -t tmpfs -o mode=1777 tmp "$R/tmp"
    chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
      /bin/sh -ec "for d in /root/stub-*; do dpkg-deb -b \$d \$d.deb >/dev/null; dpkg -i \$d.deb >/dev/null; done; rm -rf /root/stub-*
        apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $* >/var/log/e2e-apt.log 2>&1 || { tail -n 40 /var/log/e2e-apt.log; exit 1; }; apt-get clean; rm -rf /var/lib/apt/lists/*"
    chroot "$R" /usr/sbin/useradd -m -u 1000 -s /bin/bash tester
  ' _ "$R" "${PACKAGES[@]}"
  log "packages installed ($(chroot "$R" dpkg-query -W | wc -l) packages)"
  # Sanity: tools the tests rely on.
  for f in /usr/bin/gnome-shell /usr/bin/gnome-extensions /usr/bin/gdbus /usr/bin/gsettings /usr/bin/dbus-daemon; do
    [ -x "$R$f" ] || { echo "rootfs.sh: $f missing in rootfs" >&2; exit 1; }
  done
  echo "$STAMP_CONTENT" >"$R/etc/headroom-e2e-rootfs"
  log "packing $TARBALL"
  tar -C "$R" -I 'zstd -T0 -3' --numeric-owner -cpf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  # Drop stale cache entries of the same suite.
  find "$CACHE" -maxdepth 1 -name "$SUITE-*.tar.zst" ! -name "$(basename "$TARBALL")" -delete
fi

echo "$STAMP_CONTENT" >"$ROOT.new/etc/headroom-e2e-rootfs"
# A session still running in the old tree is stopped before the tree is replaced.
HEADROOM_E2E_SUITE="$SUITE" HEADROOM_E2E_WORK="$WORK" bash "$HERE/shell.sh" stop
clean_tree "$ROOT"
mv "$ROOT.new" "$ROOT"
log "rootfs ready: $ROOT"
echo "$ROOT"
