# shellcheck shell=bash
# quiet: three backends doing nothing interesting -- one in pg_sleep
# (Timeout/PgSleep), one idle (Client/ClientRead), one idle in transaction.
scenario_quiet() {
    session_open sleeper
    session_open idle
    session_open idlexact
    local S=${SESS_PID[sleeper]} I=${SESS_PID[idle]} X=${SESS_PID[idlexact]}

    session_send idlexact "begin; select count(*) from q;"
    session_sync idlexact
    session_send sleeper "select pg_sleep(600);"
    wait_event "$S" Timeout PgSleep 10
    wait_sql "idle session $I did not show idle / ClientRead" 10 \
        "select count(*) = 1 from pg_stat_activity where pid = $I and state = 'idle'
           and wait_event_type = 'Client' and wait_event = 'ClientRead'"
    wait_sql "session $X did not show idle in transaction" 10 \
        "select count(*) = 1 from pg_stat_activity where pid = $X and state = 'idle in transaction'"

    truth_collect
    role sleeper "$S"
    role idle "$I"
    role idle_in_transaction "$X"
    truth_proc "$S" sleeper
    truth_proc "$I" idle
    truth_proc "$X" idle_in_transaction
    if ((PGM_DEBUG)); then
        gdb_record "$S" sleeper backend,waitset,bt
        gdb_record "$I" idle backend,waitset,bt
        gdb_record "$X" idle_in_transaction backend,waitset,bt
    fi

    capture_gcore "$S" sleeper
    capture_gcore "$I" idle
    capture_gcore "$X" idle_in_transaction
    capture_kernel "$S" sleeper ABRT
    scen_finish "sleeper $S, idle $I, idle in transaction $X"
}
