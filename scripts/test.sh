#!/bin/sh
# The repository's test command (the README's `make test`, and CI): it
# installs what the tests need when it is missing, then runs every test.
#
# The tests start their own redis-server processes on free loopback ports,
# so they need redis-server and redis-cli on PATH. Where they are missing,
# this installs the Debian packages redis-server and redis-tools with
# apt-get (as root, or through sudo); where it cannot, it says what to
# install and stops. $GO names the go command (make passes its GO), go
# by default.
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v redis-server >/dev/null 2>&1 || missing=" redis-server"
command -v redis-cli >/dev/null 2>&1 || missing="$missing redis-cli"
if [ -n "$missing" ]; then
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	fi
	if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; }; then
		echo "test:$missing not on PATH: installing redis-server and redis-tools with apt-get"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
	else
		cat >&2 <<MSG
test: the tests need redis-server and redis-cli (Redis 5 or later) on PATH; missing:$missing.
Install Redis, then run this again:
  Debian, Ubuntu:  apt-get install redis-server redis-tools   (as root)
  Fedora:          dnf install redis
  macOS:           brew install redis
The tests start their own servers on free ports; they never use one you run.
MSG
		exit 1
	fi
fi

exec "${GO:-go}" test -race -shuffle=on -count=1 ./...
