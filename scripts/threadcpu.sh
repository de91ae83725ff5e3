#!/bin/sh
# threadcpu.sh PID SECONDS: CPU time and context switches of each thread of
# process PID over SECONDS, busiest first (Linux /proc). Used to find what
# the profiler does not sample, e.g. Go's sysmon thread (docs/performance.md).
set -eu
pid=$1 secs=$2
hz=$(getconf CLK_TCK)
snap() {
	for t in /proc/"$pid"/task/*; do
		tid=${t##*/}
		# Fields after the command name: utime is 14, stime 15 of stat.
		set -- $(sed 's/^.*) //' "$t/stat" 2>/dev/null) || continue
		u=${12:-0} s=${13:-0}
		v=$(awk '/^voluntary_ctxt_switches/{print $2}' "$t/status" 2>/dev/null || echo 0)
		n=$(awk '/^nonvoluntary_ctxt_switches/{print $2}' "$t/status" 2>/dev/null || echo 0)
		echo "$tid $((u + s)) $v $n $(cat "$t/comm" 2>/dev/null)"
	done
}
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
snap >"$a"
sleep "$secs"
snap >"$b"
echo "tid cpu_s cpu_share voluntary/s involuntary/s comm"
join "$a" "$b" | awk -v hz="$hz" -v secs="$secs" '{
	cpu = ($6 - $2) / hz; tot += cpu
	printf "%s %.2f %.1f%% %.0f %.0f %s\n", $1, cpu, 100 * cpu / secs, ($7 - $3) / secs, ($8 - $4) / secs, $5
} END { printf "total %.2f %.1f%%\n", tot, 100 * tot / secs }' | sort -k2 -rn
