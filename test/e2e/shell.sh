#!/usr/bin/env bash
# Run a headless GNOME Shell session inside the e2e rootfs (see rootfs.sh), in a private
# mount + PID namespace. One session per suite at a time.
#
#   shell.sh start [--install ZIP]... [--enable UUID]... [--settings KEYFILE_FRAGMENT]
#                  [--system-policy CONF]...
#       Fresh /home/tester, harness extension copied in, keyfile settings seeded, each ZIP
#       installed with `gnome-extensions install --force` as uid 1000 inside the session
#       before gnome-shell starts, shell started 1280x800 --headless --no-x11, waits until the
#       harness answers, hides the overview. Extensions given with --enable (and the harness)
#       are in enabled-extensions at start. A --settings file is appended to the keyfile
#       (use groups other than [org/gnome/shell], e.g. [org/gnome/shell/extensions/headroom]).
#       Each --system-policy file goes into the system bus's /etc/dbus-1/system.d for this session
#       only (a bind mount inside the namespace; the rootfs is not changed), e.g. to let a stand-in
#       service own a system name.
#   shell.sh exec CMD [ARGS...]   run CMD inside the session as uid 1000 (session bus env set)
#   shell.sh eval JS              call org.gnome.Shell.E2E.Eval, prints gdbus' reply
#   shell.sh stop                 SIGTERM gnome-shell, wait, SIGKILL the namespace as fallback
#   shell.sh status               exit 0 if a session is running
#   shell.sh paths                print JSON {root, share, shareInside, log, stateDir, home}
#
# Host folder shared with the session: $WORK/session-<suite>/share on the host appears as
# /tmp/headroom-e2e inside the rootfs (bind mount, live: the host can rewrite files while the
# shell runs; recursive: a mount below it made before the start, such as a cgroupfs folder, comes
# along). The shell's stderr goes to $WORK/session-<suite>/shell.log.
#
# Env: HEADROOM_E2E_SUITE (trixie), HEADROOM_E2E_WORK (/var/tmp/headroom-e2e),
#      HEADROOM_E2E_SIZE (1280x800), HEADROOM_E2E_MAX_SECONDS (watchdog, 900),
#      HEADROOM_E2E_SESSION (default: the suite's name). A session with another name has its own
#      state folder ($WORK/session-<name>) and its own home (<state>/home, bind-mounted on
#      /home/tester inside its namespace), so it runs beside the default session on the same rootfs
#      (make demo uses this; `paths` tells where the home is).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE="${HEADROOM_E2E_SUITE:-trixie}"
WORK="${HEADROOM_E2E_WORK:-/var/tmp/headroom-e2e}"
SIZE="${HEADROOM_E2E_SIZE:-1280x800}"
MAX_SECONDS="${HEADROOM_E2E_MAX_SECONDS:-900}"
ROOT="$WORK/$SUITE"
SESSION="${HEADROOM_E2E_SESSION:-$SUITE}"
case "$SESSION" in ''|*[!A-Za-z0-9._-]*) echo "shell.sh: bad HEADROOM_E2E_SESSION '$SESSION'" >&2; exit 2 ;; esac
STATE="$WORK/session-$SESSION"
# The default session keeps its home in the rootfs (specs write into it); a named one has its own.
if [ "$SESSION" = "$SUITE" ]; then HOME_HOST="$ROOT/home/tester"; HOME_BIND=""; else HOME_HOST="$STATE/home"; HOME_BIND="$HOME_HOST"; fi
SHARE="$STATE/share"
SHARE_INSIDE=/tmp/headroom-e2e
LOG="$STATE/shell.log"
HARNESS_UUID=e2e-harness@example.com
SESSION_ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/tester USER=tester LOGNAME=tester
  LANG=C.UTF-8 XDG_RUNTIME_DIR=/run/user/1000 GSETTINGS_BACKEND=keyfile
  DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus WAYLAND_DISPLAY=wayland-0)

die() { echo "shell.sh: $*" >&2; exit 1; }

