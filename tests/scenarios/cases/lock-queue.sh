# shellcheck shell=bash
# lock-queue: A holds ACCESS EXCLUSIVE on q (idle in transaction); B's
# SELECT waits for it; C asks for ACCESS EXCLUSIVE too and queues behind
# both (hard-blocked by A, soft-blocked by B's queued request).
scenario_lock_queue() {
    session_open A
    session_open B
    session_open C
    local A=${SESS_PID[A]} B=${SESS_PID[B]} C=${SESS_PID[C]}

    session_send A "begin; lock table q in access exclusive mode;"
    session_sync A
    session_send B "select count(*) from q;"
    wait_event "$B" Lock relation 10
    session_send C "begin; lock table q in access exclusive mode;"
    wait_event "$C" Lock relation 10
    wait_sql "C ($C) is not queued behind B ($B)" 10 \
        "select pg_blocking_pids($C) @> array[$A, $B]"

    truth_collect
    role holder "$A"
    role waiter "$B"
    role queued "$C"
    tj '.relations = $v' --argjson v "$(psql_obs "select json_build_object('table', json_build_object(
            'name', 'q', 'oid', 'q'::regclass::oid::bigint))")"
    truth_proc "$A" holder
    truth_proc "$B" waiter
    truth_proc "$C" queued
    if ((PGM_DEBUG)); then
        gdb_record "$A" holder backend,bt
        gdb_record "$B" waiter backend,bt
        gdb_record "$C" queued backend,bt
    fi

    capture_gcore "$A" holder
    capture_gcore "$B" waiter
    capture_gcore "$C" queued
    capture_kernel "$C" queued ABRT
    scen_finish "holder $A, waiter $B, queued $C on relation q"
}
