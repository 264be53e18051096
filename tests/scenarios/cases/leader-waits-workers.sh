# shellcheck shell=bash
# leader-waits-workers: a parallel query (leader participation off) whose two
# workers are stopped with SIGSTOP; the leader waits for their tuples in
# Gather (IPC/ExecuteGather).  The workers are slow on purpose (pg_sleep per
# row), so they are caught long before they could finish.
scenario_leader_waits_workers() {
    session_open leader
    parallel_query_start leader "select count(pg_sleep(0.001)) from t;"
    local L=$PARALLEL_LEADER w
    local -a W=("${PARALLEL_WORKERS[@]}")
    for w in "${W[@]}"; do
        register stopped "$w"
        kill -STOP "$w"
    done
    for w in "${W[@]}"; do
        wait_cmd "worker $w did not stop" 10 proc_state_is "$w" T
    done
    wait_event "$L" IPC ExecuteGather 10

    truth_collect
    role leader "$L"
    role workers "$(printf '%s\n' "${W[@]}" | jq -s .)"
    role stopped "$(printf '%s\n' "${W[@]}" | jq -s .)"
    truth_proc "$L" leader
    for w in "${W[@]}"; do truth_proc "$w" worker; done
    if ((PGM_DEBUG)); then
        gdb_record "$L" leader backend,bgworkers,waitset,bt
    else
        gdb_record "$L" leader bt
    fi

    capture_gcore "$L" leader
    for w in "${W[@]}"; do capture_gcore "$w" worker; done
    for w in "${W[@]}"; do
        proc_state_is "$w" T || die "worker $w is no longer stopped after gcore"
    done
    capture_kernel "$L" leader ABRT
    for w in "${W[@]}"; do kill -CONT "$w" 2>/dev/null || true; done
    scen_finish "leader $L on IPC/ExecuteGather, workers ${W[*]} stopped (SIGSTOP)"
}
