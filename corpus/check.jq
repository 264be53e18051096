# The checks of corpus/check, in one jq program per bundle: what pgmortem
# says against the scenario's truth.json.  They are the checks of
# tests/integration/analyze-vs-truth, instance-vs-truth and cv-vs-gdb, and
# of buffers-, replication-, syncrep-, mq-, barrier-, unserved-, io- and
# waitset-vs-truth for the wait kinds of round 2 (run there on the cores,
# here on the bundles; not their signature or verdict wording), written
# for one jq process each, so that the whole corpus is checked in seconds;
# a check added there belongs here too.
#
# Called once per scenario (jq compiles this program in a good part of a
# second), with --slurpfile truth T and --slurpfile ga GA --slurpfile gl GL
# --slurpfile k K: pgmortem's JSON of `analyze` and `locks` of gcores.pgmb
# and of `analyze` of kernel.pgmb, an empty file for one that is not there;
# prints one line per mismatch, "gcores …" or "kernel …".

$truth[0] as $t |
(["gcores-analyze", $ga[0]], ["gcores-locks", $gl[0]], ["kernel", $k[0]]) as [$what, $o] | select($o != null) |

def same($name; $want; $got):
  if ($want | tostring) == ($got | tostring) then empty
  else "\($name): truth '\($want | tostring)', pgmortem '\($got | tostring)'" end;

def activity($p): first($t.pg_stat_activity[] | select(.pid == $p)) // {};
def gdb($p): $t.gdb[$p | tostring] // {};

# walsender-stopping's pg_stat_activity is from before `pg_ctl stop` (nothing
# can be asked during the shutdown); its captures come after, when the
# auxiliary processes have exited and the walsender has moved on from its
# wait (gdb's stack at capture: WALSndDone reading WAL, IO/WalRead).  Its
# wait events and which processes are there are not compared with it.
def activity_before_capture: $t.scenario == "walsender-stopping";

# "0x1f" (gdb's addresses and state words) or "1F" as a number; a number as itself
def hexnum: ascii_downcase | ltrimstr("0x") | explode
  | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
def num: if type == "string" then hexnum else . end;
# a pg_lsn ("0/1765FE8", pgmortem's notation) as the number gdb records; null (invalid) is 0
def lsn: if . == null then 0 else split("/") | (.[0] | hexnum) * 4294967296 + (.[1] | hexnum) end;
def kind_is($r; $p; $k): same("\($p) wait kind"; $k; $r.backend.wait.kind);
# the edge FROM -> TO of KIND in the instance's graph (`locks`)
def edge($from; $to; $k):
  same("edge \($from) -> \($to) (\($k))"; 1;
       [$o.graph.edges[] | select(.from == $from and .to == $to and .kind == $k)] | length);

# ---- one report (analyze-vs-truth) ----

def identity($r; $p):
  activity($p) as $a |
  same("\($p) pid"; $p; $r.backend.pid),
  same("\($p) backend_type"; $a.backend_type; $r.backend.backend_type),
  same("\($p) leader_pid"; $a.leader_pid; $r.backend.leader_pid),
  (select(activity_before_capture | not) |
   same("\($p) wait_event_type"; $a.wait_event_type; $r.backend.wait_event.type),
   same("\($p) wait_event"; $a.wait_event; $r.backend.wait_event.name)),
  # the raw word gdb read (MyProc->wait_event_info) at its record
  (gdb($p).backend.wait_event_info | select(type == "string") |
   same("\($p) wait_event_info (gdb)"; hexnum; $r.backend.wait_event.info)),
  same("\($p) query"; $a.query; $r.backend.query);

def interrupts($r; $p):
  gdb($p).backend as $g | select($g) |
  ("InterruptHoldoffCount", "CritSectionCount", "QueryCancelHoldoffCount", "InterruptPending",
   "QueryCancelPending", "ProcDiePending") as $k |
  same("\($p) \($k)"; $g[$k]; $r.backend.interrupts[$k]);

