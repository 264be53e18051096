# shellcheck shell=bash
# row-lock: A updated row id=1 of r in an open transaction; B updates the
# same row and waits on A's transactionid (Lock/transactionid).
scenario_row_lock() {
    session_open A
    session_open B
    local A=${SESS_PID[A]} B=${SESS_PID[B]} xid

    session_send A "begin; update r set v = v + 1 where id = 1;"
    session_sync A
    session_send B "update r set v = v + 1 where id = 1;"
    wait_event "$B" Lock transactionid 10

    truth_collect
    role holder "$A"
    role waiter "$B"
    xid=$(jq --argjson a "$A" '.pg_stat_activity[] | select(.pid == $a) | .backend_xid' "$TRUTH")
    tj '.holder_xid = $x' --argjson x "$xid"
    truth_proc "$A" holder
    truth_proc "$B" waiter
    if ((PGM_DEBUG)); then
        gdb_record "$A" holder backend,bt
        gdb_record "$B" waiter backend,bt
    fi

    capture_gcore "$A" holder
    capture_gcore "$B" waiter
    capture_kernel "$B" waiter ABRT
    scen_finish "holder $A (xid $xid), waiter $B on transactionid"
}
