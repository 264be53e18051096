# shellcheck shell=bash
# wal-write-frozen: pg_wal lives on its own small ext4 file system, which is
# frozen (fsfreeze); A commits an insert with synchronous_commit = on and
# blocks in XLogWrite's pwrite on the WAL segment, in uninterruptible sleep
# (state D, IO/WALWrite).  No tracer can stop A while it is in D, so there
# is no gdb record and no gcore: the truth is the kernel's (state, wchan,
# stack, the system call and the file behind its fd).  The kernel core is
# taken by sending SIGABRT while frozen and thawing: the signal is acted on
# as the write returns, so the core shows A still inside XLogWrite.
# the WAL writer sleeps long, so that the commit, not its periodic flush, writes the WAL
scen_extra_conf() {
    echo "wal_writer_delay = 10s"
}

scen_prepare_data() {
    loop_fs "$TMP/walfs" 64
    mv "$DATA/pg_wal" "$TMP/walfs/pg_wal"
    ln -s "$TMP/walfs/pg_wal" "$DATA/pg_wal"
}

scenario_wal_write_frozen() {
    session_open writer
    local A=${SESS_PID[writer]} mnt=$TMP/walfs
    session_send writer "set synchronous_commit = on;"
    session_sync writer
    fsfreeze -f "$mnt" || skip "cannot freeze the loop file system (fsfreeze -f $mnt)"
    register thaw "$mnt"
    session_send writer "insert into q values (11);"
    wait_sql "writer $A did not wait on a WAL write" 10 \
        "select count(*) = 1 from pg_stat_activity where pid = $A and wait_event_type = 'IO'
           and wait_event ilike 'wal%'"
    wait_cmd "writer $A did not block in the kernel (state D)" 10 \
        bash -c "[[ \$(awk '/^State:/ {print \$2}' /proc/$A/status) == D ]]"

    truth_collect
    role writer "$A"
    truth_proc "$A" writer
    truth_kernel "$A" writer
    tj '.wal = $v' --argjson v "$(jq -n --arg d "$mnt/pg_wal" '{directory: $d}')"

    scen_exec_hook
    save_maps "$A"
    rm -f "$DATA/core" "$DATA/core.$A"
    kernel_cores_possible || { kill -ABRT "$A"; fsfreeze -u "$mnt"; skip "kernel cores are off (core_pattern)"; }
    local before
    before=$(cat "/proc/$A/coredump_filter")
    echo 0x33 >"/proc/$A/coredump_filter"
    log "kill -ABRT writer $A (kernel core, taken when the write returns)"
    kill -ABRT "$A"
    sleep 0.2
    fsfreeze -u "$mnt"
    wait_cmd "writer $A did not die after SIGABRT" 30 proc_dead "$A"
    kernel_core_collect "$A" writer ABRT "$before" "$(printf %08x 0x33)"
    scen_finish "writer $A blocked in XLogWrite on a frozen pg_wal (state D)"
}
