#!/bin/bash
# Runs inside the oomd VM as root (headroom-check.service, see oomd-vm.sh); everything it learns goes
# to /mnt/headroom/out (the host's $HEADROOM_VM_WORK/share/out). Phases:
#   1. discovery: `oomctl dump`, Headroom's `cli.js --oomd` from the dump and, with the dump denied by a
#      bus policy, from the unit properties + oomd.conf;
#   2. a kill: an app-like scope in app.slice thrashing against MemoryHigh= (swap on) until oomd kills it,
#      with `cli.js --oomd --watch --json` running and a 0.25 s sampler of app.slice's memory.pressure;
#   3. a restart: a Restart=always service doing the same, its unit state polled and its D-Bus
#      signals recorded through two kills;
#   4. journal (oomd's and the user manager's lines, and Headroom's journalctl command as root and as
#      the user), then oomd stopped to see the watcher and discovery say so.
set -u
OUT=/mnt/headroom/out
DIST=/mnt/headroom/dist
UID_=1000
MANAGER=/sys/fs/cgroup/user.slice/user-$UID_.slice/user@$UID_.service
APP=$MANAGER/app.slice
mkdir -p "$OUT"
exec >>"$OUT/guest.log" 2>&1
: >"$OUT/summary.txt"

now() { date +%s.%N | cut -c1-14; }
log() { echo "[guest $(date +%T.%N | cut -c1-12)] $*"; }
say() { echo "$*" | tee -a "$OUT/summary.txt"; }
# As the user, with the session bus of the user manager.
asu() {
  setpriv --reuid=$UID_ --regid=$UID_ --init-groups env -i HOME=/home/tester USER=tester LOGNAME=tester \
    PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR=/run/user/$UID_ \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$UID_/bus "$@"
}
cli() { asu gjs -m "$DIST/cli.js" "$@"; }
avg10() { sed -n 's/^full avg10=\([0-9.]*\).*/\1/p' "$APP/memory.pressure" 2>/dev/null || echo 0; }
# Waits until the cgroup's full avg10 is below $1 (at most $2 s).
wait_calm() {
  local i
  for ((i = 0; i < $2; i++)); do
    awk -v a="$(avg10)" -v l="$1" 'BEGIN { exit !(a < l) }' && return 0
    sleep 1
  done
  return 1
}
# The memory hog: holds up to $1 MiB of anonymous memory, grown 4 MiB at a time, and re-reads a 16 MiB
# file of its own between steps. Run with MemoryHigh= below that and MemorySwapMax=0, the kernel throttles
# it at every new charge once it is over memory.high (the throttle sleeps count as memory stalls, so
# nearly all of its time is a `full` stall), and reclaim scans the file's page cache, so pgscan rises
# (oomd acts only with reclaim activity: with the anon pages alone, unswappable, pgscan stays 0 and oomd
# never kills, however high the pressure).
HOG='my $hold = $ARGV[0]; my $name = "/var/tmp/hog.$$"; open my $f, "+>", $name or die "$name: $!";
unlink $name; print $f "\0" x (16 << 20); my @keep; my $b;
for (;;) { push @keep, "\1" x (4 << 20) if @keep < $hold / 4;
  sysseek $f, 0, 0; 1 while sysread $f, $b, 1 << 20 }'
HOG_PROPS=(-p MemoryHigh=64M -p MemorySwapMax=0)
# A file, not `perl -e`: systemd expands $VARIABLES in a service's command line (not in a scope's).
echo "$HOG" >/var/tmp/headroom-hog.pl
chmod 644 /var/tmp/headroom-hog.pl

log "start"
{
  uname -a; cat /proc/cmdline; systemctl --version | head -1
  echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
  swapon --show; free -m
  systemd-analyze cat-config systemd/oomd.conf
  systemctl cat -- -.slice system.slice 2>&1 | grep -v '^$'
  asu systemctl --user cat app.slice 2>&1
} >"$OUT/env.txt" 2>&1

for ((i = 0; i < 180; i++)); do
  [ "$(systemctl is-active user@$UID_.service)" = active ] && [ -S /run/user/$UID_/bus ] && \
    [ "$(systemctl is-active systemd-oomd.service)" = active ] && break
  sleep 1
