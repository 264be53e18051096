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

# ---- the WaitEventSet, sync rep, message queues, barriers ----

def newest_frame_named(names):
    """The innermost frame whose function is one of names (inline frames included), or None."""
    f = gdb.newest_frame()
    while f is not None and f.name() not in names:
        f = f.older()
    return f


def find_frame(*names):
    """The same, an error when there is none."""
    f = newest_frame_named(names)
    if f is None:
        raise gdb.error("no frame of %s" % ", ".join(names))
    return f


def walsnd_json(w):
    """A WalSnd entry as pg_stat_replication shows it: pid, state and positions."""
    r = {"pid": num(w["pid"]), "state": str(w["state"])}
    for k in ("sentPtr", "write", "flush", "apply"):
        r[k] = num(w[k])
    return r


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
        ws.append(dict(slot=i, **walsnd_json(w), sync_standby_priority=num(w["sync_standby_priority"])))
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


# ---- buffers, storage and replication ----------------------------------------

# buf_internals.h: the state word's layout (macros, the same from 9.6 to 18)
BUF_REFCOUNT_MASK = (1 << 18) - 1
BUF_FLAGS = {"locked": 22, "dirty": 23, "valid": 24, "tag_valid": 25, "io_in_progress": 26,
             "io_error": 27, "just_dirtied": 28, "pin_count_waiter": 29,
             "checkpoint_needed": 30, "permanent": 31}


def buffer_desc(desc):
    """A BufferDesc as JSON: tag (version-independent names), state, waiter."""
    r = {"address": ptr(desc.address), "buf_id": num(desc["buf_id"]),
         "buffer": num(desc["buf_id"]) + 1}
    tag = desc["tag"]
    if "rnode" in fields(tag):          # <= 15: RelFileNode
        rn = tag["rnode"]
        r["spc"], r["db"], r["relfilenode"] = num(rn["spcNode"]), num(rn["dbNode"]), num(rn["relNode"])
    else:                               # 16+
        r["spc"], r["db"], r["relfilenode"] = num(tag["spcOid"]), num(tag["dbOid"]), num(tag["relNumber"])
    r["fork"] = scalar(tag["forkNum"])
    r["block"] = num(tag["blockNum"])
    state = num(desc["state"]["value"])
    r["state"] = "0x%08x" % state
    r["refcount"] = state & BUF_REFCOUNT_MASK
    r["usage_count"] = (state >> 18) & 0xF
    r["flags"] = sorted(k for k, bit in BUF_FLAGS.items() if state & (1 << bit))
    for name in ("wait_backend_pgprocno", "wait_backend_pid"):
        if name in fields(desc):
            r[name] = num(desc[name])
    if "io_wref" in fields(desc):
        w = desc["io_wref"]
        r["io_wref"] = {k: num(w[k]) for k in fields(w)}
    return r


def buffer_by_id(buf_id):
    expr = "BufferDescriptors[%d].bufferdesc" % buf_id
    raw(expr)
    return ev(expr)


def part_bufpin():
    """The buffer this backend waits to clean up (PinCountWaitBuf) and its own pins."""
    raw("PinCountWaitBuf")
    raw("*PinCountWaitBuf")
    b = ev("PinCountWaitBuf")
    if int(b) == 0:
        raise gdb.error("PinCountWaitBuf is NULL")
    r = {"PinCountWaitBuf": ptr(b), "buffer": buffer_desc(b.dereference())}
    r["own_pins"] = part_pins()
    return r


def part_pins():
    """The buffers this backend pins: PrivateRefCountArray (and how many overflowed)."""
    raw("PrivateRefCountArray")
    raw("PrivateRefCountOverflowed")
    arr = ev("PrivateRefCountArray")
    pins = []
    for i in range(int(arr.type.range()[1]) + 1):
        e = arr[i]
        if num(e["buffer"]) != 0:
            pins.append({"buffer": num(e["buffer"]), "refcount": num(e["refcount"])})
    r = {"array": pins, "overflowed": num(ev("PrivateRefCountOverflowed"))}
    for p in pins:
        if p["buffer"] > 0:
            p["desc"] = buffer_desc(buffer_by_id(p["buffer"] - 1))
    return r


def record_ptr(r, expr):
    raw(expr)
    r[expr] = ptr(ev(expr))


