/*
 * The SIGBUS guard: a core (or a file it names) truncated while mapped.
 *
 * pgmortem reads cores through mmap, and so do libelf and libdwfl, which get
 * the core's Elf built over that mapping.  When another process truncates
 * the file (a cleanup job, a copy restarted over it), touching a page past
 * the new end raises SIGBUS, anywhere: in our memcpy, in a note walk, deep
 * inside libdwfl.  The ways out compared:
 *
 *   - pread with bounds instead of mmap: every read becomes a system call,
 *     and libelf/libdwfl still need an Elf over memory (elf_memory) or their
 *     own file descriptor, which has the same problem.
 *   - fstat before each access: a window remains between the check and the
 *     access, and libdwfl's accesses are not ours to wrap.
 *   - sigsetjmp around each access: cannot cover libdwfl (jumping out of it
 *     leaves its state half-updated) and costs a sigsetjmp per read.
 *   - this: a process-wide SIGBUS handler that, when the faulting address
 *     lies in a registered mapping, maps a page of zeros over the faulting
 *     page (MAP_FIXED, anonymous) and marks the mapping tripped, then
 *     returns so the access completes.  Nothing is done per access and
 *     nothing in proportion to the core's size; whoever owns the mapping
 *     checks the flag (core_guard_tripped) where results are used and turns
 *     it into an error naming the file.  The zeros are never presented as
 *     data: once tripped, every read of that core fails.
 *
 * A fault outside every registered mapping is passed to the handler that was
 * installed before ours (ASan's, libFuzzer's, or the default action, which
 * ends the process as it would have without us).
 *
 * Thread safety: registration is serialized by a mutex; the handler reads
 * the slot table without locks (atomics only), so it may run in any thread
 * at any time.  The handler is installed when the first mapping is
 * registered and the previous disposition is restored when the last one is
 * removed, so a process that has no core open sees its own handlers.
 * mmap() is not on POSIX's list of async-signal-safe functions, but on
 * Linux it is a plain system call with no lock in glibc, which is what the
 * handler relies on.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target/core.h"

/* Mappings guarded at once: cores plus the ELF files they name. */
#define GUARD_SLOTS 4096

struct guard_slot {
	_Atomic uintptr_t start;    /* 0: free */
	_Atomic size_t size;
	_Atomic(atomic_bool *) tripped;
};

static struct guard_slot slots[GUARD_SLOTS];
static _Atomic size_t slots_used;     /* high-water mark: the handler scans [0, used) */
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t n_guarded;              /* under guard_lock */
static struct sigaction previous;     /* written under guard_lock before install */
static uintptr_t page_size;

/* The fault is not ours: behave as if our handler had never been installed. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, si, uc);
		return;
	}
	if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* Default action: a faulting access repeats on return and now kills;
	 * a SIGBUS sent with kill() is raised again (delivered on return). */
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(SIGBUS, &dfl, NULL);
	if (si->si_code <= 0)
		raise(SIGBUS);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	uintptr_t addr = (uintptr_t)si->si_addr;
	size_t used = atomic_load(&slots_used);
	for (size_t i = 0; si->si_code > 0 && i < used; i++) {
		uintptr_t start = atomic_load(&slots[i].start);
		if (!start || addr < start || addr - start >= atomic_load(&slots[i].size))
			continue;
		void *page = (void *)(addr & ~(page_size - 1));
		if (mmap(page, page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		atomic_store(atomic_load(&slots[i].tripped), true);
		errno = saved_errno;
		return;
	}
	errno = saved_errno;
	chain(sig, si, uc);
}

static bool install_locked(void)
{
	page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, &previous) == 0;
}

struct pgm_error *core_guard_add(struct core_guard *g, const void *map, size_t size)
{
	atomic_init(&g->tripped, false);
	g->slot = 0;
	struct pgm_error *err = NULL;
	pthread_mutex_lock(&guard_lock);
	size_t i = 0;
	while (i < GUARD_SLOTS && atomic_load(&slots[i].start))
		i++;
	if (i == GUARD_SLOTS)
		err = pgm_error_create(PGM_ERR_LIMIT, "more than %d files mapped at once", GUARD_SLOTS);
	else if (n_guarded == 0 && !install_locked())
		err = pgm_error_errno(errno, "sigaction(SIGBUS)");
	if (!err) {
		atomic_store(&slots[i].tripped, &g->tripped);
		atomic_store(&slots[i].size, size);
		atomic_store(&slots[i].start, (uintptr_t)map);   /* last: publishes the slot */
		if (i >= atomic_load(&slots_used))
			atomic_store(&slots_used, i + 1);
		n_guarded++;
		g->slot = i + 1;
	}
	pthread_mutex_unlock(&guard_lock);
	return err;
}

void core_guard_remove(struct core_guard *g)
{
	if (!g->slot)
		return;
	pthread_mutex_lock(&guard_lock);
	atomic_store(&slots[g->slot - 1].start, 0);
	g->slot = 0;
	if (--n_guarded == 0)
		sigaction(SIGBUS, &previous, NULL);
	pthread_mutex_unlock(&guard_lock);
}

bool core_guard_tripped(struct core_guard *g)
{
	return atomic_load(&g->tripped);
}
