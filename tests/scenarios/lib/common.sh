# shellcheck shell=bash
# Shared machinery for tests/scenarios/run: clusters, psql sessions, gdb,
# captures, ground truth.  Sourced by `run`; every function assumes
# `set -euo pipefail` and the globals documented below.
#
# Globals set by the caller before scen_setup:
#   SCEN        scenario name              PG_SPEC   15 | 18 | 15-stock
#   OUT_ROOT    --out directory            LIBDIR    this directory
#   BINDIR      PostgreSQL bin directory
# Globals set here:
#   OUT  = $OUT_ROOT/$SCEN     TRUTH = $OUT/truth.json    CORES = $OUT/cores
#   TMP  (private temp dir)    DATA  = $TMP/data          PORT
#   PGM_DEBUG  1 if the postgres executable has DWARF
#
# Every process this code starts that could outlive a failure is written to
# $TMP/registry ("KIND PID" / "release FILE" lines); cleanup reads it, so it
# also works for processes started in subshells and for a parent sweeping a
# child's leftovers (scen_sweep).

PGM_USER=pgmortem-test
PGM_PREFIX=pgm

log() { printf '[%s %s] %s\n' "$(date +%T)" "${SCEN:-run}" "$*" >&2; }
die() {
    printf 'scenario %s (pg %s): FAILED: %s\n' "${SCEN:-?}" "${PG_SPEC:-?}" "$*" >&2
    exit 1
}
skip() {
    printf 'scenario %s (pg %s): SKIPPED: %s\n' "${SCEN:-?}" "${PG_SPEC:-?}" "$*" >&2
    [[ -n ${TRUTH:-} && -f ${TRUTH:-} ]] && tj '.skipped = $v' --arg v "$*"
    exit 77
}

# ERR trap: say where an unexpected failure (set -e) happened
on_err() {
    printf 'scenario %s (pg %s): FAILED: unexpected status %s of `%s` at %s:%s\n' \
        "${SCEN:-?}" "${PG_SPEC:-?}" "$1" "$2" "${3##*/}" "$4" >&2
}

interrupted() {
    printf 'scenario %s (pg %s): FAILED: interrupted by SIG%s, cleaning up\n' "${SCEN:-?}" "${PG_SPEC:-?}" "$1" >&2
    exit "$2"
}

now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# --- the unprivileged user ---------------------------------------------------

ensure_user() {
    if ! id -u "$PGM_USER" >/dev/null 2>&1; then
        useradd --system --create-home "$PGM_USER" 2>/dev/null || true
        id -u "$PGM_USER" >/dev/null 2>&1 || die "could not create user $PGM_USER"
    fi
}

as_user() { runuser -u "$PGM_USER" -- "$@"; }

ensure_tools() {
    local t missing=()
    for t in gdb gcore jq readelf runuser mkfifo timeout; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (apt-get install gdb jq binutils util-linux coreutils)"
    [[ $(id -u) -eq 0 ]] || die "must run as root (starts clusters as $PGM_USER, attaches gdb)"
    gdb -nx -batch -ex 'python print(1)' >/dev/null 2>&1 || die "gdb lacks Python support"
}

# --- registry & cleanup ------------------------------------------------------

register() { echo "$*" >>"$TMP/registry"; }

# pid_is PID PATTERN: process PID exists and its command line matches PATTERN
# (guards against killing a recycled pid).
pid_is() {
    local cmd
    [[ -r /proc/$1/cmdline ]] || return 1
    cmd=$(tr '\0' ' ' </proc/"$1"/cmdline 2>/dev/null) || return 1
    [[ $cmd == *$2* ]]
}

# scen_sweep DIR: stop everything recorded in DIR/registry and DIR's cluster,
# then remove DIR.  Idempotent; never fails.
scen_sweep() {
    local dir=$1 kind arg pid
    [[ -d $dir ]] || return 0
    local reg=$dir/registry
    if [[ -f $reg ]]; then
        # 1. let holding gdbs detach on their own
        while read -r kind arg; do
            [[ $kind == release ]] && touch "$arg" 2>/dev/null
        done <"$reg"
        for _ in $(seq 50); do
            local alive=0
            while read -r kind pid; do
                [[ $kind == gdb ]] && pid_is "$pid" gdb && alive=1
            done <"$reg"
            ((alive)) || break
            sleep 0.1
        done
        # 2. whatever is still there goes
        while read -r kind pid; do
            case $kind in
                gdb) pid_is "$pid" gdb && kill -TERM "$pid" 2>/dev/null ;;
                session) pid_is "$pid" psql && kill -TERM "$pid" 2>/dev/null ;;
                # a client program the scenario started (pg_recvlogical, runuser pg_receivewal):
                # its command line names the scenario's directory
                client) pid_is "$pid" "$dir" && kill -TERM "$pid" 2>/dev/null ;;
            esac
        done <"$reg"
        sleep 0.2
        while read -r kind pid; do
            case $kind in
                gdb) pid_is "$pid" gdb && kill -KILL "$pid" 2>/dev/null ;;
                session) pid_is "$pid" psql && kill -KILL "$pid" 2>/dev/null ;;
                client) pid_is "$pid" "$dir" && kill -KILL "$pid" 2>/dev/null ;;
                stopped) pid_is "$pid" postgres && kill -CONT "$pid" 2>/dev/null ;;
            esac
        done <"$reg"
    fi
    # 3. frozen file systems thaw first, or nothing writing to them can stop
    sweep_kind "$reg" thaw fsfreeze -u
    # 4. the clusters (the scenario's and a template being built)
    sweep_kind "$reg" cluster stop_cluster_in
    stop_cluster_in "$dir/template"
    stop_cluster_in "$dir"
    # 5. file systems the scenario mounted, and their loop devices
    sweep_kind "$reg" umount umount
    sweep_kind "$reg" loopdev losetup -d
    rm -rf "$dir"
}

