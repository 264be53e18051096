# shellcheck shell=bash
# unserved-terminate: a backend runs pgm_loop_forever() from the test bed's
# extension (ext/pgm_loop.c: pg_usleep in a loop, no CHECK_FOR_INTERRUPTS).
# pg_terminate_backend returns true; the backend stays, running, with
# ProcDiePending set and no wait event.
scenario_unserved_terminate() {
    # outside the temp dir, which goes at the end: the cores name the library, and
    # analyzing them later needs it where the process had it
    local lib=/var/tmp/pgmortem-pg/ext/$PG_SPEC/pgm_loop.so
    build_extension pgm_loop "$lib"
    tj '.extension = $l' --arg l "$lib"
    session_open looper
    local L=${SESS_PID[looper]} term
    session_send looper "create function pgm_loop_forever() returns void as '$lib', 'pgm_loop_forever' language c;"
    session_sync looper
    session_send looper "select pgm_loop_forever();"
    wait_sql "backend $L did not start pgm_loop_forever" 10 \
        "select count(*) = 1 from pg_stat_activity where pid = $L and state = 'active'
           and query like 'select pgm_loop_forever%'"
    term=$(psql_obs "select pg_terminate_backend($L)")
    [[ $term == t ]] || die "pg_terminate_backend($L) returned '$term'"
    tj '.terminate_result = ($t == "t")' --arg t "$term"
    sleep 1
    kill -0 "$L" 2>/dev/null || die "backend $L exited after pg_terminate_backend: the loop served it"

    truth_collect
    role looper "$L"
    truth_proc "$L" looper
    truth_task_sample "$L"
    gdb_record "$L" looper backend,bt
    capture_gcore "$L" looper
    capture_kernel "$L" looper ABRT
    scen_finish "looper $L runs pgm_loop_forever with a terminate pending (pg_terminate_backend returned t)"
}

# build_extension NAME OUT.so: compile ext/NAME.c against the server headers of
# this build (pg_config --includedir-server), or, for a package without them
# (Debian's postgresql-15 without postgresql-server-dev-15), against a debug
# build of the same major version.
build_extension() {
    local name=$1 out=$2 inc major
    inc=$("$BINDIR/pg_config" --includedir-server 2>/dev/null || true)
    if [[ ! -f $inc/postgres.h ]]; then
        major=$("$BINDIR/postgres" --version | awk '{print int($3)}')
        inc=$("${PGMORTEM_CACHE:-$HOME/.cache/pgmortem}/pg/$major-debug/bin/pg_config" --includedir-server 2>/dev/null || true)
    fi
    [[ -f $inc/postgres.h ]] ||
        skip "no PostgreSQL server headers for $BINDIR (apt-get install postgresql-server-dev-NN, or tests/pg/build-postgres NN)"
    mkdir -p "$(dirname "$out")"
    chmod 0755 "$(dirname "$out")"
    cc -std=gnu99 -O1 -g -fPIC -shared -I "$inc" -o "$out.new.$$" "$LIBDIR/../ext/$name.c" 2>"$TMP/cc.log" ||
        die "building the extension $name failed: $(head -n 5 "$TMP/cc.log")"
    chmod 0755 "$out.new.$$"
    mv -f "$out.new.$$" "$out"
}
