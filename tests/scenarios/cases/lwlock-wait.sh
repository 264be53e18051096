# shellcheck shell=bash
# lwlock-wait: gdb holds A at XLogInsert inside heap_update, i.e. with the
# page's buffer content lock held exclusively inside a critical section;
# B's SELECT of another row on the same page waits on LWLock/BufferContent.
scenario_lwlock_wait() {
    session_open holder
    session_open waiter
    local A=${SESS_PID[holder]} B=${SESS_PID[waiter]} page

    page=$(psql_obs "select count(distinct (ctid::text::point)[0]) = 1 from lw where i in (1, 2)")
    [[ $page == t ]] || die "rows 1 and 2 of lw are not on the same page"
    gdb_hold_or_skip holder "$A" XLogInsert holder backend,lwlocks,bt
    session_send holder "update lw set v = 'y' where i = 1;"
    gdb_hold_wait_hit holder 30
    session_send waiter "select * from lw where i = 2;"
    wait_event "$B" LWLock BufferContent 10

    truth_collect
    role holder "$A"
    role waiter "$B"
    tj '.relations = $v' --argjson v "$(psql_obs "select json_build_object('table', json_build_object(
            'name', 'lw', 'oid', 'lw'::regclass::oid::bigint,
            'relfilenode', pg_relation_filenode('lw')::bigint))")"
    truth_proc "$A" holder
    truth_proc "$B" waiter
    if ((PGM_DEBUG)); then
        gdb_record "$B" waiter backend,lwwait,bt
    else
        gdb_record "$B" waiter bt
    fi

    capture_gcore "$B" waiter
    gdb_hold_gcore holder
    capture_kernel "$B" waiter ABRT
    gdb_hold_release holder
    scen_finish "holder $A (held in XLogInsert), waiter $B on LWLock/BufferContent"
}
