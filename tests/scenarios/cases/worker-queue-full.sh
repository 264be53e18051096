# shellcheck shell=bash
# worker-queue-full: a parallel query (leader participation off) whose
# leader is stopped with SIGSTOP as soon as its two workers run; the
# workers fill their tuple queues (64 kB each, in the query's DSM segment)
# and wait on IPC/MessageQueueSend for a leader that does not read.  The
# kernel core of one worker is taken with coredump_filter 0x3b, so it holds
# the DSM segment (and the queue) that gcore leaves out.
scenario_worker_queue_full() {
    # 200k rows: enough to fill two 64 kB queues many times over, quick to load
    psql_obs "create table wq (a int, b int); insert into wq select i, i from generate_series(1, 200000) i" >/dev/null
    psql_obs "vacuum (analyze) wq" >/dev/null
    session_open leader
    parallel_query_start leader "select a, b from wq;"
    local L=$PARALLEL_LEADER w
    local -a W=("${PARALLEL_WORKERS[@]}")
    register stopped "$L"
    kill -STOP "$L"
    wait_cmd "leader $L did not stop" 10 proc_state_is "$L" T
    for w in "${W[@]}"; do wait_event "$w" IPC MessageQueueSend 20; done

    truth_collect
    role leader "$L"
    role workers "$(printf '%s\n' "${W[@]}" | jq -s .)"
    role full "${W[0]}"
    truth_proc "$L" leader
    for w in "${W[@]}"; do
        truth_proc "$w" worker
        gdb_record "$w" worker backend,mq,bgworkers,waitset,bt
    done
    for w in "${W[@]}"; do capture_gcore "$w" worker; done
    capture_gcore "$L" leader
    proc_state_is "$L" T || die "leader $L is no longer stopped after gcore"
    capture_kernel "${W[0]}" full ABRT 0x3b
    kill -CONT "$L" 2>/dev/null || true
    scen_finish "workers ${W[*]} wait on IPC/MessageQueueSend; leader $L is stopped (SIGSTOP)"
}
