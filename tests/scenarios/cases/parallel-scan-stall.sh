# shellcheck shell=bash
# parallel-scan-stall: gdb holds the leader of a parallel index scan at
# _bt_parallel_release (it owns the scan, btps_pageStatus = ADVANCING); both
# workers then sleep on the scan's condition variable (IPC/BtreePage).
scenario_parallel_scan_stall() {
    session_open leader
    local L=${SESS_PID[leader]} w
    session_send leader "set max_parallel_workers_per_gather = 2;
        set parallel_setup_cost = 0; set parallel_tuple_cost = 0;
        set min_parallel_index_scan_size = 0;
        set enable_seqscan = off; set enable_bitmapscan = off;"
    session_sync leader
    local plan
    plan=$(psql_obs "set max_parallel_workers_per_gather = 2; set parallel_setup_cost = 0;
        set parallel_tuple_cost = 0; set min_parallel_index_scan_size = 0;
        set enable_seqscan = off; set enable_bitmapscan = off;
        explain (costs off) select count(b) from t where a > 1000")
    grep -q 'Parallel Index Scan' <<<"$plan" || die "planner did not choose a parallel index scan: $plan"
    tj '.plan = $p' --arg p "$plan"

    # Start the query only once gdb has attached and resumed the leader.
    gdb_hold leader "$L" _bt_parallel_release leader backend,btscan,bt ||
        die "cannot break on _bt_parallel_release"
    session_send leader "select count(b) from t where a > 1000;"
    gdb_hold_wait_hit leader 30
    wait_sql "the two workers of leader $L did not reach IPC/BtreePage" 10 \
        "select count(*) = 2 from pg_stat_activity where leader_pid = $L and pid <> $L
           and wait_event_type = 'IPC' and wait_event = 'BtreePage'"
    local -a W
    mapfile -t W < <(psql_obs "select pid from pg_stat_activity where leader_pid = $L and pid <> $L order by pid")
    ((${#W[@]} == 2)) || die "expected 2 workers of leader $L, found ${#W[@]}: ${W[*]}"

    truth_collect
    role leader "$L"
    role workers "$(printf '%s\n' "${W[@]}" | jq -s .)"
    local rel
    rel=$(psql_obs "select json_build_object(
            'table', json_build_object('name', 't', 'oid', 't'::regclass::oid::bigint, 'relfilenode', pg_relation_filenode('t')::bigint),
            'index', json_build_object('name', 't_a', 'oid', 't_a'::regclass::oid::bigint, 'relfilenode', pg_relation_filenode('t_a')::bigint),
            'database_oid', (select oid::bigint from pg_database where datname = current_database()))")
    tj '.relations = $v' --argjson v "$rel"
    truth_proc "$L" leader
    for w in "${W[@]}"; do truth_proc "$w" worker; done

    # Live gdb records of the workers (attach, print, detach).
    if ((PGM_DEBUG)); then
        for w in "${W[@]}"; do gdb_record "$w" worker backend,cv,btscan,bt; done
    else
        for w in "${W[@]}"; do gdb_record "$w" worker bt; done
    fi

    for w in "${W[@]}"; do capture_gcore "$w" worker; done
    gdb_hold_gcore leader
    # with the DSM segments (coredump_filter bit 3): the CV and the scan state
    # are in this core, so their decoding can be checked against gdb's
    capture_kernel "${W[0]}" worker ABRT 0x3b
    role aborted "${W[0]}"
    gdb_hold_release leader
    scen_finish "leader $L (held at _bt_parallel_release), workers ${W[*]} on IPC/BtreePage"
}
