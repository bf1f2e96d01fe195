#!/bin/sh
# `make run`: a launchd --user in the foreground with the example jobs loaded,
# everything kept under build/demo-root so nothing touches the real system.
set -eu
BUILD=$1
ROOT=$BUILD/demo-root
UID_=$(id -u)
AGENTS=$ROOT/home/$UID_/.config/launchd/LaunchAgents
LOGS=$ROOT/logs
rm -rf "$ROOT"
mkdir -p "$AGENTS" "$LOGS"
for f in "$(dirname "$0")"/jobs/*.plist; do
	sed "s|@LOGDIR@|$LOGS|g" "$f" > "$AGENTS/$(basename "$f")"
done
cat <<MSG
Gantry launchd is starting in the foreground for uid $UID_ with the jobs of examples/jobs.
Ctrl-C stops it (and every job). In another terminal:

  export LAUNCHD_ROOT=$ROOT
  alias launchctl=$BUILD/src/launchctl/launchctl
  launchctl list                                   # PID, last exit status, label
  launchctl print gui/$UID_/com.example.clock       # everything about one service
  launchctl print gui/$UID_/com.example.broken      # a spawn failure and its cause
  launchctl print gui/$UID_/com.example.flaky       # a crash loop, throttled, with its next start
  launchctl blame gui/$UID_/com.example.flaky       # why it is not running: its exit and last stderr lines
  launchctl log gui/$UID_/com.example.flaky --follow   # its captured output, as it comes
  launchctl kickstart -p gui/$UID_/com.example.ondemand
  launchctl disable gui/$UID_/com.example.clock && launchctl print-disabled gui/$UID_
  launchctl print gui/$UID_ --json
  launchctl print gui/$UID_/com.example.every-minute # next and last calendar fire
  python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.connect("$LOGS/echo.sock"); s.sendall(b"hi\\n"); print(s.recv(9))'
  mkdir -p $LOGS/inbox && touch $LOGS/inbox/a $LOGS/inbox/b   # com.example.inbox drains it

Job output goes to $LOGS; launchd's log is $ROOT/home/$UID_/.local/state/launchd/launchd.log.

MSG
LAUNCHD_ROOT=$ROOT exec "$BUILD/src/launchd/launchd" --user