# sweep_kind REGISTRY KIND CMD...: CMD ARG for each "KIND ARG" line; never fails.
sweep_kind() {
    local reg=$1 want=$2 kind arg
    shift 2
    [[ -f $reg ]] || return 0
    while read -r kind arg; do
        if [[ $kind == "$want" ]]; then "$@" "$arg" 2>/dev/null || true; fi
    done <"$reg"
    return 0
}

# stop_cluster_in DIR: immediate stop of a cluster in DIR/data, by its
# postmaster pid; falls back to SIGKILL of the postmaster and its children.
stop_cluster_in() {
    local dir=$1 pm bin pid
    [[ -f $dir/data/postmaster.pid ]] || return 0
    pm=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    bin=$(cat "$dir/bindir" 2>/dev/null || echo "${BINDIR:-}")
    [[ -n $pm ]] && pid_is "$pm" postgres || return 0
    if [[ -n $bin ]]; then
        (cd "$dir" && timeout 30 runuser -u "$PGM_USER" -- "$bin/pg_ctl" -D "$dir/data" \
            -m immediate -w -t 20 stop >/dev/null 2>&1) || true
    fi
    if pid_is "$pm" postgres; then
        for pid in $(pgrep -P "$pm" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        kill -KILL "$pm" 2>/dev/null
    fi
    for _ in $(seq 100); do pid_is "$pm" postgres || break; sleep 0.1; done
    return 0
}

scen_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [[ -n ${TMP:-} && -d ${TMP:-} ]]; then
        [[ -n ${OUT:-} && -d ${OUT:-} && -f $TMP/server.log ]] && cp "$TMP/server.log" "$OUT/server.log"
        scen_sweep "$TMP"
    fi
    exit "$rc"
}

# --- PostgreSQL clusters -----------------------------------------------------

# (no `| grep -q` anywhere: with pipefail, grep exiting early makes the
# writer die of SIGPIPE and the pipeline fail at random)
is_debug_build() { [[ $(readelf -S "$1/postgres" 2>/dev/null) == *.debug_info* ]]; }
is_core_file() { [[ $(readelf -h "$1" 2>/dev/null) =~ Type:[[:space:]]*CORE ]]; }

pick_port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }

# PGM_SCEN_SHARED_BUFFERS / PGM_SCEN_MAX_CONNECTIONS override the two sizes
# (bench/run's scaling series); unset, the cluster is as documented.
pg_conf() {
    cat <<CONF
# pgmortem scenario cluster
listen_addresses = ''
shared_buffers = ${PGM_SCEN_SHARED_BUFFERS:-16MB}
max_connections = ${PGM_SCEN_MAX_CONNECTIONS:-20}
autovacuum = off
fsync = off
synchronous_commit = off
wal_level = minimal
max_wal_senders = 0
jit = off
dynamic_shared_memory_type = posix
log_line_prefix = '%m [%p] %b '
log_min_messages = warning
CONF
}

# cluster_start_dir DIR PORT: start the cluster in DIR/data, sockets in DIR.
cluster_start_dir() {
    local dir=$1 port=$2
    echo "$BINDIR" >"$dir/bindir"
    (cd "$dir" && ulimit -c unlimited && timeout 90 runuser -u "$PGM_USER" -- "$BINDIR/pg_ctl" \
        -D "$dir/data" -l "$dir/server.log" -c -w -t 60 \
        -o "-p $port -k $dir" start >/dev/null) ||
        die "cluster in $dir did not start: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
}

