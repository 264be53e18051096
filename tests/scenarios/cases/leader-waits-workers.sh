# shellcheck shell=bash
# leader-waits-workers: a parallel query (leader participation off) whose two
# workers are stopped with SIGSTOP; the leader waits for their tuples in
# Gather (IPC/ExecuteGather).  The workers are slow on purpose (pg_sleep per
# row), so they are caught long before they could finish.
scenario_leader_waits_workers() {
    session_open leader
    local L=${SESS_PID[leader]} w plan
    local settings="set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0;
        set parallel_tuple_cost = 0; set min_parallel_table_scan_size = 0;
        set parallel_leader_participation = off;"
    local query="select count(pg_sleep(0.001)) from t;"
    session_send leader "$settings"
    session_sync leader
    plan=$(psql_obs "$settings explain (costs off) $query")
    grep -q 'Gather' <<<"$plan" || die "planner did not choose a parallel plan: $plan"
    tj '.plan = $p' --arg p "$plan"

    session_send leader "$query"
    wait_sql "leader $L did not get 2 parallel workers" 10 \
        "select count(*) = 2 from pg_stat_activity where leader_pid = $L and pid <> $L"
    local -a W
    mapfile -t W < <(psql_obs "select pid from pg_stat_activity where leader_pid = $L and pid <> $L order by pid")
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
        gdb_record "$L" leader backend,bt
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
