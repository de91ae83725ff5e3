#!/bin/sh
# A stand-in for systemd as PID 1, which cannot run in the chroot of
# TestBareDebian12. The test diverts the real /usr/bin/systemctl to
# /usr/bin/systemctl.distrib (dpkg-divert) and puts this in its place:
# apt runs maintainer scripts with its own PATH (DPkg::Path), so a
# systemctl earlier on root's PATH would not be seen. It logs every call
# to /run/systemctl.log, and for pantau.service does what the manager
# would with the installed unit file: start runs the unit's ExecStartPre,
# then its ExecStart in the background as the unit's User and Group, with
# its Environment=, EnvironmentFile= and UMask=; stop sends SIGTERM and
# waits up to the unit's TimeoutStopSec (20 s) before SIGKILL (logged as
# "killed"); is-active says whether that process lives. Not done: the
# sandboxing, LoadCredential= and Restart= (TestVerifyUnit in
# configs/systemd checks the unit with systemd-analyze). Other units are
# inactive and never started. Everything that needs no running manager
# (enable, disable, is-enabled, --version …) goes to the real systemctl.
real=/usr/bin/systemctl.distrib
# The real one cannot tell it runs in a chroot here (/proc/1/root is not
# readable) and would ask the absent manager over D-Bus.
export SYSTEMD_OFFLINE=1
echo "$*" >>/run/systemctl.log
unit=/lib/systemd/system/pantau.service
pidfile=/run/pantau.pid
log=/var/log/pantau.log

key() { sed -n "s/^$1=//p" "$unit"; }

# state prints the process state letter of the started agent (R, S, Z …).
state() { [ -s "$pidfile" ] && sed -n 's/^[0-9]* (.*) \(.\) .*/\1/p' "/proc/$(cat "$pidfile")/stat" 2>/dev/null; }
running() { s=$(state) && [ -n "$s" ] && [ "$s" != Z ]; }

# as_service replaces the shell by "$@" with the unit's user and environment.
as_service() {
	if [ -r /etc/pantau/pantau.env ]; then
		set -a
		. /etc/pantau/pantau.env
		set +a
	fi
	umask "$(key UMask)"
	# shellcheck disable=SC2046 # one word per Environment= assignment
	exec setpriv --reuid="$(key User)" --regid="$(key Group)" --init-groups env $(key Environment) "$@"
}

start() {
	running && return 0
	# shellcheck disable=SC2046
	(as_service $(key ExecStartPre)) >>"$log" 2>&1 || { echo "ExecStartPre failed" >>/run/systemctl.log; return 1; }
	# shellcheck disable=SC2046
	as_service $(key ExecStart) </dev/null >>"$log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$pidfile"
}

stop() {
	running || { rm -f "$pidfile"; return 0; }
	pid=$(cat "$pidfile")
	kill -TERM "$pid"
	i=0
	while running; do
		i=$((i + 1))
		if [ $i -eq 200 ]; then
			echo killed >>/run/systemctl.log
			kill -KILL "$pid"
		fi
		sleep 0.1
	done
	rm -f "$pidfile"
}

action= other=
for a; do
	case $a in
	-*) ;;
	*)
		if [ -z "$action" ]; then
			action=$a
		else
			case $a in pantau | pantau.service) ;; *) other=1 ;; esac
		fi
		;;
	esac
done
case " $* " in *" --now "*) now=1 ;; *) now= ;; esac

if [ -n "$other" ]; then
	case $action in
	is-active) exit 3 ;;
	start | stop | restart | try-restart | condrestart | reload | reload-or-restart) exit 0 ;;
	*) exec "$real" "$@" ;;
	esac
fi

case $action in
is-active) running ;;
start) start ;;
stop) stop ;;
restart) stop && start ;;
try-restart | condrestart) if running; then stop && start; fi ;;
reload) running && kill -HUP "$(cat "$pidfile")" ;;
daemon-reload | reset-failed | list-units) exit 0 ;;
enable | disable)
	# shellcheck disable=SC2046 # the words of the call, without --now
	"$real" $(echo " $* " | sed 's/ --now / /') || exit
	if [ -n "$now" ]; then
		if [ "$action" = enable ]; then start; else stop; fi
	fi
	;;
*) exec "$real" "$@" ;;
esac