def aio_handle(index):
    expr = "pgaio_ctl->io_handles[%d]" % index
    raw(expr)
    h = ev(expr)
    r = {"index": index, "address": ptr(h.address), "state": scalar(h["state"]),
         "op": num(h["op"]), "flags": num(h["flags"]), "owner_procno": num(h["owner_procno"]),
         "generation": num(h["generation"])}
    for name, enum in (("state_name", "PgAioHandleState"), ("op_name", "PgAioOp")):
        try:
            r[name] = str(h["state" if name == "state_name" else "op"].cast(gdb.lookup_type(enum)))
        except gdb.error:
            pass
    try:
        r["owner_pid"] = num(ev("ProcGlobal->allProcs[%d].pid" % r["owner_procno"]))
    except gdb.error:
        pass
    return r


def part_bufio():
    """The buffer whose I/O this backend waits for (WaitIO's buf), and who does it."""
    r = {}
    f = newest_frame_named(("WaitIO",))
    if f is not None:
        f.select()
        r["frame"] = f.name()
        raw("buf")
        raw("*buf")
        r["buffer"] = buffer_desc(f.read_var("buf").dereference())
        w = r["buffer"].get("io_wref")
        if w and w["aio_index"] != 0xFFFFFFFF:
            r["aio"] = aio_handle(w["aio_index"])
    record_ptr(r, "cv_sleep_target")
    f = newest_frame_named(("pgaio_io_wait",))
    if f is not None:
        f.select()
        raw("ioh")
        r["aio_wait"] = aio_handle(num(ev("ioh - pgaio_ctl->io_handles")))
    gdb.newest_frame().select()
    return r


def part_bufio_doer():
    """The I/O this backend does: InProgressBuf (<= 15) and its own pins."""
    r = {}
    try:
        raw("InProgressBuf")
        b = ev("InProgressBuf")
        r["InProgressBuf"] = ptr(b)
        r["IsForInput"] = bool(ev("IsForInput"))
        if int(b):
            r["buffer"] = buffer_desc(b.dereference())
    except gdb.error as e:
        r["InProgressBuf"] = {"error": str(e)}
    r["pins"] = part_pins()
    return r


def slot_json(s, index):
    d = s["data"]
    r = {"index": index, "address": ptr(s.address), "in_use": bool(s["in_use"]),
         "active_pid": num(s["active_pid"]), "name": d["name"]["data"].string(),
         "database": num(d["database"]), "persistency": str(d["persistency"]),
         "restart_lsn": num(d["restart_lsn"]), "confirmed_flush": num(d["confirmed_flush"]),
         "plugin": d["plugin"]["data"].string(), "active_cv": ptr(s["active_cv"].address)}
    return r


def part_slot():
    """Every replication slot in use, MyReplicationSlot and the CV this backend sleeps on."""
    r = {}
    raw("max_replication_slots")
    n = num(ev("max_replication_slots"))
    slots = []
    for i in range(min(n, 1024)):
        s = ev("ReplicationSlotCtl->replication_slots[%d]" % i)
        if bool(s["in_use"]):
            raw("ReplicationSlotCtl->replication_slots[%d]" % i)
            slots.append(slot_json(s, i))
    r["slots"] = slots
    record_ptr(r, "MyReplicationSlot")
    record_ptr(r, "cv_sleep_target")
    f = newest_frame_named(("ReplicationSlotAcquire",))
    if f is not None:
        f.select()
        raw("name")
        try:
            r["acquire_name"] = f.read_var("name").string()
        except (gdb.error, ValueError) as e:
            r["acquire_name"] = {"error": str(e)}
        gdb.newest_frame().select()
    return r


def part_walsnd():
    """This walsender's WalSnd entry and its own flags."""
    raw("*MyWalSnd")
    w = ev("MyWalSnd")
    if int(w) == 0:
        raise gdb.error("MyWalSnd is NULL")
    r = dict(MyWalSnd=ptr(w), **walsnd_json(w))
    for name in ("got_STOPPING", "got_SIGUSR2", "WalSndCaughtUp", "sentPtr"):
        raw(name)
        try:
            r["static_" + name] = num(ev(name))
        except gdb.error as e:
            r["static_" + name] = {"error": str(e)}
    raw("MyReplicationSlot")
    s = ev("MyReplicationSlot")
    r["slot"] = s["data"]["name"]["data"].string() if int(s) else None
    return r


PARTS = {"backend": part_backend, "cv": part_cv, "btscan": part_btscan,
         "lwlocks": part_lwlocks, "lwwait": part_lwwait, "bt": part_bt,
         "bufpin": part_bufpin, "pins": part_pins, "bufio": part_bufio,
         "bufio_doer": part_bufio_doer, "slot": part_slot, "walsnd": part_walsnd,
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
