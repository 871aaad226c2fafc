#!/usr/bin/env bash
# Check Headroom's systemd-oomd code against a real systemd-oomd: a Debian trixie guest (systemd 257)
# booted in qemu, with Fedora's oomd policy, a lingering user (uid 1000) and real memory pressure.
#
#   sudo bash test/vm/oomd-vm.sh [build|run|all]     # default: all (build when needed, then run)
#
# Env:
#   HEADROOM_VM_WORK     images, share and results (default /var/tmp/headroom-oomd-vm); never inside the repo
#   HEADROOM_VM_MIRROR   Debian mirror for the cold build (default http://deb.debian.org/debian)
#   HEADROOM_VM_TIMEOUT  seconds before the guest is killed (default 1500)
#   HEADROOM_VM_MEM      guest RAM in MiB (default 1024)
#
# build: debootstrap a minimal trixie (systemd, systemd-oomd, dbus, gjs, kernel; no GNOME), cached as
#        $WORK/rootfs-<key>.tar.zst, then an ext4 image (disk.img) with the guest configuration.
# run:   copies dist/cli.js and test/vm/guest.sh into $WORK/share, boots the image (TCG when there is no
#        /dev/kvm), the guest's headroom-check.service runs guest.sh, which writes everything into
#        $WORK/share/out/ (a 9p share), then powers off. Exit status: guest.sh's (out/status).
# Host needs: root, debootstrap, zstd, e2fsprogs, qemu-system-x86; `make build` done.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK="${HEADROOM_VM_WORK:-/var/tmp/headroom-oomd-vm}"
MIRROR="${HEADROOM_VM_MIRROR:-http://deb.debian.org/debian}"
TIMEOUT="${HEADROOM_VM_TIMEOUT:-1500}"
MEM="${HEADROOM_VM_MEM:-1024}"
STAGE="${1:-all}"
SCRIPT_VERSION=1
PACKAGES=(systemd systemd-sysv systemd-oomd udev dbus dbus-user-session libpam-systemd gjs gir1.2-glib-2.0
  linux-image-amd64 initramfs-tools util-linux perl procps kmod)

