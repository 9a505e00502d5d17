#!/bin/sh
# connect_to_socket.sh [--replay] [--timeout SECONDS] SOCKET|CONFIG
# The lab's script name, kept for muscle memory: it is `vmlaunch console`
# (leave with Ctrl-] or ~. at the start of a line).  It uses the vmlaunch
# built next to it (../vmlaunch) when there is one, else the one in PATH.
here=$(dirname "$0")
if [ -f "$here/../vmlaunch" ] && [ -x "$here/../vmlaunch" ]; then
	exec "$here/../vmlaunch" console "$@"
fi
if command -v vmlaunch >/dev/null 2>&1; then
	exec vmlaunch console "$@"
fi
echo "${0##*/}: vmlaunch not found: neither $here/../vmlaunch nor in PATH (build it with 'make')" >&2
exit 127
