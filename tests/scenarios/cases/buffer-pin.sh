# shellcheck shell=bash
# buffer-pin: A's cursor has fetched one row of pin, so A keeps block 0
# pinned; B's VACUUM (FREEZE) pin must freeze that page, needs a cleanup
# lock (the only pin) and waits on BufferPin in LockBufferForCleanup.
# Nothing shows in pg_locks: the pin is private to A.
scenario_buffer_pin() {
    session_open holder
    session_open waiter
    local A=${SESS_PID[holder]} B=${SESS_PID[waiter]}

    session_send holder "begin; declare c cursor for select * from pin; fetch 1 from c;"
    session_sync holder
    session_send waiter "vacuum (freeze) pin;"
    wait_event "$B" BufferPin BufferPin 10

    truth_collect
    role holder "$A"
    role waiter "$B"
    truth_relation pin
    truth_proc "$A" holder
    truth_proc "$B" waiter
    gdb_record "$B" waiter backend,bufpin,bt
    gdb_record "$A" holder backend,pins,bt

    capture_gcore "$B" waiter
    capture_gcore "$A" holder
    capture_kernel "$B" waiter ABRT
    scen_finish "holder $A (cursor on pin), waiter $B (VACUUM) on BufferPin"
}