# a gcore lacks the DSM segment: the CV is named, the segment said missing, nothing guessed
def parallel_worker($r; $p):
  gdb($p) as $g | select($g.cv) |
  ($r.backend.wait.missing[0].mapping // "none") as $m |
  same("\($p) wait kind"; "condition_variable"; $r.backend.wait.kind),
  same("\($p) cv address"; $g.cv.cv_sleep_target; $r.backend.wait.address),
  same("\($p) index oid"; $g.btscan.index_oid; $r.backend.wait.object.index_oid),
  same("\($p) table oid"; $g.btscan.heap_oid; $r.backend.wait.object.relation_oid),
  same("\($p) index name"; $t.relations.index.name; $r.backend.wait.object.index_name),
  same("\($p) missing mapping is a lacking DSM segment"; true;
       [$t.captures[] | select(.pid == $p and .kind == "gcore") | .missing_mappings[] | select(. == $m)] | length > 0),
  same("\($p) no page status from missing memory"; null; $r.backend.wait.object.page_status),
  same("\($p) leader named as not queued"; "no";
       first($r.backend.group[] | select(.pid == $t.roles.leader) | .queued_on_same));

def lock_blockers($r; $p):
  select(($t.blocking[$p | tostring] // []) | length > 0) |
  same("\($p) wait kind"; "heavyweight_lock"; $r.backend.wait.kind),
  same("\($p) blocking pids"; $t.blocking[$p | tostring] | sort; [$r.backend.wait.holders[]?.pid] | sort),
  same("\($p) requested mode"; first($t.pg_locks[] | select(.pid == $p and .granted == false) | .mode);
       $r.backend.wait.object.mode);

# with the holder's core in the bundle, its held_lwlocks name it
def lwlock_wait($r; $p):
  gdb($p).lwwait as $w | select($w) |
  same("\($p) wait kind"; "lwlock"; $r.backend.wait.kind),
  same("\($p) lwlock address"; $w.lock; $r.backend.wait.address),
  same("\($p) lwlock tranche"; "BufferContent"; $r.backend.wait.object.tranche),
  same("\($p) lwlock waiters"; [$w.waiters[].pid] | sort; [$r.backend.wait.waiters[]?.pid] | sort),
  same("\($p) lwlock holder"; [$t.roles.holder]; [$r.backend.wait.holders[]?.pid]);

# ---- the wait kinds of round 2 (buffers-, replication-, syncrep-, mq-, barrier-,
# unserved-, io- and waitset-vs-truth), each against its scenario's gdb
# records and pg_* views; $c is the capture the report is of, "gcore" (in
# gcores.pgmb with the scenario's other gcores) or "kernel" (alone) ----

# the WaitEventSet gdb read in WaitEventSetWait's frame, its latch, and the
# epoll fd the process was in (/proc/PID/syscall, 232: epoll_wait on x86-64)
def waitset($r; $p):
  gdb($p).waitset as $g | select($g.set) | $r.backend.sleeping_in as $s |
  same("\($p) WaitEventSet (gdb)";
       $g | {set: (.set | num), epoll_fd, timeout, events: [.events[]? | {events, fd, pos}],
             latch: (.latch | num), owner: .latch_fields.owner_pid, is_set: .latch_fields.is_set};
       $s | {set: (.address | num), epoll_fd, timeout: .timeout_ms,
             events: [.events[]? | {events: ([.events[] | {latch: 1, socket_readable: 2, socket_writeable: 4,
               timeout: 8, postmaster_death: 16, exit_on_postmaster_death: 32, socket_closed: 128}[.]] | add), fd, pos}],
             latch: (.latch.address | num), owner: .latch.owner_pid, is_set: (if .latch.is_set then 1 else 0 end)}),
  same("\($p) WaitEventSet from the frame"; "frame"; $s.source),
  (($t.proc[$p | tostring].syscall // "") | split(" ") | select(.[0] == "232") |
   same("\($p) epoll fd (/proc/PID/syscall)"; .[1] | hexnum; $s.epoll_fd));

# a parallel worker's gcore lacks the CV (a DSM segment): its queue, rebuilt
# from PGPROC.cvWaitLink, is gdb's walk of the live CV and the backends
# pg_stat_activity showed on IPC/BtreePage
def cv_queue($r; $p):
  select($t.scenario == "parallel-scan-stall" and ($t.roles.workers | index($p)) != null) |
  gdb($p).cv.wakeup as $q | select($q) |
  same("\($p) the CV is missing"; true; any($r.backend.wait.missing[]?; .what == "the condition variable")),
  same("\($p) queue source"; "PGPROC.cvWaitLink"; $r.backend.wait.object.queue_source),
  same("\($p) queue = gdb's walk of the live CV"; [$q[] | {procno, pid}]; [$r.backend.wait.waiters[]? | {procno, pid}]),
  same("\($p) queue = pg_stat_activity's BtreePage waiters";
       [$t.pg_stat_activity[] | select(.wait_event == "BtreePage") | .pid] | sort; [$r.backend.wait.waiters[]?.pid] | sort);

# the buffer VACUUM waits to clean up: PinCountWaitBuf's BufferDesc as gdb read it
def buffer_pin($r; $p; $c):
  gdb($p).bufpin as $g | select($g.buffer) | $g.buffer as $b | $r.backend.wait.object as $w |
  kind_is($r; $p; "buffer_pin"),
  same("\($p) buffer"; $b.buffer; $w.buffer),
  same("\($p) relfilenode"; $t.relations.table.relfilenode; $w.relfilenode),
  same("\($p) relation oid"; $t.relations.table.oid; $w.relation_oid),
  same("\($p) relation name"; $t.relations.table.name; $w.relation_name),
  same("\($p) database"; $t.relations.database_oid; $w.database_oid),
  same("\($p) block"; $b.block; $w.block),
  same("\($p) fork"; "main"; $w.fork),
  same("\($p) state word"; $b.state | num; $w.state | num),
  same("\($p) shared refcount"; $b.refcount; $w.shared_refcount),
  same("\($p) pin_count_waiter"; any($b.flags[]?; . == "pin_count_waiter"); $w.pin_count_waiter),
  same("\($p) waiter in the header"; $p; $w.waiter_pid),
  same("\($p) own pins"; [$g.own_pins.array[]? | select(.buffer == $b.buffer) | .refcount][0]; $w.own_pins),
  # the holder's gcore is in the bundle: it is named, with the pins gdb counted in it
  (select($c == "gcore") | $t.roles.holder as $h |
   [gdb($h).pins.array[]? | select(.buffer == $b.buffer) | .refcount][0] as $n |
   same("\($p) holder"; [$h]; [$r.backend.wait.holders[]?.pid]),
   same("\($p) holder's pins"; "\($n) pins"; $r.backend.wait.holders[0].mode));

# the cursor's backend: its own report counts the pin gdb found in its PrivateRefCountArray
def pin_holder($r; $p):
  select($t.scenario == "buffer-pin" and $p == $t.roles.holder) |
  gdb($t.roles.waiter).bufpin.buffer.buffer as $buf |
  same("\($p) private refcount"; [gdb($p).pins.array[]? | select(.buffer == $buf) | .refcount][0];
       [$r.backend.buffers.pins[]? | select(.buffer == $buf) | .private_refcount][0]);

# a read waiting for another's I/O of the same buffer: WaitIO's buffer; on 18
# the AIO handle its io_wref names (its owner: the reader); up to 17 the
# reader is named from its own core's InProgressBuf, so only in gcores.pgmb
def buffer_io($r; $p; $c):
  gdb($p).bufio as $g | select($g.buffer) | $r.backend.wait.object as $w | $t.roles.reader as $a |
  kind_is($r; $p; "buffer_io"),
  same("\($p) buffer (WaitIO's)"; $g.buffer.buffer; $w.buffer),
  same("\($p) block"; $g.buffer.block; $w.block),
  same("\($p) relation"; "\($t.relations.table.oid) \($t.relations.table.name)"; "\($w.relation_oid) \($w.relation_name)"),
  same("\($p) io_in_progress"; true; $w.io_in_progress),
  if $g.aio then
    same("\($p) aio index (io_wref)"; $g.aio.index; $w.aio_index),
    same("\($p) aio state"; $g.aio.state_name; $w.aio_state),
    same("\($p) aio owner"; $g.aio.owner_pid; $w.aio_owner_pid),
    same("\($p) aio owner is the reader"; [$a]; [$r.backend.wait.holders[]?.pid])
  elif $c == "gcore" then same("\($p) the reader"; [$a]; [$r.backend.wait.holders[]?.pid])
  else same("\($p) one core: the reader unknown"; null; $r.backend.wait.holders) end;

# the reader's own report (up to 17): the buffer of its InProgressBuf
def io_doer($r; $p):
  gdb($p).bufio_doer.buffer.buffer as $buf | select($buf) |
  same("\($p) InProgressBuf"; $buf; $r.backend.buffers.io_in_progress.buffer);

# DROP_REPLICATION_SLOT … WAIT: the slot as pg_replication_slots and gdb
# (in the stop of the gcore) showed it, its active_pid the holder; the LSNs
# only from the gcore, the kernel core comes later
def slot_drop($r; $p; $c):
  select($t.scenario == "slot-drop" and $p == $t.roles.waiter) |
  [$t.pg_replication_slots[]? | select(.slot_name == "pgm_slot")][0] as $s |
  [gdb($p).slot.slots[]? | select(.name == "pgm_slot")][0] as $g |
  $r.backend.wait.object as $w |
  kind_is($r; $p; "replication_slot"),
  same("\($p) slot"; [$s.slot_name, $s.slot_type, $s.plugin, $s.active_pid];
       [$w.slot_name, $w.slot_type, $w.plugin, $w.active_pid]),
  same("\($p) slot index"; $g.index; $w.slot_index),
  same("\($p) holder (active_pid)"; [$t.roles.holder]; [$r.backend.wait.holders[]?.pid]),
  (select($c == "gcore") |
   same("\($p) restart_lsn"; $g.restart_lsn; $w.restart_lsn | lsn),
   same("\($p) confirmed_flush_lsn"; $g.confirmed_flush; $w.confirmed_flush_lsn | lsn),
   same("\($p) catalog_xmin"; $s.catalog_xmin; $w.catalog_xmin));

# a walsender as gdb read its WalSnd in the stop of the gcore (so the gcore only)
def walsender($r; $p; $c):
  gdb($p).walsnd as $g | select($c == "gcore" and $g.state) | $r.backend.walsender as $w |
  same("\($p) walsender state"; $g.state | sub("^WALSNDSTATE_"; "") | ascii_downcase; $w.state),
  ((["sentPtr", "sent_lsn"], ["write", "write_lsn"], ["flush", "flush_lsn"], ["apply", "replay_lsn"]) as [$k, $f] |
   same("\($p) \($f)"; $g[$k]; $w[$f] | lsn)),
  same("\($p) walsender slot"; $g.slot; $w.slot_name),
  same("\($p) got_STOPPING"; $g.static_got_STOPPING == 1; $w.got_stopping);

# a write blocked in the kernel: the fd and file /proc/PID/{syscall,fd} showed
def io_wait($r; $p):
  $t.kernel[$p | tostring] as $k | select($k.fd_link) |
  kind_is($r; $p; "io"),
  same("\($p) fd (openLogFile)"; $k.fd; $r.backend.wait.object.fd),
  same("\($p) file"; "pg_wal/" + ($k.fd_link | split("/") | last); $r.backend.wait.object.file);

# the test bed's extension looping without CHECK_FOR_INTERRUPTS after
# pg_terminate_backend returned t (tests/scenarios/ext/pgm_loop.c): the
# terminate stays pending (gdb's ProcDiePending: interrupts())
def unserved($r; $p):
  select($t.scenario == "unserved-terminate" and $p == $t.roles.looper) | $r.backend.wait.object as $w |
  kind_is($r; $p; "unserved_interrupt"),
  same("\($p) function is in gdb's stack"; true; gdb($p).bt.frames | index([$w.function]) != null),
  same("\($p) function"; "pgm_loop_forever"; $w.function),
  same("\($p) library"; $t.extension | split("/") | last; $w.library),
  same("\($p) killable"; "no"; $r.backend.interrupts.killable);

# a commit waiting for a synchronous standby: gdb's SyncRepWaitForLSN state,
# SHOW synchronous_standby_names, pg_stat_replication's walsenders (whose
# positions only move on)
def sync_rep($r; $p):
  gdb($p).syncrep as $g | select($g.syncRepState) | $r.backend.wait.object as $w |
  ($t.pg_stat_replication // [] | sort_by(.pid)) as $want | ($r.backend.wait.walsenders // [] | sort_by(.pid)) as $got |
  kind_is($r; $p; "sync_rep"),
  same("\($p) lsn (pg_lsn)"; $t.wait_lsn_text; $w.lsn),
  same("\($p) syncRepState"; ["SYNC_REP_NOT_WAITING", "SYNC_REP_WAITING", "SYNC_REP_WAIT_COMPLETE"][$g.syncRepState];
       $w.sync_rep_state),
  same("\($p) mode (SyncRepWaitMode)"; ["write", "flush", "apply"][$g.SyncRepWaitMode]; $w.mode),
  same("\($p) synchronous_standby_names"; $t.synchronous_standby_names; $w.synchronous_standby_names),
  same("\($p) walsenders (pg_stat_replication)"; [$want[] | {pid, application_name, state, sync_priority}];
       [$got[] | {pid, application_name, state, sync_priority}]),
  same("\($p) walsender LSNs at or past pg_stat_replication's"; true;
       ($want | length) == ($got | length) and
       ([$want, $got] | transpose | all(.[]; (.[0].sent_lsn | lsn) <= (.[1].sent_lsn | lsn)
         and (.[0].write_lsn | lsn) <= (.[1].write_lsn | lsn) and (.[1].write_lsn | lsn) <= (.[1].sent_lsn | lsn)))),
  (select(all($t.pg_stat_replication[]?; .sync_priority == 0)) |
   same("\($p) reason (no walsender is a candidate)"; "no_standby"; $w.reason)),
  # SyncRepWaitForLSN serves a terminate or cancel itself, holdoff or not
  same("\($p) killable"; "yes"; $r.backend.interrupts.killable);

# a parallel worker whose tuple queue is full: the queue gdb read, its
# reader the (stopped) leader; gcores lack the DSM segment and say so, the
# kernel core (coredump_filter 0x3b) holds it
def mq_send($r; $p; $c):
  gdb($p).mq as $g | select($g.queue) | $t.roles.leader as $l | $r.backend.wait.object as $w |
  kind_is($r; $p; "message_queue"),
  same("\($p) operation"; "send"; $w.operation),
  same("\($p) queue address (gdb)"; $g.queue | num; $r.backend.wait.address | num),
  same("\($p) counterpart is the leader"; $l; $w.counterpart_pid),
  same("\($p) the leader's wait event (pg_stat_activity)"; activity($l).wait_event; $w.counterpart_wait_event),
  same("\($p) worker slots (gdb)"; [gdb($p).bgworkers[]? | select(.notify_pid == $l) | {slot, pid}] | sort_by(.slot);
       [$r.backend.wait.workers[]? | {slot, pid}] | sort_by(.slot)),
  if $c == "kernel" then
    same("\($p) queue (gdb)"; $g | {sender_pid, receiver_pid, bytes_written, bytes_read, ring_size, detached};
         $w | {sender_pid, receiver_pid, bytes_written, bytes_read, ring_size, detached})
  else
    ([$r.backend.wait.missing[]? | select(.what == "the message queue") | .mapping][0]) as $m |
    same("\($p) the queue's segment is one the gcore lacks"; true;
         [$t.captures[] | select(.pid == $p and .kind == "gcore") | .missing_mappings[]?] | index([$m]) != null),
    same("\($p) no queue contents from missing memory"; null; $w.bytes_written)
  end;

# a Gather leader whose workers are stopped: it waits on all their queues
def gather($r; $p):
  select($t.scenario == "leader-waits-workers" and $p == $t.roles.leader) |
  kind_is($r; $p; "message_queue"),
  same("\($p) waits on all queues"; true; $r.backend.wait.object.gather),
  same("\($p) worker slots = the workers"; $t.roles.workers | sort; [$r.backend.wait.workers[]?.pid] | sort),
  (select(gdb($p).bgworkers) |
   same("\($p) worker slots = gdb's"; [gdb($p).bgworkers[]? | select(.notify_pid == $p) | {slot, pid}] | sort_by(.slot);
        [$r.backend.wait.workers[]? | {slot, pid}] | sort_by(.slot))),
  same("\($p) workers' wait events (pg_stat_activity)"; [$t.roles.workers[] as $w | activity($w).wait_event];
       [$t.roles.workers[] as $w | [$r.backend.wait.workers[]? | select(.pid == $w) | .wait_event][0]]);

# DROP DATABASE waiting for a ProcSignalBarrier a stopped backend does not absorb
def barrier($r; $p):
  gdb($p).barrier as $b | select($b.generation) | $t.roles.held as $h | $r.backend.wait as $w |
  kind_is($r; $p; "procsignal_barrier"),
  same("\($p) generation (gdb)"; $b.generation; $w.object.generation),
  same("\($p) ProcSignal slots (gdb)"; $b.slots; $w.object.procsignal_slots),
  same("\($p) not absorbed (gdb)"; [$b.not_absorbed[]? | {slot, pid, generation}]; [$w.not_absorbed[]? | {slot, pid, generation}]),
  same("\($p) the held backend's wait (pg_stat_activity)"; activity($h) | "\(.wait_event_type)/\(.wait_event)";
       [$w.not_absorbed[]? | select(.pid == $h) | "\(.wait_event_type)/\(.wait_event)"][0]),
  same("\($p) sleeps on the held slot's CV"; [true]; [$w.not_absorbed[]? | select(.pid == $h) | .sleeps_on_its_cv]);

def kinds($r; $p; $c):
  waitset($r; $p), buffer_pin($r; $p; $c), buffer_io($r; $p; $c), slot_drop($r; $p; $c), walsender($r; $p; $c),
  io_wait($r; $p), unserved($r; $p), sync_rep($r; $p), mq_send($r; $p; $c), gather($r; $p), barrier($r; $p),
  (select($c == "gcore") | cv_queue($r; $p), pin_holder($r; $p), io_doer($r; $p));

def report($r):
  $r.backend.pid as $p |
  identity($r; $p), interrupts($r; $p), parallel_worker($r; $p), lock_blockers($r; $p), lwlock_wait($r; $p),
  kinds($r; $p; "gcore");

# ---- the instance (instance-vs-truth) ----

def row($p): first($o.backends[] | select(.pid == $p)) // {};

def backends:
  ($t.pg_stat_activity[] as $a |
   select((activity_before_capture | not) or any($t.captures[]; .pid == $a.pid)) |
   same("\($a.pid) present"; $a.pid; row($a.pid).pid),
   same("\($a.pid) backend_type"; $a.backend_type; row($a.pid).backend_type),
   (select($a.backend_type == "client backend" or $a.backend_type == "parallel worker") |
    ("state", "wait_event_type", "wait_event", "leader_pid", "query", "application_name") as $f |
    same("\($a.pid) \($f)"; $a[$f]; row($a.pid)[$f]))),
  same("backends beyond pg_stat_activity"; [];
       [$o.backends[] | select(.pid != null) | select(.pid as $p | [$t.pg_stat_activity[].pid] | index($p) | not)
        | select(.pid != $t.observer_pid and .status_known) | .pid]);

def lock_lines($rows):
  [$t.pg_stat_activity[] | select(.backend_type == "client backend" or .backend_type == "parallel worker") | .pid] as $pids |
  [$rows[] | select(.pid as $p | $pids | index($p))
   | [.locktype, .database, .relation, .page, .tuple, .virtualxid, .transactionid, .classid, .objid,
      .objsubid, .virtualtransaction, .pid, .mode, .granted, .fastpath] | map(tostring) | join("|")] | sort;

def instance:
  backends,
  same("pg_locks"; lock_lines($t.pg_locks); lock_lines($o.locks)),
  same("lock table complete"; true; $o.locks_complete),
  ($t.blocking | keys[] as $p |
   same("\($p) pg_blocking_pids"; $t.blocking[$p] | sort; (row($p | tonumber).blocking // []) | sort)),
  (select(gdb($t.roles.waiter // 0).lwwait) |
   same("lwlock holder named"; $t.roles.holder | tostring;
        [$o.graph.edges[] | select(.from == $t.roles.waiter and .kind == "lwlock") | .to] | join(","))),
  # the edges of the round-2 kinds, each between two processes whose gcores are in the bundle
  $t.roles as $x |
  if $t.scenario == "buffer-pin" then edge($x.waiter; $x.holder; "buffer_pin")
  elif $t.scenario == "buffer-io" then edge($x.waiter; $x.reader; "buffer_io")
  elif $t.scenario == "slot-drop" then edge($x.waiter; $x.holder; "replication_slot")
  elif $t.scenario == "worker-queue-full" then $x.workers[] as $w | edge($w; $x.leader; "message_queue")
  elif $t.scenario == "leader-waits-workers" then $x.workers[] as $w | edge($x.leader; $w; "message_queue")
  elif $t.scenario == "barrier-held" then edge($x.dropper; $x.held; "barrier")
  elif $t.scenario == "sync-rep" then
    same("\($x.committer) one sync_rep edge"; 1;
         [$o.graph.edges[] | select(.from == $x.committer and .kind == "sync_rep")] | length)
  else empty end;

# ---- a kernel core (cv-vs-gdb for the DSM, the crash) ----

def dsm($r; $p):
  gdb($p) as $g | select($g.cv and $g.btscan) |
  same("\($p) cv address"; $g.cv.cv_sleep_target; $r.backend.wait.address),
  same("\($p) wakeup queue"; [$g.cv.wakeup[] | [.procno, .pid]]; [$r.backend.wait.waiters[] | [.procno, .pid]]),
  same("\($p) page status"; $g.btscan.pageStatus; $r.backend.wait.object.page_status),
  same("\($p) scan page"; $g.btscan.scanPage; $r.backend.wait.object.scan_page),
  same("\($p) nothing missing"; 0; $r.backend.wait.missing | length);

# How it died is said first: a fault with its address, a signal sent with
# kill() with its sender (si_code <= 0), never "it is running".
def crash($r; $p):
  ($r.verdict[0] // "") as $v |
  same("crashed process"; $t.crash.pid; $p),
  same("\($p) wait kind"; "crashed"; $r.backend.wait.kind),
  same("\($p) verdict names the signal first"; true; $v | test("^PID \($p), [^,]*, (crashed: |was killed by )SIG\($t.crash.signal)\\b")),
  if $t.crash.si_code <= 0 and $t.crash.sender_pid != $p then
    same("\($p) verdict names the sender"; true; $v | contains("sent by PID \($t.crash.sender_pid)"))
  else same("\($p) verdict says it crashed"; true; $v | contains("crashed: SIG\($t.crash.signal)")) end;

def kernel:
  (if $o.instances then $o.instances[0].reports[0] else $o end) as $r | $r.source.pid as $p |
  first($t.captures[] | select(.kind == "kernel" and .pid == $p)) as $c |
  same("\($p) kernel core of a captured process"; true; $c != null),
  same("\($p) signal"; "SIG\($c.signal)"; $r.source.signal),
  if $t.crash then crash($r; $p)
  else identity($r; $p), interrupts($r; $p), dsm($r; $p),
       # only for a process the truth saw asleep: walsender-stopping's spins (/proc: R,
       # gdb's wait_event_info 0) and the kill may land outside any wait (15: in
       # open64 of WalSndSegmentOpen, no wait event), where nothing but the signal is left
       (select(($t.proc[$p | tostring].state // "") | startswith("R") | not) |
        same("\($p) asleep in its wait, not dead of the signal"; false; $r.backend.wait.kind == "crashed")),
       kinds($r; $p; "kernel") end;

(if $what == "gcores-analyze" then (if $o.instances then $o.instances[].reports[] else $o end) as $r | report($r)
 elif $what == "gcores-locks" then instance
 else kernel end) | "\($what | sub("-.*"; "")) \(.)"
