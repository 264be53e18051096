# gdb helper for the scenario test bed: records ground truth from a live
# PostgreSQL backend (attached with gdb -p).  Not part of pgmortem itself.
#
#   (gdb) source pgtruth.py
#   (gdb) pgm-truth OUT.json backend,cv,btscan,lwlocks,bt
#
# Writes one JSON object to OUT.json with one key per requested part, and
# prints the raw gdb output of every expression it evaluates, so the gdb log
# shows what gdb itself said.  Every part is independent: a part that cannot
# be evaluated (no DWARF, optimized out, renamed member) records
# {"error": "..."} instead of aborting the others.

import json
import gdb


def raw(expr):
    """Print an expression the way the gdb CLI does, for the log."""
    try:
        out = gdb.execute("print " + expr, to_string=True)
    except gdb.error as e:
        out = "error: %s\n" % e
    gdb.write("@@ print %s\n%s" % (expr, out))
    return out.strip()


def ev(expr):
    return gdb.parse_and_eval(expr)


def num(v):
    return int(v)


def ptr(v):
    return "0x%x" % (int(v) & 0xFFFFFFFFFFFFFFFF)


def fields(v):
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        t = t.target().strip_typedefs()
    return [f.name for f in t.fields()]


def scalar(v):
    """A JSON-friendly rendering of a scalar gdb value."""
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ENUM:
        return {"value": int(v), "name": str(v)}
    if t.code == gdb.TYPE_CODE_PTR:
        return ptr(v)
    if t.code == gdb.TYPE_CODE_BOOL:
        return bool(v)
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR):
        return int(v)
    return str(v)


def first_ok(*exprs):
    last = None
    for e in exprs:
        try:
            v = ev(e)
            if v.is_optimized_out:
                continue
            return e, v
        except gdb.error as err:
            last = err
    raise gdb.error("none of %s evaluates (%s)" % (", ".join(exprs), last))


def part_backend():
    r = {}
    for name in ("MyProcPid", "InterruptHoldoffCount", "QueryCancelHoldoffCount",
                 "CritSectionCount", "InterruptPending", "QueryCancelPending",
                 "ProcDiePending"):
        raw(name)
        try:
            r[name] = num(ev(name))
        except gdb.error as e:
            r[name] = {"error": str(e)}
    try:
        expr, v = first_ok("MyProcNumber", "MyProc->pgprocno")
        raw(expr)
        r["pgprocno"] = num(v)
        r["pgprocno_expr"] = expr
    except gdb.error as e:
        r["pgprocno"] = {"error": str(e)}
    raw("MyProc")
    try:
        r["MyProc"] = ptr(ev("MyProc"))
        raw("/x MyProc->wait_event_info")
        r["wait_event_info"] = "0x%08x" % num(ev("MyProc->wait_event_info"))
    except gdb.error as e:
        r["MyProc"] = {"error": str(e)}
    raw("*MyLatch")
    try:
        latch = ev("*MyLatch")
        r["MyLatch"] = {f: scalar(latch[f]) for f in fields(latch)}
    except gdb.error as e:
        r["MyLatch"] = {"error": str(e)}
    return r


def walk_proclist(head, link):
    """[{procno, pid}] of a proclist_head whose PGPROCs link through `link`."""
    nprocs = num(ev("ProcGlobal->allProcCount"))
    walk = []
    i = num(head["head"])
    seen = set()
    while 0 <= i < nprocs and i not in seen and len(walk) < 256:
        seen.add(i)
        p = ev("ProcGlobal->allProcs[%d]" % i)
        raw("ProcGlobal->allProcs[%d].pid" % i)
        walk.append({"procno": i, "pid": num(p["pid"])})
        i = num(p[link]["next"])
    return walk


