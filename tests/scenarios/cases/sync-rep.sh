# shellcheck shell=bash
# sync-rep: synchronous_standby_names names a standby that does not exist
# ('ghost'); the only standby connected is pg_receivewal with
# application_name 'other', which does not match (sync_priority 0).  An
# INSERT commits locally and waits on IPC/SyncRep for a confirmation that
# never comes.  The table is created with synchronous_commit = local first,
# or its own commit would wait too.
scenario_sync_rep() {
    cluster_stop_dir "$TMP"
    cat >>"$DATA/postgresql.conf" <<CONF
# sync-rep scenario
wal_level = replica
max_wal_senders = 4
synchronous_commit = on
synchronous_standby_names = 'ghost'
CONF
    cluster_start_dir "$TMP" "$PORT"
    PM_PID=$(head -n1 "$DATA/postmaster.pid")
    tj '.pg.postmaster_pid = $p' --argjson p "$PM_PID"

    mkdir -p "$TMP/wal"
    chown "$PGM_USER:" "$TMP/wal"
    runuser -u "$PGM_USER" -- "$BINDIR/pg_receivewal" -D "$TMP/wal" -n \
        -d "host=$TMP port=$PORT user=$PGM_USER application_name=other" >"$TMP/receivewal.log" 2>&1 &
    register client $!
    wait_sql "pg_receivewal did not stream" 20 \
        "select count(*) = 1 from pg_stat_replication where application_name = 'other' and state = 'streaming'"

    session_open committer
    local C=${SESS_PID[committer]} W
    session_send committer "set synchronous_commit = local; create table sr (i int);"
    session_sync committer
    session_send committer "set synchronous_commit = on; insert into sr values (1);"
    wait_event "$C" IPC SyncRep 10
    W=$(psql_obs "select pid from pg_stat_replication where application_name = 'other'")

    truth_collect
    truth_replication
    tj '.synchronous_standby_names = $n' --arg n "$(psql_obs "show synchronous_standby_names")"
    role committer "$C"
    role walsender "$W"
    truth_proc "$C" committer
    truth_proc "$W" walsender
    gdb_record "$C" committer backend,syncrep,waitset,bt
    if ((PGM_DEBUG)); then
        tj '.wait_lsn_text = $t' --arg t "$(psql_obs "select ('0/0'::pg_lsn + $(jq ".gdb[\"$C\"].syncrep.waitLSN" "$TRUTH"))::text")"
    fi
    capture_gcore "$C" committer
    capture_kernel "$C" committer ABRT
    scen_finish "committer $C waits on IPC/SyncRep for 'ghost'; walsender $W ('other') does not match"
}
