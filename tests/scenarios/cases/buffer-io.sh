# shellcheck shell=bash
# buffer-io: gdb holds A inside the read of block 0 of bio (the buffer is
# BM_IO_IN_PROGRESS, A does the I/O); B reads the same block and waits for
# that I/O to end.  Up to 17 A is held in mdread and B sleeps in WaitIO on
# the buffer's condition variable (IPC/BufferIO); A's InProgressBuf (private)
# says it does the I/O.  From 18 (io_method=sync here, so that the reading
# backend performs the I/O itself) A is held in
# pgaio_io_perform_synchronously: the buffer's io_wref names the AIO handle,
# A owns it, and B waits on the handle (IO/AioIoCompletion).
scen_extra_conf() {
    if (($(pg_major) >= 18)); then echo "io_method = sync"; fi
}

scenario_buffer_io() {
    session_open reader
    session_open waiter
    local A=${SESS_PID[reader]} B=${SESS_PID[waiter]} file fn cond
    file=$(psql_obs "select pg_relation_filenode('bio')")
    if (($(pg_major) >= 18)); then
        fn=pgaio_io_perform_synchronously cond="ioh->target_data.smgr.rlocator.relNumber == $file"
    else
        fn=mdread cond="reln->smgr_rnode.node.relNode == $file"
    fi
    gdb_hold_or_skip reader "$A" "$fn" reader backend,bufio_doer,bt "$cond"
    session_send reader "select count(*) from bio;"
    gdb_hold_wait_hit reader 30
    session_send waiter "select count(*) from bio;"
    wait_sql "waiter $B did not wait for the buffer's I/O" 10 \
        "select count(*) = 1 from pg_stat_activity where pid = $B
           and wait_event in ('BufferIO', 'AioIoCompletion')"

    truth_collect
    role reader "$A"
    role waiter "$B"
    truth_relation bio
    truth_proc "$A" reader
    truth_proc "$B" waiter
    gdb_record "$B" waiter backend,bufio,bt

    capture_gcore "$B" waiter
    gdb_hold_gcore reader
    capture_kernel "$B" waiter ABRT
    gdb_hold_release reader
    scen_finish "reader $A (held by gdb in $fn), waiter $B on its I/O"
}
