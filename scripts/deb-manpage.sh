#!/usr/bin/env bash
# Writes the pantau(1) manual page to stdout from the output of
# "pantau help" on stdin, so the page lists exactly the binary's commands.
#
#   pantau help | scripts/deb-manpage.sh VERSION > pantau.1
set -euo pipefail
version=$1
esc() { sed -e 's/\\/\\e/g' -e 's/^\([.'\'']\)/\\\&\1/' -e 's/-/\\-/g'; }
cat <<HEAD
.TH PANTAU 1 "" "pantau $version" "Pantau"
.SH NAME
pantau \- video\-analytics agent for CCTV edge boxes
.SH SYNOPSIS
.B pantau
.I command
.RI [ flags ]
.SH DESCRIPTION
Pantau finds ONVIF cameras on the LAN, pulls their RTSP streams, counts and
detects with OpenCV, and publishes events and counts over MQTT.
Each command prints its flags with
.BR "pantau \fIcommand\fP \-h" .
.SH COMMANDS
HEAD
# "  name      summary" lines of the help become tagged paragraphs.
sed -n 's/^  \([a-z][a-z0-9-]*\) \+\(.*\)$/\1\t\2/p' | while IFS=$'\t' read -r name summary; do
	printf '.TP\n.B %s\n%s\n' "$name" "$(printf '%s\n' "$summary" | esc)"
done
cat <<'TAIL'
.SH FILES
.TP
.I /etc/pantau/pantau.yaml
the agent's configuration (check it with
.BR "pantau check \-c /etc/pantau/pantau.yaml" )
.TP
.I /var/lib/pantau
the spool of messages not yet acknowledged by the broker
.TP
.I /usr/share/pantau/models
detector models and their manifest
.TP
.I /usr/share/doc/pantau
the README, the operations guide, the MQTT contract and example configs
.SH SEE ALSO
.BR systemctl (1),
.BR mosquitto (8)
TAIL
