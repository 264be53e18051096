# The checks of corpus/check, in one jq program per bundle: what pgmortem
# says against the scenario's truth.json.  They are the checks of
# tests/integration/analyze-vs-truth, instance-vs-truth and cv-vs-gdb (run
# there on the cores, here on the bundles), written for one jq process
# each, so that the whole corpus is checked in seconds; a check added
# there belongs here too.
#
# Called with --slurpfile truth T and --slurpfile out O (pgmortem's JSON) and
# --arg what gcores-analyze|gcores-locks|kernel; prints one line per mismatch.

$truth[0] as $t | $out[0] as $o |

def same($name; $want; $got):
  if ($want | tostring) == ($got | tostring) then empty
  else "\($name): truth '\($want | tostring)', pgmortem '\($got | tostring)'" end;

def activity($p): first($t.pg_stat_activity[] | select(.pid == $p)) // {};
def gdb($p): $t.gdb[$p | tostring] // {};

# ---- one report (analyze-vs-truth) ----

def identity($r; $p):
  activity($p) as $a |
  same("\($p) pid"; $p; $r.backend.pid),
  same("\($p) backend_type"; $a.backend_type; $r.backend.backend_type),
  same("\($p) leader_pid"; $a.leader_pid; $r.backend.leader_pid),
  same("\($p) wait_event_type"; $a.wait_event_type; $r.backend.wait_event.type),
  same("\($p) wait_event"; $a.wait_event; $r.backend.wait_event.name),
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

def report($r):
  $r.backend.pid as $p |
  identity($r; $p), interrupts($r; $p), parallel_worker($r; $p), lock_blockers($r; $p), lwlock_wait($r; $p);

# ---- the instance (instance-vs-truth) ----

def row($p): first($o.backends[] | select(.pid == $p)) // {};

def backends:
  ($t.pg_stat_activity[] as $a |
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
        [$o.graph.edges[] | select(.from == $t.roles.waiter and .kind == "lwlock") | .to] | join(",")));

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
       same("\($p) asleep in its wait, not dead of the signal"; false; $r.backend.wait.kind == "crashed") end;

if $what == "gcores-analyze" then (if $o.instances then $o.instances[].reports[] else $o end) as $r | report($r)
elif $what == "gcores-locks" then instance
else kernel end