def part_lwwait():
    """The LWLock this backend waits for (frame LWLockAcquire)."""
    r = {}
    f = gdb.newest_frame()
    while f is not None and f.name() not in ("LWLockAcquire", "LWLockAcquireOrWait",
                                              "LWLockWaitForVar"):
        f = f.older()
    if f is None:
        raise gdb.error("no LWLockAcquire frame")
    f.select()
    r["frame"] = f.name()
    raw("lock")
    raw("*lock")
    lock = f.read_var("lock")
    if lock.is_optimized_out:
        raise gdb.error("lock is optimized out in " + f.name())
    r["lock"] = ptr(lock)
    r["tranche"] = num(lock["tranche"])
    r["state"] = "0x%08x" % num(lock["state"]["value"])
    r["waiters"] = walk_proclist(lock["waiters"], "lwWaitLink")
    for name in ("lwWaiting", "lwWaitMode"):
        raw("MyProc->" + name)
        try:
            r[name] = scalar(ev("MyProc->" + name))
        except gdb.error:
            pass
    return r


def part_cv():
    r = {}
    raw("cv_sleep_target")
    raw("*cv_sleep_target")
    cv = ev("cv_sleep_target")
    r["cv_sleep_target"] = ptr(cv)
    if int(cv) == 0:
        r["wakeup"] = []
        return r
    head = num(cv["wakeup"]["head"])
    tail = num(cv["wakeup"]["tail"])
    r["mutex"] = num(cv["mutex"])
    r["head"] = head
    r["tail"] = tail
    r["wakeup"] = walk_proclist(cv["wakeup"], "cvWaitLink")
    return r


def find_scan_frame():
    """Newest frame with a usable `scan` (IndexScanDesc) argument/local."""
    f = gdb.newest_frame()
    depth = 0
    while f is not None and depth < 64:
        try:
            v = f.read_var("scan")
            if not v.is_optimized_out:
                t = v.type.strip_typedefs()
                if t.code == gdb.TYPE_CODE_PTR and "parallel_scan" in fields(v):
                    return f, v
        except (ValueError, gdb.error):
            pass
        f = f.older()
        depth += 1
    raise gdb.error("no frame with a readable IndexScanDesc `scan`")


def part_btscan():
    r = {}
    f, scan = find_scan_frame()
    f.select()
    r["frame"] = f.name()
    raw("scan")
    raw("*scan->parallel_scan")
    r["scan"] = ptr(scan)
    ps = scan["parallel_scan"]
    r["parallel_scan"] = ptr(ps)
    try:
        r["index_oid"] = num(scan["indexRelation"]["rd_id"])
        r["heap_oid"] = num(scan["heapRelation"]["rd_id"])
    except gdb.error:
        pass
    psf = fields(ps)
    for name in ("ps_relid", "ps_indexid"):
        if name in psf:
            r[name] = num(ps[name])
    for name in ("ps_locator", "ps_indexlocator"):
        if name in psf:
            loc = ps[name]
            r[name] = {k: num(loc[k]) for k in fields(loc)}
    off_member = "ps_offset" if "ps_offset" in psf else "ps_offset_am"
    r["offset_member"] = off_member
    off = num(ps[off_member])
    r[off_member] = off
    addr = int(ps) + off
    r["btps"] = "0x%x" % addr
    expr = "*(struct BTParallelScanDescData *) 0x%x" % addr
    raw(expr)
    btps = ev(expr)
    for name in fields(btps):
        v = btps[name]
        t = v.type.strip_typedefs()
        if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_ENUM, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR):
            r[name] = scalar(v)
    if "btps_cv" in fields(btps):
        r["btps_cv"] = "0x%x" % int(btps["btps_cv"].address)
    # Names that are stable across versions, for consumers.
    status = btps["btps_pageStatus"]
    r["pageStatus"] = str(status)
    for name in ("btps_scanPage", "btps_nextScanPage"):
        if name in fields(btps):
            r["scanPage"] = num(btps[name])
            r["scanPage_member"] = name
    return r