unshare_pid() {
  local pid
  pid=$(cat "$STATE/unshare.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = unshare ] || return 1
  echo "$pid"
}

# Host PID of PID 1 of the namespace (gnome-shell once the launcher exec'd it).
shell_pid() {
  local u
  u=$(unshare_pid) || return 1
  local c
  c=$(cat "/proc/$u/task/$u/children" 2>/dev/null | awk '{print $1}')
  [ -n "$c" ] || return 1
  echo "$c"
}

cmd_exec() {
  local pid
  pid=$(shell_pid) || die "no session running"
  exec nsenter -t "$pid" -m -p -r -w -S 1000 -G 1000 -- /usr/bin/env -i "${SESSION_ENV[@]}" "$@"
}

cmd_eval() {
  local pid
  pid=$(shell_pid) || die "no session running"
  exec nsenter -t "$pid" -m -p -r -w -S 1000 -G 1000 -- /usr/bin/env -i "${SESSION_ENV[@]}" \
    gdbus call --session --dest org.gnome.Shell.E2E --object-path /org/gnome/Shell/E2E \
    --method org.gnome.Shell.E2E.Eval "$1"
}

cmd_stop() {
  local u s i
  u=$(unshare_pid) || { rm -f "$STATE/unshare.pid"; return 0; }
  if s=$(shell_pid); then
    kill -TERM "$s" 2>/dev/null || true
  fi
  for i in $(seq 1 50); do
    [ -d "/proc/$u" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$u" ]; then
    echo "shell.sh: gnome-shell did not exit after SIGTERM; killing the namespace" >&2
    kill -KILL "$u" 2>/dev/null || true
    for i in $(seq 1 50); do [ -d "/proc/$u" ] || break; sleep 0.1; done
  fi
  rm -f "$STATE/unshare.pid"
}

cmd_start() {
  local installs=() enables=() settings="" policies=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --install) installs+=("$(realpath "$2")"); shift 2 ;;
      --enable) enables+=("$2"); shift 2 ;;
      --settings) settings=$(realpath "$2"); shift 2 ;;
      --system-policy) policies+=("$(realpath "$2")"); shift 2 ;;
      *) die "unknown start option $1" ;;
    esac
  done
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -x "$ROOT/usr/bin/gnome-shell" ] || die "no rootfs at $ROOT (run rootfs.sh first)"
  if unshare_pid >/dev/null; then
    echo "shell.sh: a session is already running; stopping it" >&2
    cmd_stop
  fi
  mkdir -p "$STATE" "$SHARE"
  chmod 755 "$STATE"
  chmod 1777 "$SHARE"
  : >"$LOG"

  # Fresh home.
  local H="$HOME_HOST"
  rm -rf --one-file-system "$H"
  mkdir -p "$H/.local/share/gnome-shell/extensions" "$H/.config/glib-2.0/settings"
  cp -a "$HERE/harness" "$H/.local/share/gnome-shell/extensions/$HARNESS_UUID"
  touch "$H/.local/share/gnome-shell/lock-warning-shown"
  local list="'$HARNESS_UUID'" u
  for u in "${enables[@]}"; do list="$list, '$u'"; done
  {
    printf '[org/gnome/shell]\nenabled-extensions=[%s]\ndisable-user-extensions=false\n' "$list"
    printf "welcome-dialog-last-shown-version='999'\n\n"
    printf '[org/gnome/desktop/interface]\nenable-animations=false\nenable-hot-corners=false\n\n'
    [ -n "$settings" ] && cat "$settings"
  } >"$H/.config/glib-2.0/settings/keyfile"
  # Zips to install go through the shared folder.
  rm -rf "$SHARE/.install"
  mkdir -p "$SHARE/.install"
  local i=0 z
  for z in "${installs[@]}"; do
    i=$((i + 1))
    cp "$z" "$SHARE/.install/$i-$(basename "$z")"
  done
  chmod -R a+rX "$SHARE/.install"
  chown -R 1000:1000 "$H"
  # System bus policies for this session only.
  local sysd=""
  rm -rf "$STATE/system.d"
  if [ ${#policies[@]} -gt 0 ]; then
    sysd="$STATE/system.d"
    mkdir -p "$sysd"
    for z in "${policies[@]}"; do install -m 644 "$z" "$sysd/"; done
  fi

  # Launcher inside the rootfs (runs as uid 1000). Written aside and renamed: another session may
  # be reading it.
  local launcher="$ROOT/usr/local/bin/.headroom-e2e-session.$$"
  cat >"$launcher" <<'EOF'
#!/bin/sh
export XDG_RUNTIME_DIR=/run/user/1000 XDG_SESSION_TYPE=wayland XDG_CURRENT_DESKTOP=GNOME \
  XDG_SESSION_DESKTOP=gnome DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus GSETTINGS_BACKEND=keyfile
dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile &
i=0
while [ ! -S "$XDG_RUNTIME_DIR/bus" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
for z in /tmp/headroom-e2e/.install/*.zip; do
  [ -e "$z" ] || continue
  echo "headroom-e2e: gnome-extensions install --force $z"
  gnome-extensions install --force "$z" || echo "headroom-e2e: INSTALL FAILED rc=$? for $z"
done
echo "headroom-e2e: starting gnome-shell $*"
exec gnome-shell "$@"
EOF
  chmod 755 "$launcher"
  mv -f "$launcher" "$ROOT/usr/local/bin/headroom-e2e-session"

  # Redirections: detached from the caller's pipes. timeout = watchdog (SIGKILL of unshare ends the namespace).
  timeout -s KILL "$MAX_SECONDS" \
    unshare -m -p -f --kill-child --propagation private -- /bin/bash -c '
      set -e
      R=$1 SHARE=$2 SIZE=$3 HOMEDIR=$4 SYSD=$5
      mount -t proc proc "$R/proc"
      mount -t sysfs sysfs "$R/sys"
      mount --rbind /dev "$R/dev"
      mount -t tmpfs -o mode=1777 tmp "$R/tmp"
      mkdir -m 1777 "$R/tmp/.X11-unix" "$R/tmp/.ICE-unix" "$R/tmp/headroom-e2e"
      mount --rbind "$SHARE" "$R/tmp/headroom-e2e"
      mount -t tmpfs -o mode=755 run "$R/run"
      [ -z "$HOMEDIR" ] || mount --bind "$HOMEDIR" "$R/home/tester"
      [ -z "$SYSD" ] || mount --bind "$SYSD" "$R/etc/dbus-1/system.d"
      mkdir -p "$R/run/dbus"
      install -d -m 700 -o 1000 -g 1000 "$R/run/user/1000"
      chroot "$R" /usr/bin/dbus-daemon --system --fork
      exec chroot --userspec=1000:1000 "$R" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
        HOME=/home/tester USER=tester LOGNAME=tester LANG=C.UTF-8 \
        /usr/local/bin/headroom-e2e-session --headless --no-x11 --virtual-monitor "$SIZE"
    ' _ "$ROOT" "$SHARE" "$SIZE" "$HOME_BIND" "$sysd" </dev/null >>"$LOG" 2>&1 &
  local tpid=$!
  # The unshare process is the child of timeout.
  local upid="" n
  for n in $(seq 1 100); do
    upid=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null | awk '{print $1}') || true
    [ -n "$upid" ] && break
    [ -d "/proc/$tpid" ] || { tail -n 40 "$LOG" >&2; die "the session's namespace exited at once"; }
    sleep 0.02
  done
  [ -n "$upid" ] || die "unshare did not start"
  echo "$upid" >"$STATE/unshare.pid"

  # Readiness: log line, then the harness answering and the overview hidden.
  local t0=$SECONDS
  while ! grep -q 'GNOME Shell started at' "$LOG"; do
    if ! unshare_pid >/dev/null; then tail -n 40 "$LOG" >&2; die "gnome-shell exited during start"; fi
    [ $((SECONDS - t0)) -lt 60 ] || { tail -n 40 "$LOG" >&2; cmd_stop; die "timeout waiting for gnome-shell"; }
    sleep 0.1
  done
  local out
  while :; do
    out=$(cmd_eval 'Main.overview.hide(); Main.overview.visible' 2>/dev/null || true)
    case "$out" in "(true, 'false')") break ;; esac
    unshare_pid >/dev/null || { tail -n 40 "$LOG" >&2; die "gnome-shell exited during start"; }
    [ $((SECONDS - t0)) -lt 60 ] || { tail -n 40 "$LOG" >&2; cmd_stop; die "timeout waiting for the harness (last: $out)"; }
    sleep 0.1
  done
}

cmd_paths() {
  printf '{"root":"%s","share":"%s","shareInside":"%s","log":"%s","stateDir":"%s","home":"%s"}\n' \
    "$ROOT" "$SHARE" "$SHARE_INSIDE" "$LOG" "$STATE" "$HOME_HOST"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  exec) shift; cmd_exec "$@" ;;
  eval) shift; cmd_eval "$1" ;;
  status) unshare_pid >/dev/null ;;
  paths) cmd_paths ;;
  *) sed -n '2,/^set -e/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
