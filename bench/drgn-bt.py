# drgn's counterpart of `gdb bt` for bench/run: every thread's stack trace.
#   drgn -q -c CORE -s EXE bench/drgn-bt.py
# (drgn 0.0.22, Debian bookworm's python3-drgn, has no -e; the script is a
# positional argument and runs with `prog` bound to the core.)
for thread in prog.threads():
    print(f"thread {thread.tid}")
    print(thread.stack_trace())