cluster_stop_dir() {
    local dir=$1
    (cd "$dir" && timeout 90 runuser -u "$PGM_USER" -- "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null) ||
        die "cluster in $dir did not stop"
}

# psql_at DIR PORT SQL: run SQL as the observer, unaligned tuples only.
psql_at() {
    PGAPPNAME=${PGM_PREFIX}_observer "$BINDIR/psql" -XAtq -v ON_ERROR_STOP=1 \
        -h "$1" -p "$2" -U "$PGM_USER" -d postgres -c "$3"
}

# psql_script DIR PORT < SQL: statements run one by one (not one transaction)
psql_script() {
    PGAPPNAME=${PGM_PREFIX}_setup "$BINDIR/psql" -XAtq -v ON_ERROR_STOP=1 \
        -h "$1" -p "$2" -U "$PGM_USER" -d postgres -f -
}

# template_create DIR BIG: initdb + tables used by the scenarios; BIG=1 adds
# the 2M-row table t.  Leaves a stopped cluster in DIR/data.
template_create() {
    local dir=$1 big=$2 port
    port=$(pick_port)
    mkdir -p "$dir"
    chown "$PGM_USER:" "$dir"
    chmod 0755 "$dir"
    (cd "$dir" && timeout 120 runuser -u "$PGM_USER" -- "$BINDIR/initdb" -D "$dir/data" -A trust \
        -U "$PGM_USER" -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1) ||
        die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    pg_conf >>"$dir/data/postgresql.conf"
    cluster_start_dir "$dir" "$port"
    psql_script "$dir" "$port" >/dev/null <<'SQL' || die "creating the small tables failed"
        create table q (i int);
        insert into q select generate_series(1, 10);
        create table r (id int primary key, v int);
        insert into r select i, 0 from generate_series(1, 10) i;
        create table lw (i int, v text);
        insert into lw select i, 'x' from generate_series(1, 10) i;
        vacuum (freeze, analyze) q, r, lw;
        -- buffer-pin: rows left unfrozen, so that VACUUM (FREEZE) needs a cleanup lock
        create table pin (i int, v text);
        insert into pin select i, 'x' from generate_series(1, 100) i;
        -- buffer-io: never read after the cluster starts, so its first read does I/O
        create table bio (i int, v text);
        insert into bio select i, 'x' from generate_series(1, 100) i;
SQL
    if [[ $big == 1 ]]; then
        psql_script "$dir" "$port" >/dev/null <<'SQL' || die "loading table t failed"
            begin;
            create table t (a int, b int);
            insert into t select i, i from generate_series(1, 2000000) i;
            create index t_a on t (a);
            commit;
            vacuum (analyze) t;
SQL
        touch "$dir/.big"
    fi
    psql_at "$dir" "$port" "checkpoint" >/dev/null
    cluster_stop_dir "$dir"
    rm -f "$dir/server.log" "$dir/bindir"
}

# --- scenario setup ----------------------------------------------------------

# scen_setup NEED_BIG: temp dir, output dir, cluster running, truth.json started.
scen_setup() {
    local need_big=$1
    T0=$(now)
    OUT=$OUT_ROOT/$SCEN
    TRUTH=$OUT/truth.json
    CORES=$OUT/cores
    rm -rf "$OUT"
    mkdir -p "$CORES"
    TMP=$(mktemp -d "${PGM_TMPROOT:-/tmp}/pgm-$SCEN.XXXXXX")
    trap scen_cleanup EXIT
    set -E
    trap 'on_err $? "$BASH_COMMAND" "${BASH_SOURCE[0]}" "$LINENO"' ERR
    trap 'interrupted INT 130' INT
    trap 'interrupted TERM 143' TERM
    trap 'interrupted HUP 129' HUP
    trap 'exit 141' PIPE   # output closed (e.g. piped to head): still clean up
    : >"$TMP/registry"
    chown "$PGM_USER:" "$TMP"
    chmod 0755 "$TMP"
    cat >"$TMP/waitfile" <<'SH'
#!/bin/sh
# waitfile FILE SECONDS: used from inside gdb (`shell`), bounded.
i=0
while [ ! -e "$1" ] && [ "$i" -lt $(( $2 * 10 )) ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$1" ]
SH
    chmod 0755 "$TMP/waitfile"

    PGM_DEBUG=0
    is_debug_build "$BINDIR" && PGM_DEBUG=1

    # Template (shared by an `all` run, or private).
    local tpl=${PGM_TEMPLATE:-}
    if [[ -n $tpl && ! -e $tpl && -n ${PGM_TEMPLATE_KEEP:-} ]]; then
        # PGM_TEMPLATE_KEEP: a template made once and kept for the runs that follow
        log "creating cluster template $tpl for later runs (big table: $need_big)"
        register cluster "$tpl"
        template_create "$tpl" "$need_big"
    elif [[ -z $tpl || ! -d $tpl/data || ($need_big == 1 && ! -f $tpl/.big) ]]; then
        tpl=$TMP/template
        log "creating cluster template (big table: $need_big)"
        template_create "$tpl" "$need_big"
    fi
    DATA=$TMP/data
    cp -a "$tpl/data" "$DATA"
    # a scenario's own settings (scen_extra_conf in its case file), after the common ones,
    # and its own preparation of the data directory (scen_prepare_data)
    if declare -F scen_extra_conf >/dev/null; then
        scen_extra_conf >>"$DATA/postgresql.conf"
    fi
    if declare -F scen_prepare_data >/dev/null; then
        scen_prepare_data
    fi
    rm -rf "$TMP/template"
    PORT=$(pick_port)
    cluster_start_dir "$TMP" "$PORT"
    PM_PID=$(head -n1 "$DATA/postmaster.pid")
    grep -q unlimited <(grep 'Max core file size' "/proc/$PM_PID/limits") ||
        die "postmaster $PM_PID has a core size limit: $(grep 'Max core file size' "/proc/$PM_PID/limits")"

    local exe build_id
    exe=$(readlink -f "/proc/$PM_PID/exe")
    build_id=$(readelf -n "$exe" 2>/dev/null | awk '/Build ID:/ && !b {b = $3} END {print b}')
    jq -n --arg s "$SCEN" --arg spec "$PG_SPEC" --arg exe "$exe" --arg bid "$build_id" \
        --argjson dbg "$PGM_DEBUG" --arg bindir "$BINDIR" --arg cp "$(cat /proc/sys/kernel/core_pattern)" \
        --argjson pm "$PM_PID" \
        '{scenario: $s, complete: false,
          pg: {spec: $spec, executable: $exe, build_id: $bid, debug_info: ($dbg == 1),
               bindir: $bindir, postmaster_pid: $pm},
          roles: {}, gdb: {}, captures: [],
          host: {core_pattern: $cp}}' >"$TRUTH"
    local v
    v=$(psql_obs "select json_build_object('version', version(),
                    'server_version_num', current_setting('server_version_num')::int,
                    'data_directory', current_setting('data_directory'),
                    'port', current_setting('port')::int,
                    'socket_dir', current_setting('unix_socket_directories'))")
    tj '.pg += $v' --argjson v "$v"
}

# tj FILTER [jq args...]: update truth.json in place.
tj() {
    local f=$1
    shift
    jq "$@" "$f" "$TRUTH" >"$TRUTH.new" || die "jq update failed: $f"
    mv "$TRUTH.new" "$TRUTH"
}

psql_obs() { psql_at "$TMP" "$PORT" "$1"; }

# elapsed_since T: seconds (float) since timestamp T from now()
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
# before_deadline T SECONDS: true while less than SECONDS have passed since T
before_deadline() { awk -v a="$1" -v b="$(now)" -v s="$2" 'BEGIN {exit !(b - a < s)}'; }

# wait_sql DESCRIPTION SECONDS SQL: poll until SQL returns t.
wait_sql() {
    local desc=$1 secs=$2 sql=$3 out='' t
    t=$(now)
    while before_deadline "$t" "$secs"; do
        out=$(psql_obs "$sql" 2>&1) || true
        [[ $out == t ]] && return 0
        sleep 0.1
    done
    log "pg_stat_activity at timeout:"
    psql_obs "select pid, backend_type, leader_pid, state, wait_event_type, wait_event, left(query, 60)
              from pg_stat_activity order by pid" >&2 || true
    die "$desc within $secs s${out:+ (last answer: $out)}"
}

# wait_cmd DESCRIPTION SECONDS CMD...: poll until CMD succeeds.
wait_cmd() {
    local desc=$1 secs=$2 t
    shift 2
    t=$(now)
    while before_deadline "$t" "$secs"; do
        "$@" && return 0
        sleep 0.1
    done
    "$@" && return 0
    die "$desc within $secs s"
}

# --- psql sessions -----------------------------------------------------------
# A session is a psql reading a fifo that this shell keeps open, so it stays
# connected (and its transaction open) until cleanup.

# shellcheck disable=SC2034  # SESS_PID is read by the scenarios (cases/*.sh)
declare -gA SESS_FD=() SESS_PID=() SESS_SYNC=()

session_open() {
    local name=$1 app=${PGM_PREFIX}_${SCEN}_$1 fifo=$TMP/s.$1.in fd pid
    mkfifo "$fifo"
    PGAPPNAME=$app "$BINDIR/psql" -X -q -v ON_ERROR_STOP=0 -h "$TMP" -p "$PORT" -U "$PGM_USER" \
        -d postgres -f "$fifo" >"$TMP/s.$name.out" 2>&1 &
    register session $!
    exec {fd}<>"$fifo"
    SESS_FD[$name]=$fd
    SESS_SYNC[$name]=0
    wait_sql "session $name did not connect" 10 \
        "select count(*) = 1 from pg_stat_activity where application_name = '$app'"
    pid=$(psql_obs "select pid from pg_stat_activity where application_name = '$app'")
    # shellcheck disable=SC2034  # read by the scenarios (cases/*.sh)
    SESS_PID[$name]=$pid
}

session_send() { printf '%s\n' "$2" >&"${SESS_FD[$1]}"; }

# session_sync NAME: wait until everything sent so far has been executed.
session_sync() {
    local name=$1 n
    n=$((SESS_SYNC[$name] + 1))
    SESS_SYNC[$name]=$n
    session_send "$name" "\\echo @@sync $n"
    wait_cmd "session $name did not finish its statements" 20 grep -qx "@@sync $n" "$TMP/s.$name.out"
    if grep -q 'ERROR' "$TMP/s.$name.out"; then
        die "session $name: $(grep -m1 ERROR "$TMP/s.$name.out")"
    fi
}

# wait_event PID TYPE EVENT SECONDS
wait_event() {
    wait_sql "backend $1 did not reach wait event $2/$3" "$4" \
        "select count(*) = 1 from pg_stat_activity where pid = $1
           and wait_event_type = '$2' and wait_event = '$3'"
}

# --- ground truth from PostgreSQL ---------------------------------------------

truth_collect() {
    local v
    v=$(psql_obs "
      select json_build_object(
        'observer_pid', pg_backend_pid(),
        'collected_at', now(),
        'pg_stat_activity', (
            select coalesce(json_agg(json_build_object(
                'pid', pid, 'backend_type', backend_type, 'leader_pid', leader_pid,
                'state', state, 'wait_event_type', wait_event_type,
                'wait_event', wait_event, 'query', query, 'datname', datname,
                'usename', usename, 'application_name', application_name,
                'backend_xid', backend_xid::text::bigint,
                'backend_xmin', backend_xmin::text::bigint)
                order by pid), '[]')
            from pg_stat_activity where pid <> pg_backend_pid()),
        'pg_locks', (select coalesce(json_agg(l), '[]') from pg_locks l
                     where pid is distinct from pg_backend_pid()),
        'blocking', (
            select coalesce(json_object_agg(pid::text, pg_blocking_pids(pid)), '{}')
            from pg_stat_activity
            where state = 'active' and wait_event is not null
              and backend_type in ('client backend', 'parallel worker')
              and pid <> pg_backend_pid()))") || die "collecting pg_stat_activity/pg_locks failed"
    # oid and xid columns come out of PostgreSQL as JSON strings: make them numbers
    tj '. += ($v | .pg_locks |= map(with_entries(
            if (.key | IN("database", "relation", "transactionid", "classid", "objid"))
               and (.value | type) == "string"
            then .value |= tonumber else . end)))' --argjson v "$v"
}

