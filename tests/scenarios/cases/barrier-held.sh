# shellcheck shell=bash
# barrier-held: backend A (idle, connected to postgres) is stopped with
# SIGSTOP; B runs DROP DATABASE of another database, which emits a
# ProcSignalBarrier (close smgr files) and waits on IPC/ProcSignalBarrier
# for every process to absorb it.  A never does while it is stopped.
scenario_barrier_held() {
    psql_obs "create database pgm_drop" >/dev/null
    session_open held
    session_open dropper
    local A=${SESS_PID[held]} B=${SESS_PID[dropper]}
    register stopped "$A"
    kill -STOP "$A"
    wait_cmd "backend $A did not stop" 10 proc_state_is "$A" T
    session_send dropper "drop database pgm_drop;"
    wait_event "$B" IPC ProcSignalBarrier 20

    truth_collect
    role held "$A"
    role dropper "$B"
    truth_proc "$A" held
    truth_proc "$B" dropper
    gdb_record "$B" dropper backend,barrier,waitset,bt
    capture_gcore "$B" dropper
    capture_gcore "$A" held
    proc_state_is "$A" T || die "backend $A is no longer stopped after gcore"
    capture_kernel "$B" dropper ABRT
    kill -CONT "$A" 2>/dev/null || true
    scen_finish "dropper $B waits on IPC/ProcSignalBarrier; held $A is stopped (SIGSTOP)"
}
