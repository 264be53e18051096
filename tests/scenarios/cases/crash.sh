# shellcheck shell=bash
# crash: a backend busy in a query (CPU-bound, no wait event) is killed with
# SIGSEGV; the kernel writes its core; the postmaster reinitializes.
scenario_crash() {
    session_open victim
    local V=${SESS_PID[victim]}
    session_send victim "select count(*) from (select generate_series(1, 2000000000)) s;"
    wait_sql "backend $V did not start its query" 10 \
        "select count(*) = 1 from pg_stat_activity where pid = $V and state = 'active'
           and query like 'select count(*) from (select generate_series%'"

    truth_collect
    role victim "$V"
    truth_proc "$V" victim
    capture_kernel "$V" victim SEGV
    tj '.crash = {pid: $p, signal: "SEGV", signo: 11, si_code: 0, sender_pid: $s}' \
        --argjson p "$V" --argjson s "$BASHPID"

    # The postmaster notices the crash, kills the other backends and
    # reinitializes shared memory; wait until it accepts connections again.
    wait_cmd "server log does not show backend $V terminated by signal 11" 30 \
        grep -q "(PID $V) was terminated by signal 11" "$TMP/server.log"
    wait_cmd "postmaster did not reinitialize after the crash" 30 \
        grep -q 'all server processes terminated; reinitializing' "$TMP/server.log"
    wait_sql "server did not accept connections again after the crash" 60 "select true"
    tj '.crash.postmaster_reinitialized = true | .crash.server_log = $l' \
        --arg l "$(grep -F -e "(PID $V)" -e 'reinitializing' -e 'database system is ready' "$TMP/server.log" | tail -n 8)"
    scen_finish "backend $V killed by SIGSEGV, postmaster reinitialized"
}