# truth_proc PID ROLE: kernel view of a process (state, wchan, syscall, and
# what each open fd links to: fds["7"] = "anon_inode:[eventpoll]").
truth_proc() {
    local pid=$1 state wchan sc fds
    state=$(awk '/^State:/ {sub(/^State:[ \t]*/, ""); print; exit}' "/proc/$pid/status" 2>/dev/null || true)
    wchan=$(cat "/proc/$pid/wchan" 2>/dev/null || true)
    sc=$(cat "/proc/$pid/syscall" 2>/dev/null || true)
    fds=$(for f in /proc/"$pid"/fd/*; do printf '%s\t%s\n' "${f##*/}" "$(readlink "$f" 2>/dev/null)"; done |
          jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}')
    tj '.proc[$p] = {role: $r, state: $s, wchan: $w, syscall: $c, fds: $f}' \
        --arg p "$pid" --arg r "$2" --arg s "$state" --arg w "$wchan" --arg c "$sc" --argjson f "$fds"
}

# truth_task_sample PID: CPU time (/proc/PID/schedstat, ns) and context
# switches advancing over half a second: running, looping, or blocked.
truth_task_sample() {
    local pid=$1 a b sa sb
    task_counters() {
        awk '{print $1}' "/proc/$1/schedstat"
        awk '/ctxt_switches:/ {n += $2} END {print n}' "/proc/$1/status"
    }
    mapfile -t a < <(task_counters "$pid")
    sa=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
    sleep 0.5
    mapfile -t b < <(task_counters "$pid")
    sb=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
    tj '.task_sample[$p] = {interval_s: 0.5, cpu_ns: ($b0 - $a0), context_switches: ($b1 - $a1), states: [$sa, $sb]}' \
        --arg p "$pid" --argjson a0 "${a[0]}" --argjson a1 "${a[1]}" --argjson b0 "${b[0]}" --argjson b1 "${b[1]}" \
        --arg sa "$sa" --arg sb "$sb"
}