done
say "user@$UID_: $(systemctl is-active user@$UID_.service); systemd-oomd: $(systemctl is-active systemd-oomd.service); $(systemctl --version | head -1)"
# oomd's per-check debug lines give the timing of its decisions.
systemctl service-log-level systemd-oomd.service debug || true

# ---- 1. discovery ---------------------------------------------------------------------------------------
asu systemd-run --user --quiet --unit=app-idle.service sleep infinity
asu systemd-run --user --quiet --scope --unit="app-gnome-idle-$$.scope" sleep infinity &
sleep 5
oomctl dump >"$OUT/oomctl-dump-root.txt" 2>&1
asu oomctl dump >"$OUT/oomctl-dump-user.txt" 2>&1
cmp -s "$OUT/oomctl-dump-root.txt" "$OUT/oomctl-dump-user.txt" && say "oomctl dump: same text as root and as uid $UID_"
cli --oomd >"$OUT/cli-oomd.txt" 2>&1; say "cli --oomd: exit $?"
cli --oomd --json >"$OUT/cli-oomd.json" 2>&1
{
  for u in app.slice session.slice background.slice; do
    echo "== user $u"; asu systemctl --user show "$u" -p ControlGroup -p ActiveState -p ManagedOOMMemoryPressure \
      -p ManagedOOMMemoryPressureLimit -p ManagedOOMMemoryPressureDurationUSec -p ManagedOOMSwap -p ManagedOOMPreference
    asu busctl --user get-property org.freedesktop.systemd1 "/org/freedesktop/systemd1/unit/${u//./_2e}" \
      org.freedesktop.systemd1.Slice ManagedOOMMemoryPressureLimit ManagedOOMMemoryPressureDurationUSec 2>&1
  done
  for u in system.slice -.slice user.slice user@$UID_.service; do
    echo "== system $u"; systemctl show -p ControlGroup -p ManagedOOMMemoryPressure \
      -p ManagedOOMMemoryPressureLimit -p ManagedOOMMemoryPressureDurationUSec -p ManagedOOMSwap -- "$u"
  done
} >"$OUT/unit-properties.txt" 2>&1

# The fallback: oomd runs, but its dump is refused by a bus policy ("mandatory": a user policy does not
# override oom1.conf's default-context allow).
cat >/etc/dbus-1/system.d/zz-headroom-deny-dump.conf <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="mandatory">
    <deny send_destination="org.freedesktop.oom1" send_interface="org.freedesktop.oom1.Manager"
          send_member="DumpByFileDescriptor"/>
  </policy>
</busconfig>
EOF
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
sleep 2
asu busctl call org.freedesktop.oom1 /org/freedesktop/oom1 org.freedesktop.oom1.Manager DumpByFileDescriptor \
  >"$OUT/dump-denied-busctl.txt" 2>&1
cli --oomd >"$OUT/cli-oomd-fallback.txt" 2>&1; say "cli --oomd (dump denied): exit $?"
cli --oomd --json >"$OUT/cli-oomd-fallback.json" 2>&1
rm /etc/dbus-1/system.d/zz-headroom-deny-dump.conf
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
sleep 1

# ---- 2. a kill ------------------------------------------------------------------------------------------
SAMPLER='use Time::HiRes qw(time sleep clock_gettime CLOCK_MONOTONIC); $| = 1; my $d = shift;
for (;;) { my ($full, $pg) = ("", "");
  if (open my $f, "<", "$d/memory.pressure") { ($full) = grep { /^full/ } <$f>; chomp $full }
  if (open my $f, "<", "$d/memory.stat") { ($pg) = map { /^pgscan (\d+)/ ? $1 : () } <$f> }
  printf "%.3f\t%.3f\t%s\tpgscan=%s\n", time, clock_gettime(CLOCK_MONOTONIC), $full, $pg; sleep 0.25 }'
perl -e "$SAMPLER" "$APP" >"$OUT/app-slice-pressure.tsv" &
SAMPLER_PID=$!
cli --oomd --watch --json >"$OUT/watch.jsonl" 2>"$OUT/watch.err" &
WATCH_PID=$!
sleep 5

