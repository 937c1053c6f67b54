#!/usr/bin/env bash
# postgres.sh starts and stops a throw-away PostgreSQL 15 instance for tests.
#
#   hack/postgres.sh start DIR   # prints postgres://… on stdout, also writes DIR/url
#   hack/postgres.sh stop DIR    # stops the server and removes DIR
#
# The instance lives in DIR: data in DIR/data, log in DIR/postgres.log. When the
# postgres user cannot reach DIR (a parent directory closed to others), the data
# and log go to a fresh directory under /tmp instead, named in DIR/instance.
# It listens on 127.0.0.1 only, on a free port, with trust auth and no unix
# socket at all (clients connect over TCP). Durability is switched off (fsync,
# full_page_writes) because the data is thrown away: this is for tests only.
#
# PostgreSQL refuses to run as root, so when run as root the server runs as the
# "postgres" user (created if absent) through runuser, and DIR is chowned to it.
# Both commands are idempotent: start on a running instance prints its URL again,
# stop on a missing DIR does nothing. Diagnostics go to stderr.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MARKER=.switchyard-postgres

die() { echo "postgres.sh: $*" >&2; exit 1; }
log() { echo "postgres.sh: $*" >&2; }

# as_pg runs a command as the user that owns the instance.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

ensure_binaries() {
	[[ -x $PGBIN/initdb ]] && return
	[[ $EUID -eq 0 ]] || die "$PGBIN/initdb missing; install package postgresql as root"
	log "installing postgresql"
	# Debian's package would otherwise create and start a "main" cluster we don't want.
	mkdir -p /etc/postgresql-common
	[[ -f /etc/postgresql-common/createcluster.conf ]] ||
		echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql >&2
	[[ -x $PGBIN/initdb ]] || die "$PGBIN/initdb still missing after install"
}

ensure_user() {
	[[ $EUID -eq 0 ]] || return 0
	id -u postgres >/dev/null 2>&1 && return
	log "creating user postgres"
	useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if port_free "$port"; then
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

# instance_dir prints the directory holding data/ and postgres.log.
instance_dir() {
	if [[ -f $DIR/instance ]]; then
		cat "$DIR/instance"
	else
		echo "$DIR"
	fi
}

# make_instance_dir sets up the directory the server runs in and prints it.
make_instance_dir() {
	if [[ -f $DIR/instance ]]; then
		cat "$DIR/instance"
		return
	fi
	[[ $EUID -eq 0 ]] || { echo "$DIR"; return; }
	chown -R postgres: "$DIR"
	if as_pg test -w "$DIR"; then
		echo "$DIR"
		return
	fi
	local inst
	inst=$(mktemp -d /tmp/switchyard-postgres.XXXXXX)
	chown postgres: "$inst"
	echo "$inst" >"$DIR/instance"
	log "user postgres cannot reach $DIR; running the instance in $inst"
	echo "$inst"
}

running() {
	local data
	data="$(instance_dir)/data"
	[[ -f $data/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

init_cluster() {
	[[ -f $INST/data/PG_VERSION ]] && return
	as_pg "$PGBIN/initdb" -D "$INST/data" --auth=trust --username=postgres \
		--encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >&2
	as_pg tee -a "$INST/data/postgresql.conf" >/dev/null <<-'EOF'
		# switchyard test instance (hack/postgres.sh)
		listen_addresses = '127.0.0.1'
		unix_socket_directories = ''
		max_connections = 200
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
}

start() {
	ensure_binaries
	ensure_user
	if [[ -d $DIR && ! -f $DIR/$MARKER && -n "$(ls -A "$DIR")" ]]; then
		die "$DIR exists, is not empty and was not made by this script"
	fi
	mkdir -p "$DIR"
	touch "$DIR/$MARKER"
	if running; then
		if [[ -f $DIR/url ]]; then
			cat "$DIR/url"
			return
		fi
		# Started, but its URL was never written (an interrupted start): restart.
		as_pg "$PGBIN/pg_ctl" -D "$(instance_dir)/data" stop -m fast -w >&2
	fi
	INST=$(make_instance_dir)
	init_cluster
	local port
	for _ in 1 2 3 4 5; do
		port=$(pick_port)
		if as_pg "$PGBIN/pg_ctl" -D "$INST/data" -l "$INST/postgres.log" -w -t 60 \
			-o "-p $port" start >&2; then
			local url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			echo "$url" >"$DIR/url"
			echo "$url"
			return
		fi
		log "start on port $port failed, retrying; see $INST/postgres.log"
	done
	die "could not start PostgreSQL; see $INST/postgres.log"
}

stop() {
	[[ -e $DIR ]] || return 0
	[[ -f $DIR/$MARKER ]] || die "refusing to remove $DIR: it was not made by this script"
	local inst
	inst=$(instance_dir)
	if [[ -f $inst/data/postmaster.pid ]]; then
		if ! as_pg "$PGBIN/pg_ctl" -D "$inst/data" stop -m fast -w -t 60 >&2; then
			# pg_ctl failed (e.g. a hung server): make sure the postmaster, if it
			# is ours, is gone before removing its files.
			local pid
			pid=$(head -n1 "$inst/data/postmaster.pid" 2>/dev/null || true)
			if [[ $pid =~ ^[0-9]+$ ]] && [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$inst/data" ]]; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
		fi
	fi
	[[ $inst == "$DIR" || $inst != /tmp/switchyard-postgres.* ]] || rm -rf "$inst"
	rm -rf "$DIR"
}

[[ $# -eq 2 ]] || die "usage: $0 start|stop DIR"
DIR=$(realpath -m "$2")
[[ $DIR != / ]] || die "refusing to use /"
case $1 in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop DIR" ;;
esac