role() { tj ".roles.$1 = \$v" --argjson v "$2"; }

# truth_replication: pg_replication_slots and pg_stat_replication, as JSON arrays
truth_replication() {
    tj '. += $v' --argjson v "$(psql_obs "select json_build_object(
        'pg_replication_slots', (select coalesce(json_agg(json_build_object(
            'slot_name', slot_name, 'plugin', plugin, 'slot_type', slot_type, 'datoid', datoid::bigint,
            'temporary', temporary, 'active', active, 'active_pid', active_pid,
            'xmin', xmin::text::bigint, 'catalog_xmin', catalog_xmin::text::bigint,
            'restart_lsn', restart_lsn::text, 'confirmed_flush_lsn', confirmed_flush_lsn::text)
            order by slot_name), '[]') from pg_replication_slots),
        'pg_stat_replication', (select coalesce(json_agg(json_build_object(
            'pid', pid, 'application_name', application_name, 'state', state,
            'sent_lsn', sent_lsn::text, 'write_lsn', write_lsn::text, 'flush_lsn', flush_lsn::text,
            'replay_lsn', replay_lsn::text, 'sync_priority', sync_priority, 'sync_state', sync_state)
            order by pid), '[]')
            from pg_stat_replication))")"
}

# truth_kernel PID ROLE: the kernel's view of a blocked process: its stack
# (/proc/PID/stack, root) and, for a system call on a file descriptor (the
# first argument in /proc/PID/syscall), where /proc/PID/fd/N links.
truth_kernel() {
    local pid=$1 stack sc arg fd='' link=''
    stack=$(cat "/proc/$pid/stack" 2>/dev/null || true)
    sc=$(cat "/proc/$pid/syscall" 2>/dev/null || true)
    arg=$(cut -s -d' ' -f2 <<<"$sc")
    [[ $arg == 0x* ]] && fd=$((arg))
    [[ -n $fd ]] && link=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null || true)
    tj '.kernel[$p] = {role: $r, stack: $s, syscall: $c, fd: (if $f == "" then null else ($f | tonumber) end),
                       fd_link: (if $l == "" then null else $l end)}' \
        --arg p "$pid" --arg r "$2" --arg s "$stack" --arg c "$sc" --arg f "$fd" --arg l "$link"
}

# loop_fs DIR SIZE_MB: an ext4 file system on a loop device mounted at DIR
# (owned by the PostgreSQL user), unmounted and detached at cleanup.
loop_fs() {
    local dir=$1 img=$TMP/loop.img dev
    command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null && command -v fsfreeze >/dev/null ||
        skip "needs losetup, mkfs.ext4 and fsfreeze (util-linux, e2fsprogs)"
    truncate -s "${2}M" "$img"
    mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || die "mkfs.ext4 on $img failed"
    dev=$(losetup -f --show "$img" 2>/dev/null) || skip "no loop device available (losetup -f failed)"
    register loopdev "$dev"
    mkdir -p "$dir"
    mount "$dev" "$dir" 2>/dev/null || skip "cannot mount a loop device here"
    register umount "$dir"
    chown "$PGM_USER:" "$dir"
}

# pg_major: the major version of $BINDIR's server (15, 18)
pg_major() { "$BINDIR/postgres" --version | sed -E 's/.* ([0-9]+)[.a-z].*/\1/'; }

# truth_relation NAME: .relations.table = {name, oid, relfilenode}, .relations.database_oid
truth_relation() {
    tj '.relations = $v' --argjson v "$(psql_obs "select json_build_object('table', json_build_object(
            'name', '$1', 'oid', '$1'::regclass::oid::bigint,
            'relfilenode', pg_relation_filenode('$1')::bigint),
            'database_oid', (select oid::bigint from pg_database where datname = current_database()))")"
}

# --- gdb ---------------------------------------------------------------------

GDB_BASE=(gdb -nx -batch -iex 'set debuginfod enabled off' -iex 'set auto-load no'
          -ex 'set pagination off' -ex 'set confirm off' -ex 'set width 0')

# parts to record with pgm-truth for a given wish list (stock: only bt)
gdb_parts() { if ((PGM_DEBUG)); then echo "$1"; else echo bt; fi; }