def part_lwlocks():
    r = {}
    raw("num_held_lwlocks")
    n = num(ev("num_held_lwlocks"))
    r["num_held_lwlocks"] = n
    held = []
    for i in range(min(n, 200)):
        raw("held_lwlocks[%d]" % i)
        raw("*held_lwlocks[%d].lock" % i)
        h = ev("held_lwlocks[%d]" % i)
        lock = h["lock"].dereference()
        e = {"lock": ptr(h["lock"]), "mode": str(h["mode"]),
             "tranche": num(lock["tranche"])}
        try:
            e["state"] = "0x%08x" % num(lock["state"]["value"])
        except gdb.error:
            pass
        try:
            e["waiters"] = walk_proclist(lock["waiters"], "lwWaitLink")
        except gdb.error as err:
            e["waiters"] = {"error": str(err)}
        held.append(e)
    r["held_lwlocks"] = held
    return r


def part_bt():
    out = gdb.execute("bt 40", to_string=True)
    gdb.write("@@ bt\n" + out)
    names = []
    f = gdb.newest_frame()
    while f is not None and len(names) < 64:
        names.append(f.name() or "??")
        f = f.older()
    return {"frames": names}

# ---- issue 16: the WaitEventSet, sync rep, message queues, barriers ----

def find_frame(*names):
    """The innermost frame whose function is one of names (inline frames included)."""
    f = gdb.newest_frame()
    while f is not None:
        if f.name() in names:
            return f
        f = f.older()
    raise gdb.error("no frame of %s" % ", ".join(names))


def frame_var(frame, name):
    frame.select()
    raw("%s" % name)
    v = frame.read_var(name)
    if v.is_optimized_out:
        raise gdb.error("%s is optimized out in %s" % (name, frame.name()))
    return v


def part_waitset():
    f = find_frame("WaitEventSetWait")
    r = {"frame": f.name()}
    try:
        r["timeout"] = num(frame_var(f, "timeout"))
    except gdb.error as e:
        r["timeout"] = {"error": str(e)}
    s = frame_var(f, "set")
    r["set"] = ptr(s)
    raw("*(WaitEventSet *) %s" % ptr(s))
    set_ = s.dereference()
    for k in ("nevents", "latch_pos", "epoll_fd"):
        r[k] = num(set_[k])
    r["exit_on_postmaster_death"] = bool(set_["exit_on_postmaster_death"])
    r["events"] = [{"pos": num(set_["events"][i]["pos"]), "events": num(set_["events"][i]["events"]),
                    "fd": num(set_["events"][i]["fd"])} for i in range(r["nevents"])]
    r["latch"] = ptr(set_["latch"])
    if int(set_["latch"]) != 0:
        latch = set_["latch"].dereference()
        r["latch_fields"] = {k: scalar(latch[k]) for k in fields(latch)}
    return r


def part_syncrep():
    r = {}
    raw("MyProc->waitLSN")
    r["waitLSN"] = num(ev("MyProc->waitLSN"))
    r["syncRepState"] = num(ev("MyProc->syncRepState"))
    raw("SyncRepStandbyNames")
    r["SyncRepStandbyNames"] = ev("SyncRepStandbyNames").string()
    r["SyncRepWaitMode"] = num(ev("SyncRepWaitMode"))
    r["released_lsn"] = num(ev("WalSndCtl->lsn[SyncRepWaitMode]"))
    r["max_wal_senders"] = num(ev("max_wal_senders"))
    ws = []
    for i in range(r["max_wal_senders"]):
        w = ev("WalSndCtl->walsnds[%d]" % i)
        if num(w["pid"]) == 0:
            continue
        raw("WalSndCtl->walsnds[%d]" % i)
        ws.append({"slot": i, "pid": num(w["pid"]), "state": str(w["state"]), "sentPtr": num(w["sentPtr"]),
                   "write": num(w["write"]), "flush": num(w["flush"]), "apply": num(w["apply"]),
                   "sync_standby_priority": num(w["sync_standby_priority"])})
    r["walsnds"] = ws
    return r


