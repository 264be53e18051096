# shellcheck shell=bash
# walsender-stopping: pg_recvlogical streams from the logical slot pgm_slot
# and has confirmed what it received; then it is SIGSTOPped, a second insert
# is sent to it but never confirmed, and the server is asked to stop
# (pg_ctl stop -m fast, not waited for).  The walsender is told to stop
# (got_STOPPING) and exits only when the receiver has confirmed all it
# sent, which never comes (wal_sender_timeout = 0): the shutdown hangs on it.
# pg_stat_replication cannot be asked any more, so the truth of that
# moment is gdb's record of the walsender, taken in the stop of its gcore.
scen_extra_conf() {
    printf '%s\n' "wal_level = logical" "max_wal_senders = 4" "max_replication_slots = 4" \
        "wal_sender_timeout = 0"
}

# only_child_left PID: the postmaster's only connection process left is PID
only_child_left() {
    local p
    for p in $(pgrep -P "$PM_PID" -f '\[local\]'); do
        [[ $p == "$1" ]] || return 1
    done
    return 0
}

scenario_walsender_stopping() {
    local H R
    psql_obs "create publication pgm_pub for table q" >/dev/null
    psql_obs "select pg_create_logical_replication_slot('pgm_slot', 'pgoutput')" >/dev/null
    "$BINDIR/pg_recvlogical" -h "$TMP" -p "$PORT" -U "$PGM_USER" -d postgres -S pgm_slot --start -s 1 \
        -o proto_version=1 -o publication_names=pgm_pub -f /dev/null >"$TMP/recvlogical.log" 2>&1 &
    R=$!
    register client "$R"
    disown "$R"   # killed at cleanup: no job notice
    wait_sql "pg_recvlogical did not start streaming from pgm_slot" 20 \
        "select active from pg_replication_slots where slot_name = 'pgm_slot'"
    H=$(psql_obs "select active_pid from pg_replication_slots where slot_name = 'pgm_slot'")
    psql_obs "insert into q values (12)" >/dev/null
    wait_sql "pg_recvlogical did not confirm the insert" 20 \
        "select write_lsn is not null and write_lsn >= pg_current_wal_insert_lsn() - 1024
           from pg_stat_replication where pid = $H"

    truth_collect
    truth_replication
    role walsender "$H"
    tj '.receiver = {program: "pg_recvlogical", pid: $p}' --argjson p "$R"
    kill -STOP "$R"
    # WAL the stopped receiver will never confirm
    psql_obs "insert into q values (13)" >/dev/null
    wait_sql "the walsender did not send the second insert" 20 \
        "select sent_lsn >= pg_current_wal_insert_lsn() - 1024 and sent_lsn > write_lsn
           from pg_stat_replication where pid = $H"
    log "pg_ctl stop -m fast (not waited for), receiver $R stopped"
    (cd "$TMP" && runuser -u "$PGM_USER" -- "$BINDIR/pg_ctl" -D "$DATA" -m fast -W stop >/dev/null) ||
        die "pg_ctl stop did not start the shutdown"
    wait_cmd "the client backends did not exit" 20 only_child_left "$H"
    sleep 1
    kill -0 "$H" 2>/dev/null || die "walsender $H exited: the shutdown did not wait for it"
    truth_proc "$H" walsender
    gdb_record_gcore "$H" walsender backend,walsnd,slot,bt
    capture_kernel "$H" walsender ABRT
    scen_finish "walsender $H holds the shutdown: its receiver $R is stopped and confirms nothing"
}