# gdb_merge PID ROLE: merge $TMP/gdb.PID.json into truth .gdb[PID]
gdb_merge() {
    local pid=$1 role=$2 j=$TMP/gdb.$1.json
    [[ -s $j ]] || die "gdb wrote no record for $role $pid (see $OUT/gdb.$pid.txt)"
    tj '.gdb[$p] = ($j + {role: $r, raw: ("gdb." + $p + ".txt")})' \
        --arg p "$pid" --arg r "$role" --argjson j "$(cat "$j")"
}

# gdb_record PID ROLE PARTS: attach, record, detach (foreground, bounded).
gdb_record() {
    local pid=$1 role=$2 parts
    parts=$(gdb_parts "$3")
    timeout 120 "${GDB_BASE[@]}" -p "$pid" \
        -ex "source $LIBDIR/pgtruth.py" \
        -ex "pgm-truth $TMP/gdb.$pid.json $parts" \
        -ex detach -ex quit >"$OUT/gdb.$pid.txt" 2>&1 ||
        die "gdb on $role $pid failed (see $OUT/gdb.$pid.txt)"
    gdb_merge "$pid" "$role"
}

# gdb_record_gcore PID ROLE PARTS: attach, record, gcore, detach: the record and
# the core are of one stop, for facts that move (a walsender's positions).
gdb_record_gcore() {
    local pid=$1 role=$2 parts
    parts=$(gdb_parts "$3")
    save_maps "$pid"
    timeout 120 "${GDB_BASE[@]}" -p "$pid" \
        -ex "source $LIBDIR/pgtruth.py" \
        -ex "pgm-truth $TMP/gdb.$pid.json $parts" \
        -ex "gcore $CORES/core.gcore.$pid" \
        -ex detach -ex quit >"$OUT/gdb.$pid.txt" 2>&1 ||
        die "gdb on $role $pid failed (see $OUT/gdb.$pid.txt)"
    [[ -s $CORES/core.gcore.$pid ]] || die "gcore of $role $pid failed (see $OUT/gdb.$pid.txt)"
    capture_record "$pid" "$role" gcore "cores/core.gcore.$pid" '{"by": "recording gdb"}'
    gdb_merge "$pid" "$role"
}

# gdb_hold NAME PID FUNCTION ROLE PARTS [CONDITION]: background gdb that breaks
# in FUNCTION (if CONDITION, a gdb expression, holds), touches
# $TMP/hold.NAME/hit, waits for .../go, records PARTS (so the record matches
# the core), gcores the process itself, touches .../gcored, waits for
# .../release, detaches.
gdb_hold() {
    local name=$1 pid=$2 fn=$3 role=$4 cond=${6:-} parts d=$TMP/hold.$1
    parts=$(gdb_parts "$5")
    mkdir -p "$d"
    register release "$d/release"
    "${GDB_BASE[@]}" -p "$pid" \
        -ex 'handle SIGUSR1 SIGUSR2 SIGURG SIGPIPE SIGALRM SIGCHLD SIGINT SIGTERM SIGQUIT SIGHUP nostop noprint pass' \
        -ex "source $LIBDIR/pgtruth.py" \
        -ex "break $fn${cond:+ if $cond}" \
        -ex continue \
        -ex "shell touch $d/hit" \
        -ex "shell $TMP/waitfile $d/go 300" \
        -ex "pgm-truth $TMP/gdb.$pid.json $parts" \
        -ex "gcore $CORES/core.gcore.$pid" \
        -ex "shell touch $d/gcored" \
        -ex "shell $TMP/waitfile $d/release 600" \
        -ex delete -ex detach -ex quit >"$OUT/gdb.$pid.txt" 2>&1 &
    local gpid=$!
    register gdb "$gpid"
    HOLD_GDB[$name]=$gpid
    HOLD_PID[$name]=$pid
    HOLD_ROLE[$name]=$role
    HOLD_FN[$name]=$fn
    wait_cmd "gdb did not attach to $role $pid and set a breakpoint" 60 bp_decided "$pid" "$gpid"
    if ! grep -q '^Breakpoint 1 at' "$OUT/gdb.$pid.txt"; then
        log "gdb could not set a breakpoint on $fn: $(grep -m1 -i 'not defined\|no symbol' "$OUT/gdb.$pid.txt")"
        return 2
    fi
    # attached and resumed: traced, and sleeping again (not in tracing stop)
    wait_cmd "gdb did not resume $role $pid after attaching" 30 traced_and_sleeping "$pid" "$gpid"
}

# gdb_hold_or_skip NAME PID FUNCTION ROLE PARTS [CONDITION]: gdb_hold; the
# scenario is skipped when gdb cannot break in FUNCTION, fails otherwise.
gdb_hold_or_skip() {
    local rc=0
    gdb_hold "$@" || rc=$?
    if ((rc == 2)); then
        skip "gdb cannot set a breakpoint on $3 in $BINDIR/postgres"
    elif ((rc != 0)); then
        die "holding gdb on $2 failed"
    fi
}

bp_decided() {
    kill -0 "$2" 2>/dev/null || die "gdb on $1 exited early: $(tail -n 5 "$OUT/gdb.$1.txt")"
    grep -q '^Breakpoint 1 at\|not defined\|No symbol table' "$OUT/gdb.$1.txt"
}
declare -gA HOLD_GDB=() HOLD_PID=() HOLD_ROLE=() HOLD_FN=()

traced_and_sleeping() {
    local pid=$1 gpid=$2 tracer state
    kill -0 "$gpid" 2>/dev/null || die "gdb on $pid exited early: $(tail -n 5 "$OUT/gdb.$pid.txt")"
    tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status")
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
    [[ $tracer != 0 && $state == S ]]
}

