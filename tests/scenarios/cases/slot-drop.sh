# shellcheck shell=bash
# slot-drop: pg_recvlogical streams from the logical slot pgm_slot (pgoutput),
# so the slot's active_pid is its walsender (holder).  A replication
# connection runs DROP_REPLICATION_SLOT pgm_slot WAIT: its walsender (waiter)
# sleeps on the slot's active_cv (IPC/ReplicationSlotDrop) until the holder
# releases it.  (pg_drop_replication_slot() does not wait: it fails at once
# with "replication slot ... is active".)
scen_extra_conf() {
    printf '%s\n' "wal_level = logical" "max_wal_senders = 4" "max_replication_slots = 4"
}

scenario_slot_drop() {
    local H W app=${PGM_PREFIX}_${SCEN}_waiter
    psql_obs "create publication pgm_pub for table q" >/dev/null
    psql_obs "select pg_create_logical_replication_slot('pgm_slot', 'pgoutput')" >/dev/null
    "$BINDIR/pg_recvlogical" -h "$TMP" -p "$PORT" -U "$PGM_USER" -d postgres -S pgm_slot --start \
        -o proto_version=1 -o publication_names=pgm_pub -f /dev/null >"$TMP/recvlogical.log" 2>&1 &
    register client $!
    disown $!   # killed at cleanup: no job notice
    wait_sql "pg_recvlogical did not start streaming from pgm_slot" 20 \
        "select active from pg_replication_slots where slot_name = 'pgm_slot'"
    H=$(psql_obs "select active_pid from pg_replication_slots where slot_name = 'pgm_slot'")

    PGAPPNAME=$app "$BINDIR/psql" -X -q -h "$TMP" -p "$PORT" -U "$PGM_USER" \
        -d "dbname=postgres replication=database" -c "DROP_REPLICATION_SLOT pgm_slot WAIT" \
        >"$TMP/drop.out" 2>&1 &
    register session $!
    wait_sql "the slot drop did not wait" 10 \
        "select count(*) = 1 from pg_stat_activity where application_name = '$app'
           and wait_event = 'ReplicationSlotDrop'"
    W=$(psql_obs "select pid from pg_stat_activity where application_name = '$app'")

    truth_collect
    truth_replication
    role holder "$H"
    role waiter "$W"
    truth_proc "$H" holder
    truth_proc "$W" waiter
    gdb_record_gcore "$W" waiter backend,slot,bt
    gdb_record_gcore "$H" holder backend,walsnd,slot,bt
    capture_kernel "$W" waiter ABRT
    scen_finish "holder $H (walsender of pg_recvlogical), waiter $W (DROP_REPLICATION_SLOT … WAIT)"
}