def part_mq():
    f = find_frame("shm_mq_send_bytes", "shm_mq_sendv", "shm_mq_send", "shm_mq_receive_bytes", "shm_mq_receive")
    r = {"frame": f.name()}
    mqh = frame_var(f, "mqh")
    q = mqh["mqh_queue"]
    r["mqh"] = ptr(mqh)
    r["queue"] = ptr(q)
    raw("*((shm_mq_handle *) %s)->mqh_queue" % ptr(mqh))
    mq = q.dereference()
    r["sender_pid"] = num(mq["mq_sender"]["pid"]) if int(mq["mq_sender"]) else 0
    r["receiver_pid"] = num(mq["mq_receiver"]["pid"]) if int(mq["mq_receiver"]) else 0
    r["bytes_written"] = num(mq["mq_bytes_written"]["value"])
    r["bytes_read"] = num(mq["mq_bytes_read"]["value"])
    r["ring_size"] = num(mq["mq_ring_size"])
    r["detached"] = bool(mq["mq_detached"])
    r["counterparty_attached"] = bool(mqh["mqh_counterparty_attached"])
    return r


def part_bgworkers():
    """Background-worker slots in use: pid, notify pid, terminate, type."""
    n = num(ev("BackgroundWorkerData->total_slots"))
    out = []
    for i in range(n):
        s = ev("BackgroundWorkerData->slot[%d]" % i)
        if not bool(s["in_use"]):
            continue
        out.append({"slot": i, "pid": num(s["pid"]), "notify_pid": num(s["worker"]["bgw_notify_pid"]),
                    "terminate": bool(s["terminate"]), "type": s["worker"]["bgw_type"].string()})
    return out


def part_barrier():
    r = {}
    try:
        f = find_frame("WaitForProcSignalBarrier")
        r["generation"] = num(frame_var(f, "generation"))
    except gdb.error as e:
        r["generation"] = {"error": str(e)}
    raw("ProcSignal->psh_barrierGeneration")
    r["psh_barrierGeneration"] = num(ev("ProcSignal->psh_barrierGeneration.value"))
    # NumProcSignalSlots is a macro: MaxBackends + NUM_AUXPROCTYPES (<= 16), else one per PGPROC
    expr, v = first_ok("MaxBackends + NUM_AUXPROCTYPES", "MaxBackends + NUM_AUXILIARY_PROCS", "ProcGlobal->allProcCount")
    r["slots_expr"] = expr
    r["slots"] = num(v)
    gen = r["generation"] if isinstance(r["generation"], int) else r["psh_barrierGeneration"]
    lag = []
    for i in range(r["slots"]):
        s = ev("ProcSignal->psh_slot[%d]" % i)
        g = num(s["pss_barrierGeneration"]["value"])
        if g < gen:
            pid = s["pss_pid"]
            pid = num(pid["value"]) if pid.type.strip_typedefs().code == gdb.TYPE_CODE_STRUCT else num(pid)
            lag.append({"slot": i, "pid": pid, "generation": g})
    r["not_absorbed"] = lag
    try:
        r["cv_sleep_target"] = ptr(ev("cv_sleep_target"))
    except gdb.error as e:
        r["cv_sleep_target"] = {"error": str(e)}
    return r


PARTS = {"backend": part_backend, "cv": part_cv, "btscan": part_btscan,
         "lwlocks": part_lwlocks, "lwwait": part_lwwait, "bt": part_bt,
         "waitset": part_waitset, "syncrep": part_syncrep, "mq": part_mq, "bgworkers": part_bgworkers,
         "barrier": part_barrier}


class PgmTruth(gdb.Command):
    """pgm-truth OUT.json part[,part...] -- record backend state as JSON."""

    def __init__(self):
        super().__init__("pgm-truth", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        out, parts = argv[0], argv[1].split(",")
        res = {}
        for p in parts:
            try:
                res[p] = PARTS[p]()
            except Exception as e:  # noqa: BLE001 - record, never abort
                res[p] = {"error": "%s: %s" % (type(e).__name__, e)}
                gdb.write("@@ %s failed: %s\n" % (p, e))
        try:
            gdb.newest_frame().select()
        except gdb.error:
            pass
        with open(out, "w") as fh:
            json.dump(res, fh, indent=1, sort_keys=True)
            fh.write("\n")
        gdb.write("@@ wrote %s\n" % out)


PgmTruth()