# gdb_hold_wait_hit NAME SECONDS
gdb_hold_wait_hit() {
    local name=$1 pid=${HOLD_PID[$1]} d=$TMP/hold.$1
    wait_cmd "breakpoint ${HOLD_FN[$name]} was not hit in ${HOLD_ROLE[$name]} $pid" "$2" test -e "$d/hit"
    grep -q "^Breakpoint 1, .*${HOLD_FN[$name]}" "$OUT/gdb.$pid.txt" ||
        die "${HOLD_ROLE[$name]} $pid stopped, but not at ${HOLD_FN[$name]}: $(grep -v '^@@' "$OUT/gdb.$pid.txt" | tail -n 3)"
}

# gdb_hold_gcore NAME: the holding gdb writes the core of its process.
gdb_hold_gcore() {
    local name=$1 pid=${HOLD_PID[$1]} d=$TMP/hold.$1
    save_maps "$pid"
    touch "$d/go"
    wait_cmd "holding gdb did not gcore ${HOLD_ROLE[$name]} $pid" 120 test -e "$d/gcored"
    [[ -s $CORES/core.gcore.$pid ]] || die "gcore of ${HOLD_ROLE[$name]} $pid failed (see $OUT/gdb.$pid.txt)"
    capture_record "$pid" "${HOLD_ROLE[$name]}" gcore "cores/core.gcore.$pid" '{"by": "holding gdb"}'
    gdb_merge "$pid" "${HOLD_ROLE[$name]}"
}

gdb_hold_release() {
    local name=$1 pid=${HOLD_PID[$1]} d=$TMP/hold.$1 gpid=${HOLD_GDB[$1]}
    scen_exec_hook
    touch "$d/release"
    wait_cmd "holding gdb on ${HOLD_ROLE[$name]} $pid did not detach" 30 gdb_gone "$gpid"
    wait "$gpid" 2>/dev/null || true
}
gdb_gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) == Z ]]; }

# --- captures ----------------------------------------------------------------

save_maps() {
    [[ -f $CORES/maps.$1 ]] || cp "/proc/$1/maps" "$CORES/maps.$1" ||
        die "cannot read /proc/$1/maps"
}

# DSM segments (file mappings of /dev/shm/PostgreSQL.*) from a saved maps file
dsm_json() {
    awk '$6 ~ /^\/dev\/shm\/PostgreSQL\./ {split($1, r, "-"); printf "%s %s %s\n", $6, r[1], r[2]}' "$1" |
        jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
                  | {path: .[0], start: ("0x" + .[1]), end: ("0x" + .[2])})'
}

# core_loads CORE: PT_LOAD segments with file contents, as JSON [{vaddr, filesz}]
core_loads() {
    readelf -lW "$1" | awk '$1 == "LOAD" {print $3, $5}' |
        jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {vaddr: .[0], filesz: .[1]})'
}

# capture_record PID ROLE KIND FILE EXTRAJSON
# missing_ranges: every DSM mapping of the process at capture time, with
# in_core telling whether the core has contents for it (a PT_LOAD starting
# there with a non-zero file size); missing_mappings: the paths not in the core.
capture_record() {
    local pid=$1 role=$2 kind=$3 file=$4 extra=${5:-"{}"} ranges loads
    is_core_file "$OUT/$file" || die "$file is not an ELF core file"
    ranges=$(dsm_json "$CORES/maps.$pid")
    loads=$(core_loads "$OUT/$file")
    tj 'def norm: ascii_downcase | ltrimstr("0x") | sub("^0+"; "");
        ($l | map(select((.filesz | norm) != "") | .vaddr | norm)) as $have
        | ($m | map(. + {in_core: ((.start | norm) as $s | $have | index([$s]) != null)})) as $rs
        | .captures += [{file: $f, pid: $p, role: $r, kind: $k, maps: ("cores/maps." + ($p | tostring)),
                       missing_mappings: ($rs | map(select(.in_core | not) | .path) | unique),
                       missing_ranges: $rs, size: $sz} + $x]' \
        --arg f "$file" --argjson p "$pid" --arg r "$role" --arg k "$kind" --argjson m "$ranges" \
        --argjson l "$loads" --argjson sz "$(stat -c %s "$OUT/$file")" --argjson x "$extra"
}

capture_gcore() {
    local pid=$1 role=$2
    save_maps "$pid"
    timeout 120 gcore -o "$CORES/core.gcore" "$pid" >"$TMP/gcore.$pid.log" 2>&1 ||
        die "gcore of $role $pid failed: $(tail -n 3 "$TMP/gcore.$pid.log")"
    [[ -s $CORES/core.gcore.$pid ]] || die "gcore wrote no core for $role $pid"
    capture_record "$pid" "$role" gcore "cores/core.gcore.$pid"
}