log "phase 2: hog scope"
say "phase 2 start $(now)"
HOG_SCOPE="app-gnome-hog-$$.scope"
asu systemd-run --user --quiet --scope --unit="$HOG_SCOPE" "${HOG_PROPS[@]}" perl /var/tmp/headroom-hog.pl 256 &
dumped=0
for ((i = 0; i < 300; i++)); do
  grep -q '"killed"' "$OUT/watch.jsonl" && break
  if [ $dumped = 0 ] && awk -v a="$(avg10)" 'BEGIN { exit !(a > 60) }'; then
    oomctl dump >"$OUT/oomctl-dump-pressure.txt" 2>&1; dumped=1
  fi
  sleep 1
done
say "phase 2 kill seen by the watcher: $(grep -m1 '"killed"' "$OUT/watch.jsonl" || echo none)"
sleep 3
asu systemctl --user show "$HOG_SCOPE" -p ActiveState -p SubState -p Result >"$OUT/hog-scope-after.txt" 2>&1
asu systemctl --user stop "$HOG_SCOPE" 2>/dev/null
wait_calm 10 120 || log "app.slice did not calm down"

# ---- 3. a service that restarts --------------------------------------------------------------------------
log "phase 3: Restart=always service"
say "phase 3 start $(now)"
SVC=container-jellyfin.service
asu timeout 400 busctl --user monitor --json=short org.freedesktop.systemd1 >"$OUT/restart-busctl.jsonl" 2>"$OUT/restart-busctl.err" &
MON_PID=$!
sleep 1
(
  for ((;;)); do
    echo "$(now) $(asu systemctl --user show $SVC -p ActiveState -p SubState -p Result -p NRestarts -p MainPID \
      -p ExecMainCode -p ExecMainStatus -p InvocationID 2>&1 | tr '\n' ' ')"
    sleep 0.2
  done
) >"$OUT/restart-poll.txt" &
POLL_PID=$!
asu systemd-run --user --quiet --unit=$SVC -p Restart=always "${HOG_PROPS[@]}" perl /var/tmp/headroom-hog.pl 256
kills_before=$(grep -c '"killed"' "$OUT/watch.jsonl")
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c '"killed"' "$OUT/watch.jsonl")" -ge $((kills_before + 2)) ] && break
  sleep 1
done
sleep 8
say "phase 3 kills seen: $(($(grep -c '"killed"' "$OUT/watch.jsonl") - kills_before))"
asu systemctl --user show $SVC >"$OUT/restart-show-final.txt" 2>&1
asu systemctl --user stop $SVC
sleep 2
kill $POLL_PID $MON_PID 2>/dev/null
wait_calm 10 60

# ---- 4. journal, and oomd going away --------------------------------------------------------------------
journalctl -o json --no-pager _SYSTEMD_UNIT=systemd-oomd.service >"$OUT/journal-oomd.jsonl"
journalctl -o json --no-pager _SYSTEMD_UNIT=user@$UID_.service >"$OUT/journal-user-manager.jsonl"
journalctl -o short-precise --no-pager >"$OUT/journal.txt"
journalctl -o json --no-pager >"$OUT/journal-all.jsonl"
J=(journalctl --output=json --output-fields=MESSAGE,__REALTIME_TIMESTAMP,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER
  --since=-7d --no-pager _SYSTEMD_UNIT=systemd-oomd.service)
"${J[@]}" >"$OUT/headroom-journalctl-root.jsonl" 2>"$OUT/headroom-journalctl-root.err"; echo "exit $?" >>"$OUT/headroom-journalctl-root.err"
asu "${J[@]}" >"$OUT/headroom-journalctl-user.jsonl" 2>"$OUT/headroom-journalctl-user.err"; echo "exit $?" >>"$OUT/headroom-journalctl-user.err"

log "stopping systemd-oomd"
systemctl stop systemd-oomd.socket systemd-oomd.service
sleep 4
cli --oomd >"$OUT/cli-oomd-stopped.txt" 2>&1; say "cli --oomd (oomd stopped): exit $?"
kill $WATCH_PID $SAMPLER_PID 2>/dev/null
sleep 1
say "kills in oomd's journal: $(grep -c '"MESSAGE":"Killed ' "$OUT/journal-oomd.jsonl")"
echo 0 >"$OUT/status"
log "done"
sync
