# pgmortem.gdb: pgmortem's answers inside gdb, in gdb's own command language.
# Needs no Python and no Guile: tested with gdb 13.1, Debian's gdb and
# gdb-minimal; it uses only pipe, eval, $_gdb_setting, $_inferior_thread_count,
# $_shell_exitcode and `frame apply`, which older gdbs may lack.
#
#   (gdb) source /usr/local/share/pgmortem/pgmortem.gdb
#   (gdb) pgmortem                 why the process (or core) gdb is looking at is stuck
#   (gdb) pgmortem-backends        every backend of its instance, and who waits on whom
#   (gdb) pgmortem-print EXPR      a PostgreSQL value: pgmortem-print MyProc->pid
#
# Each command pipes what gdb knows (`info inferiors`, `info files`, the current
# thread and frame 0's `info registers`) into `pgmortem gdb`, which runs the
# standalone command on it: `pgmortem analyze CORE -e EXE` for a core file,
# `pgmortem live PID` with gdb's registers for a process gdb is attached to (gdb
# holds it stopped; pgmortem reads its memory straight from it and unwinds
# the stack from those registers).
#
# The pgmortem program: $pgmortem_path if set
#   (gdb) set $pgmortem_path = "/opt/pgmortem/bin/pgmortem"
# else the environment variable PGMORTEM, else the PATH.  Its exit status is
# left in $_shell_exitcode (0 complete, 1 partial, 2 nothing usable).

# Sourcing the file again redefines the commands without asking.
set $_pgmortem_confirm = $_gdb_setting("confirm")
set confirm off

define pgmortem-gdb-context
  if $_isvoid($pgmortem_path)
    echo \n
  else
    printf "%s\n", $pgmortem_path
  end
  echo pgmortem-action: $arg0\n
  info inferiors
  info files
  if $_inferior_thread_count > 0
    thread
    frame apply level 0 -q info registers
  end
  if $argc > 1
    echo pgmortem-words:
    set $_pgmortem_i = 1
    while $_pgmortem_i < $argc
      eval "echo \\ $arg%d", $_pgmortem_i
      set $_pgmortem_i = $_pgmortem_i + 1
    end
    echo \n
  end
end
document pgmortem-gdb-context
Internal to pgmortem.gdb: prints what gdb knows for `pgmortem gdb` (ACTION [WORDS]).
end

define pgmortem-gdb-check
  if $_shell_exitcode == 127
    echo pgmortem: the pgmortem program was not found: set $pgmortem_path = "/path/to/pgmortem", or PGMORTEM in the environment, or put it on the PATH\n
  end
end
document pgmortem-gdb-check
Internal to pgmortem.gdb: explains a pgmortem program that could not be run.
end

define pgmortem-gdb-nothing
  echo pgmortem: gdb has neither a process nor a core file: 'attach PID' or 'core-file CORE' first\n
end
document pgmortem-gdb-nothing
Internal to pgmortem.gdb: the one line when there is nothing to analyse.
end

# gdb's CLI cannot forward a variable argument list, so each command picks its
# `pipe` line by $argc.  The shell part reads the pgmortem path (the first line)
# and, if there is no such program, drains its input so that gdb's write does
# not fail, and exits 127 for pgmortem-gdb-check.
define pgmortem
  if $_inferior_thread_count == 0
    pgmortem-gdb-nothing
  else
    if $argc == 0
      pipe -d @|@ pgmortem-gdb-context analyze @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
    else
      if $argc == 1
        pipe -d @|@ pgmortem-gdb-context analyze $arg0 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
      else
        if $argc == 2
          pipe -d @|@ pgmortem-gdb-context analyze $arg0 $arg1 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
        else
          pipe -d @|@ pgmortem-gdb-context analyze $arg0 $arg1 $arg2 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
        end
      end
    end
    pgmortem-gdb-check
  end
end
document pgmortem
Why the PostgreSQL backend gdb is looking at is stuck: pgmortem's wait analysis.
Usage: pgmortem [--full-stack] [--format json]
What it waits on (condition variable, LWLock, heavyweight lock, latch, socket),
who is queued with it, who can release it, whether pg_cancel_backend and
pg_terminate_backend can work, and its stack -- the same report as
  pgmortem analyze CORE -e EXE     when gdb has a core file loaded,
  pgmortem live PID                when gdb is attached to the process:
gdb holds the process stopped and hands over the registers of its current
thread, so pgmortem unwinds the stack and reads memory straight from the process.
Needs no Python.  The pgmortem program: $pgmortem_path, else $PGMORTEM, else PATH.
end

define pgmortem-backends
  if $_inferior_thread_count == 0
    pgmortem-gdb-nothing
  else
    if $argc == 0
      pipe -d @|@ pgmortem-gdb-context backends @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
    else
      if $argc == 1
        pipe -d @|@ pgmortem-gdb-context backends $arg0 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
      else
        if $argc == 2
          pipe -d @|@ pgmortem-gdb-context backends $arg0 $arg1 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
        else
          pipe -d @|@ pgmortem-gdb-context backends $arg0 $arg1 $arg2 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
        end
      end
    end
    pgmortem-gdb-check
  end
end
document pgmortem-backends
Every backend of the PostgreSQL instance of the process gdb is looking at.
Usage: pgmortem-backends [--format json]
As pg_stat_activity showed it (pid, type, state, wait event, leader, query),
with pg_blocking_pids() and the wait-for graph -- the same table as
  pgmortem backends CORE -e EXE    for a core file,
  pgmortem live --instance PID     for a live process (the other processes of the
                                   instance are each stopped for milliseconds).
end

define pgmortem-print
  if $argc == 0
    echo usage: pgmortem-print EXPR   (e.g. pgmortem-print MyProc->pid)\n
  else
  if $_inferior_thread_count == 0
    pgmortem-gdb-nothing
  else
    if $argc == 1
      pipe -d @|@ pgmortem-gdb-context print $arg0 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
    else
      if $argc == 2
        pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
      else
        if $argc == 3
          pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
        else
          if $argc == 4
            pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 $arg3 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
          else
            if $argc == 5
              pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 $arg3 $arg4 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
            else
              if $argc == 6
                pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 $arg3 $arg4 $arg5 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
              else
                if $argc == 7
                  pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
                else
                  if $argc == 8
                    pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
                  else
                    pipe -d @|@ pgmortem-gdb-context print $arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7 $arg8 @|@ sh -c 'read -r p; p=${p:-${PGMORTEM:-pgmortem}}; command -v "$p" >/dev/null || { cat >/dev/null; exit 127; }; exec "$p" gdb'
                  end
                end
              end
            end
          end
        end
      end
    end
    pgmortem-gdb-check
  end
  end
end
document pgmortem-print
Prints a value of the process gdb is looking at, the way pgmortem print does.
Usage: pgmortem-print EXPR   (at most 9 words)
EXPR is pgmortem print's small C expression, decoded with PostgreSQL's DWARF:
  pgmortem-print MyProc->pid
  pgmortem-print *MyLatch
  pgmortem-print ProcGlobal->allProcs[3].pid
  pgmortem-print condition_variable.c:cv_sleep_target
  pgmortem-print frame 14 query_string
Unlike gdb's print, a member in memory the core lacks prints as
<not captured at 0x... (mapping ...)> and the rest carries on.  For a live
process pgmortem takes a snapshot of it first (with gdb's registers).
end

if $_pgmortem_confirm
  set confirm on
end