kernel_cores_possible() {
    local cp
    cp=$(cat /proc/sys/kernel/core_pattern)
    [[ $cp != \|* && $cp != /* ]]
}

# capture_kernel PID ROLE SIGNAL [FILTER]: kill with SIGNAL, collect the
# kernel's core.  FILTER is the coredump_filter to dump with (default 0x33,
# the kernel's default; 0x3b adds bit 3, file-backed shared mappings, which
# takes in PostgreSQL's /dev/shm DSM segments).
capture_kernel() {
    local pid=$1 role=$2 sig=$3 filter=${4:-0x33} before after
    scen_exec_hook
    if ! kernel_cores_possible; then
        log "kernel core skipped: core_pattern is '$(cat /proc/sys/kernel/core_pattern)'"
        tj '.kernel_core_skipped = $v' --arg v "core_pattern is $(cat /proc/sys/kernel/core_pattern)"
        kill -"$sig" "$pid"
        return 0
    fi
    save_maps "$pid"
    before=$(cat "/proc/$pid/coredump_filter")
    echo "$filter" >"/proc/$pid/coredump_filter"
    after=$(cat "/proc/$pid/coredump_filter")
    rm -f "$DATA/core" "$DATA/core.$pid"
    log "kill -$sig $role $pid (kernel core)"
    kill -"$sig" "$pid"
    wait_cmd "$role $pid did not die after SIG$sig" 30 proc_dead "$pid"
    kernel_core_collect "$pid" "$role" "$sig" "$before" "$after"
}

# kernel_core_collect PID ROLE SIGNAL FILTER_BEFORE FILTER: after PID died of
# SIGNAL, moves its kernel core into cores/ and records it.
kernel_core_collect() {
    local pid=$1 role=$2 sig=$3 before=$4 after=$5 f core
    core=
    for f in "$DATA/core.$pid" "$DATA/core"; do
        [[ -s $f ]] && core=$f && break
    done
    [[ -n $core ]] || die "kernel wrote no core for $role $pid in $DATA (core_pattern '$(cat /proc/sys/kernel/core_pattern)')"
    mv "$core" "$CORES/core.kernel.$pid"
    chown root: "$CORES/core.kernel.$pid"
    chmod 0644 "$CORES/core.kernel.$pid"
    capture_record "$pid" "$role" kernel "cores/core.kernel.$pid" \
        "$(jq -n --arg s "$sig" --argjson n "$(kill -l "$sig")" --arg b "$before" --arg a "$after" \
            '{signal: $s, signo: $n, coredump_filter_before: $b, coredump_filter: $a}')"
}

# parallel_query_start SESSION QUERY: runs QUERY in SESSION with two parallel
# workers and the leader not participating (plan recorded as truth.plan);
# returns once both workers run.  Sets PARALLEL_LEADER and PARALLEL_WORKERS.
parallel_query_start() {
    local name=$1 query=$2 plan L
    local settings="set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0;
        set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0;
        set parallel_leader_participation = off;"
    L=${SESS_PID[$name]}
    session_send "$name" "$settings"
    session_sync "$name"
    plan=$(psql_obs "$settings explain (costs off) $query")
    grep -q 'Gather' <<<"$plan" || die "planner did not choose a parallel plan: $plan"
    tj '.plan = $p' --arg p "$plan"
    session_send "$name" "$query"
    wait_sql "leader $L did not get 2 parallel workers" 10 \
        "select count(*) = 2 from pg_stat_activity where leader_pid = $L and pid <> $L"
    PARALLEL_LEADER=$L
    mapfile -t PARALLEL_WORKERS < <(psql_obs "select pid from pg_stat_activity where leader_pid = $L and pid <> $L order by pid")
}

# proc_state_is PID STATE: the State letter of /proc/PID/status ("T": stopped)
proc_state_is() { [[ $(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) == "$2" ]]; }

# dead or zombie (the kernel has finished writing the core by then)
proc_dead() {
    [[ ! -e /proc/$1 ]] || [[ $(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) == Z ]]
}

# --- finish ------------------------------------------------------------------

# scen_exec_hook: runs `run --exec CMD` once, while the state still holds:
# after the gcores, right before the first step that ends the state (a
# kernel-core kill, the release of a held process, or the end).  CMD runs
# with bash -c as root; the roles are exported as PGM_ROLE_<NAME> (arrays
# space-separated, e.g. PGM_ROLE_WORKERS="124 125"), plus PGM_SCEN_NAME,
# PGM_SCEN_PG, PGM_SCEN_OUT, PGM_SCEN_TRUTH, PGM_SCEN_BINDIR, PGM_SCEN_HOST
# (socket directory) and PGM_SCEN_PORT.  Output goes to OUT/exec.log, the
# status to OUT/exec.rc; the scenario's own status does not depend on it.
scen_exec_hook() {
    [[ -n ${PGM_SCEN_EXEC:-} && -z ${PGM_SCEN_EXEC_DONE:-} ]] || return 0
    PGM_SCEN_EXEC_DONE=1
    local -a env=()
    local rc=0 k v
    while IFS=$'\t' read -r k v; do
        env+=("PGM_ROLE_$(tr 'a-z-' 'A-Z_' <<<"$k")=$v")
    done < <(jq -r '.roles | to_entries[] | [.key, (.value | if type == "array" then map(tostring) | join(" ") else tostring end)] | @tsv' "$TRUTH")
    log "--exec: running while the state holds"
    env "${env[@]}" PGM_SCEN_NAME="$SCEN" PGM_SCEN_PG="$PG_SPEC" PGM_SCEN_OUT="$OUT" \
        PGM_SCEN_TRUTH="$TRUTH" PGM_SCEN_BINDIR="$BINDIR" PGM_SCEN_HOST="$TMP" PGM_SCEN_PORT="$PORT" \
        timeout 600 bash -c "$PGM_SCEN_EXEC" >"$OUT/exec.log" 2>&1 || rc=$?
    echo "$rc" >"$OUT/exec.rc"
    log "--exec: exit status $rc (log: $OUT/exec.log)"
}

scen_finish() {
    local summary=$1 ncores
    scen_exec_hook
    tj '.complete = true | .duration_s = $d' --argjson d "$(elapsed_since "$T0")"
    ncores=$(jq '.captures | length' "$TRUTH")
    printf 'scenario %s (pg %s): ok in %ss, %s cores, %s -> %s\n' "$SCEN" "$PG_SPEC" \
        "$(jq -r .duration_s "$TRUTH")" "$ncores" "$summary" "$OUT"
}