log() { echo "[oomd-vm $(date +%T)] $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "oomd-vm.sh: must run as root" >&2; exit 1; }
case "$WORK" in "$REPO"|"$REPO"/*) echo "oomd-vm.sh: HEADROOM_VM_WORK must be outside the repo" >&2; exit 1;; esac
mkdir -p "$WORK"

KEY=$(printf '%s\n' "v$SCRIPT_VERSION" "${PACKAGES[@]}" | sha256sum | cut -c1-16)
TARBALL="$WORK/rootfs-$KEY.tar.zst"
IMAGE="$WORK/disk.img"
IMAGE_KEY="$KEY-$(cat "$HERE/oomd-vm.sh" | sha256sum | cut -c1-16)"

# ---- build ------------------------------------------------------------------------------------------

build_rootfs() {
  [ -f "$TARBALL" ] && return 0
  for tool in debootstrap zstd; do
    command -v "$tool" >/dev/null || { echo "oomd-vm.sh: missing $tool (apt-get install debootstrap zstd)" >&2; exit 1; }
  done
  local R="$WORK/rootfs.new"
  rm -rf --one-file-system "$R"
  mkdir -p "$R"
  log "debootstrap trixie (cold build, a few minutes)"
  debootstrap --variant=minbase trixie "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
  # apt, not debootstrap --include: debootstrap's resolver misses virtual packages (gjs's gir1.2-gtk-3.0
  # needs gir1.2-cairo-1.0, which gir1.2-freedesktop provides).
  printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
  chmod 755 "$R/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
  log "apt-get install ${PACKAGES[*]}"
  unshare -m --propagation private -- /bin/sh -c '
    R=$1; shift
    mount -t proc proc "$R/proc"; mount -t sysfs sysfs "$R/sys"; mount --rbind /dev "$R/dev"
    mount -t tmpfs tmp "$R/tmp"
    chroot "$R" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    chroot "$R" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" &&
    chroot "$R" apt-get clean' sh "$R" "${PACKAGES[@]}" >>"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
  rm -f "$R/usr/sbin/policy-rc.d"
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*_Packages
  tar -C "$R" -I 'zstd -T0 -3' --numeric-owner -cpf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  rm -rf --one-file-system "$R"
  log "rootfs cached: $TARBALL"
}

# The guest: Fedora's systemd-oomd-defaults drop-ins (notes/oomd-and-psi.md §7), plus ManagedOOMSwap=kill
# on -.slice (what Fedora shipped before 2022) so the dump has a swap section too; a lingering user
# `tester` (uid 1000); swap; the 9p share on /mnt/headroom; headroom-check.service runs the checks.
configure_guest() {
  local R=$1
  echo headroom-oomd >"$R/etc/hostname"
  cat >"$R/etc/fstab" <<'FSTAB'
/dev/vda / ext4 rw,relatime 0 1
/dev/vdb none swap sw,nofail 0 0
headroom /mnt/headroom 9p trans=virtio,version=9p2000.L,msize=262144,nofail 0 0
FSTAB
  mkdir -p "$R/mnt/headroom"
  printf '9p\n9pnet_virtio\n' >"$R/etc/modules-load.d/headroom-9p.conf"

  # Debian's systemd-oomd package ships upstream's example policy in /usr/lib: 10-oomd-defaults.conf
  # (DefaultMemoryPressureDurationSec=20s), -.slice.d/10-oomd-root-slice-defaults.conf
  # (ManagedOOMSwap=auto) and user@.service.d/10-oomd-user-service-defaults.conf
  # (ManagedOOMMemoryPressure=kill, limit 50 % on user@UID.service, which Fedora stopped in 2023).
  # Fedora's files go to /etc under the same names (overriding Debian's); the user@ one is masked.
  mkdir -p "$R/etc/systemd/oomd.conf.d" "$R/etc/systemd/system/system.slice.d" "$R/etc/systemd/user/slice.d" \
    "$R/etc/systemd/system/-.slice.d" "$R/etc/systemd/system/user@.service.d"
  printf '[OOM]\nDefaultMemoryPressureDurationSec=20s\n' >"$R/etc/systemd/oomd.conf.d/10-oomd-defaults.conf"
  for d in system/system.slice.d user/slice.d; do
    printf '[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=80%%\n' \
      >"$R/etc/systemd/$d/10-oomd-per-slice-defaults.conf"
  done
  printf '[Slice]\nManagedOOMSwap=kill\n' >"$R/etc/systemd/system/-.slice.d/10-oomd-root-slice-defaults.conf"
  ln -sf /dev/null "$R/etc/systemd/system/user@.service.d/10-oomd-user-service-defaults.conf"
  ln -sf /usr/lib/systemd/system/systemd-oomd.service "$R/etc/systemd/system/multi-user.target.wants/systemd-oomd.service"
  mkdir -p "$R/etc/systemd/system/sockets.target.wants"
  ln -sf /usr/lib/systemd/system/systemd-oomd.socket "$R/etc/systemd/system/sockets.target.wants/systemd-oomd.socket"

  chroot "$R" useradd -m -u 1000 -s /bin/bash tester 2>/dev/null || true
  mkdir -p "$R/var/lib/systemd/linger"
  touch "$R/var/lib/systemd/linger/tester"
  chroot "$R" passwd -d root >/dev/null

  # A persistent journal would survive into the next boot of the same image; keep it volatile.
  mkdir -p "$R/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\n' >"$R/etc/systemd/journald.conf.d/headroom.conf"

  cat >"$R/etc/systemd/system/headroom-check.service" <<'UNIT'
[Unit]
Description=Headroom oomd checks (test/vm/guest.sh from the 9p share)
After=multi-user.target systemd-oomd.service user@1000.service mnt-headroom.mount
Wants=systemd-oomd.service user@1000.service
RequiresMountsFor=/mnt/headroom

[Service]
Type=oneshot
ExecStart=/bin/bash /mnt/headroom/guest.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity
ExecStopPost=/usr/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
UNIT
  ln -sf /etc/systemd/system/headroom-check.service "$R/etc/systemd/system/multi-user.target.wants/headroom-check.service"
  # No login prompt on the serial console: it would interleave with the checks' output.
  ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
  ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"
}

build_image() {
  if [ -f "$IMAGE" ] && [ "$(cat "$IMAGE.key" 2>/dev/null)" = "$IMAGE_KEY" ]; then
    log "image $IMAGE is current"
    return 0
  fi
  build_rootfs
  local R="$WORK/image-root"
  rm -rf --one-file-system "$R"
  mkdir -p "$R"
  tar -C "$R" -I zstd --numeric-owner -xpf "$TARBALL"
  configure_guest "$R"
  # Swap for the pressure tests: a disk of its own (a swap file copied in by mkfs.ext4 -d would be
  # sparse, and swapon refuses files with holes).
  rm -f "$WORK/swap.img"
  truncate -s 768M "$WORK/swap.img"
  chmod 600 "$WORK/swap.img"
  # mkswap warns about the holes of the sparse file: the guest sees a block device, where they do not matter.
  mkswap "$WORK/swap.img" >/dev/null 2>&1
  cp -L "$R/vmlinuz" "$WORK/vmlinuz"
  cp -L "$R/initrd.img" "$WORK/initrd.img"
  rm -f "$IMAGE" "$IMAGE.key"
  mkfs.ext4 -q -F -L headroom -d "$R" "$IMAGE" 4G >"$WORK/mkfs.log" 2>&1 || { cat "$WORK/mkfs.log" >&2; exit 1; }
  rm -rf --one-file-system "$R"
  echo "$IMAGE_KEY" >"$IMAGE.key"
  log "image ready: $IMAGE"
}

# ---- run --------------------------------------------------------------------------------------------

run_guest() {
  [ -f "$REPO/dist/cli.js" ] || { echo "oomd-vm.sh: no dist/cli.js: run make build first" >&2; exit 1; }
  command -v qemu-system-x86_64 >/dev/null || { echo "oomd-vm.sh: apt-get install qemu-system-x86" >&2; exit 1; }
  [ -f "$IMAGE" ] && [ -f "$WORK/swap.img" ] || { echo "oomd-vm.sh: no image in $WORK: run the build stage first" >&2; exit 1; }
  local SHARE="$WORK/share"
  rm -rf "$SHARE"
  mkdir -p "$SHARE/out" "$SHARE/dist"
  cp "$REPO"/dist/*.js "$SHARE/dist/"
  cp "$HERE/guest.sh" "$SHARE/guest.sh"
  chmod 777 "$SHARE/out"
  local accel=tcg,thread=multi cpu=max
  if [ -w /dev/kvm ]; then accel=kvm; cpu=host; fi
  log "booting the guest (accel $accel, ${MEM} MiB, timeout ${TIMEOUT}s); console: $WORK/console.log"
  local rc=0
  timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
    -machine q35 -accel "$accel" -cpu "$cpu" -smp 2 -m "$MEM" \
    -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 psi=1 systemd.unified_cgroup_hierarchy=1 quiet systemd.show_status=0" \
    -drive file="$IMAGE",if=virtio,format=raw,snapshot=on \
    -drive file="$WORK/swap.img",if=virtio,format=raw,snapshot=on \
    -virtfs local,path="$SHARE",mount_tag=headroom,security_model=none,id=headroom \
    -nic none -display none -monitor none -serial file:"$WORK/console.log" -no-reboot || rc=$?
  [ "$rc" = 124 ] && log "the guest did not power off within ${TIMEOUT}s"
  rm -rf "$WORK/results"
  cp -r "$SHARE/out" "$WORK/results"
  log "results in $WORK/results"
  if [ -f "$WORK/results/summary.txt" ]; then cat "$WORK/results/summary.txt"; fi
  local status
  status=$(cat "$WORK/results/status" 2>/dev/null || echo 1)
  return "$status"
}

case "$STAGE" in
  build) build_image ;;
  run) run_guest ;;
  all) build_image; run_guest ;;
  *) echo "usage: oomd-vm.sh [build|run|all]" >&2; exit 2 ;;
esac
