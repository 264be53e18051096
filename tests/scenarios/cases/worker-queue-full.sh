# shellcheck shell=bash
# worker-queue-full: a parallel query (leader participation off) whose
# leader is stopped with SIGSTOP as soon as its two workers run; the
# workers fill their tuple queues (64 kB each, in the query's DSM segment)
# and wait on IPC/MessageQueueSend for a leader that does not read.  The
# kernel core of one worker is taken with coredump_filter 0x3b, so it holds
# the DSM segment (and the queue) that gcore leaves out.
scenario_worker_queue_full() {
    session_open leader
    local L=${SESS_PID[leader]} w plan
    local settings="set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0;
        set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0;
        set parallel_leader_participation = off;"
    local query="select a, b from t;"
    session_send leader "$settings"
    session_sync leader
    plan=$(psql_obs "$settings explain (costs off) $query")
    grep -q 'Gather' <<<"$plan" || die "planner did not choose a parallel plan: $plan"
    tj '.plan = $p' --arg p "$plan"

    session_send leader "$query"
    wait_sql "leader $L did not get 2 parallel workers" 10 \
        "select count(*) = 2 from pg_stat_activity where leader_pid = $L and pid <> $L"
    register stopped "$L"
    kill -STOP "$L"
    wait_cmd "leader $L did not stop" 10 proc_state_is "$L" T
    local -a W
    mapfile -t W < <(psql_obs "select pid from pg_stat_activity where leader_pid = $L and pid <> $L order by pid")
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
