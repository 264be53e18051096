/*
 * Heavyweight locks: the LOCK a backend sleeps on in ProcSleep, its tag,
 * the PROCLOCKs that hold it and the PGPROCs queued on it.
 *
 * Who blocks whom follows pg_blocking_pids(): a holder whose holdMask
 * conflicts with the requested mode (hard), or a waiter ahead of us in the
 * wait queue whose requested mode conflicts (soft); members of our own lock
 * group never block us.  Conflicts come from the process's LockConflicts[]
 * and mode names from its lock_mode_names[], never from tables of our own.
 *
 * LOCK.procLocks and LOCK.waitProcs are rings of {prev, next} nodes:
 * SHM_QUEUE up to 15, dlist_head/dclist_head from 16.  Which one applies is
 * told by which member path resolved.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

#define MAX_LOCKMODES 16     /* LOCKMASK bits; MAX_LOCKMODES in lock.h */

struct pgm_error *pgm_pg_walk_ring(const struct pgm_pg *pg, uint64_t head, uint64_t next_off,
				   uint64_t link_off, uint64_t **ret, size_t *n)
{
	*n = 0;
	*ret = NULL;
	uint64_t cur, slow = head;
	struct pgm_error *err = pgm_target_read_u64(pg->target, head + next_off, &cur);
	if (err)
		return err;
	while (cur != head && cur != 0) {
		if (*n >= PGM_PG_MAX_LIST)
			return pgm_error_create(PGM_ERR_LIMIT, "list at 0x%" PRIx64 " has more than %d entries",
						head, PGM_PG_MAX_LIST);
		if (*n % 64 == 0) {
			uint64_t *grown = realloc(*ret, (*n + 64) * sizeof(**ret));
			if (!grown)
				return &pgm_enomem;
			*ret = grown;
		}
		(*ret)[(*n)++] = cur - link_off;
		/* Floyd: `slow` moves every other step; meeting it is a cycle off the head */
		if (*n % 2 == 0 && (err = pgm_target_read_u64(pg->target, slow + next_off, &slow)))
			return err;
		if ((err = pgm_target_read_u64(pg->target, cur + next_off, &cur)))
			return err;
		if (cur == slow && cur != head)
			return pgm_error_create(PGM_ERR_LIMIT, "list at 0x%" PRIx64 " has a cycle", head);
	}
	return NULL;
}

/* The ring at base + head member, whose next pointer is the `next` member. */
static bool ring_members(const struct pgm_pg *pg, enum pgm_pg_member_id head, enum pgm_pg_member_id next,
			 uint64_t *head_off, uint64_t *next_off)
{
	const struct pgm_pg_member *h = &pg->layout->members[head], *x = &pg->layout->members[next];
	if (!h->found || !x->found || x->offset < h->offset)
		return false;
	*head_off = h->offset;
	*next_off = x->offset - h->offset;
	return true;
}

static struct pgm_error *walk_lock_ring(const struct pgm_pg *pg, uint64_t lock, bool wait_procs,
					uint64_t **ret, size_t *n)
{
	uint64_t head_off, next_off, link_off;
	bool ok = wait_procs
		? ring_members(pg, PGM_M_LOCK_waitProcs_dlist_head, PGM_M_LOCK_waitProcs_dlist_head_next, &head_off, &next_off) ||
		  ring_members(pg, PGM_M_LOCK_waitProcs_links, PGM_M_LOCK_waitProcs_links_next, &head_off, &next_off)
		: ring_members(pg, PGM_M_LOCK_procLocks_head, PGM_M_LOCK_procLocks_head_next, &head_off, &next_off) ||
		  ring_members(pg, PGM_M_LOCK_procLocks, PGM_M_LOCK_procLocks_next, &head_off, &next_off);
	*ret = NULL;
	*n = 0;
	if (!ok)
		return pgm_error_create(PGM_ERR_LOOKUP, "LOCK.%s is not in this build's debuginfo",
					wait_procs ? "waitProcs" : "procLocks");
	struct pgm_error *err = pgm_pg_member_offset(pg, wait_procs ? PGM_M_PGPROC_links : PGM_M_PROCLOCK_lockLink,
						     &link_off);
	if (err)
		return err;
	return pgm_pg_walk_ring(pg, lock + head_off, next_off, link_off, ret, n);
}

/* ---- lock modes ---- */

struct pgm_error *pgm_pg_lock_conflicts(const struct pgm_pg *pg, uint32_t mode, uint32_t *ret)
{
	const struct pgm_pg_global *g = &pg->layout->globals[PGM_G_LockConflicts];
	if (!g->found || !g->elements || g->size % g->elements)
		return pgm_error_create(PGM_ERR_LOOKUP, "LockConflicts is not in this build's debuginfo");
	uint64_t esize = g->size / g->elements;
	if (mode >= g->elements || esize == 0 || esize > 4)
		return pgm_error_create(PGM_ERR_LIMIT, "lock mode %" PRIu32 " past the %" PRIu64
					" entries of LockConflicts", mode, g->elements);
	uint32_t v = 0;
	struct pgm_error *err = pgm_target_read(pg->target, g->address + mode * esize, &v, esize);
	if (!err)
		*ret = v;
	return err;
}

/* Names of the modes in mask, joined by "+"; "mode N" where unnamed. */
struct pgm_error *pgm_pg_lock_mask_names(const struct pgm_pg *pg, uint32_t mask, char **ret)
{
	char buf[512] = "";
	size_t used = 0;
	for (uint32_t m = 1; m < MAX_LOCKMODES; m++) {
		if (!(mask & (1U << m)))
			continue;
		char *name = NULL;
		struct pgm_error *err = pgm_pg_read_name_array(pg, PGM_G_lock_mode_names, m, &name);
		if (err == &pgm_enomem)
			return err;
		pgm_error_destroy(err);
		int k = name ? snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "+" : "", name)
			     : snprintf(buf + used, sizeof(buf) - used, "%smode %" PRIu32, used ? "+" : "", m);
		free(name);
		if (k > 0 && (size_t)k < sizeof(buf) - used)
			used += (size_t)k;
	}
	*ret = strdup(buf);
	return *ret ? NULL : &pgm_enomem;
}

/* ---- the tag ---- */

struct pgm_error *pgm_pg_read_locktag(const struct pgm_pg *pg, uint64_t lock, struct pgm_pg_locktag *t)
{
	static const enum pgm_pg_member_id fields[4] = {
		PGM_M_LOCKTAG_field1, PGM_M_LOCKTAG_field2, PGM_M_LOCKTAG_field3, PGM_M_LOCKTAG_field4,
	};
	uint64_t tag;
	memset(t, 0, sizeof(*t));
	struct pgm_error *err = pgm_pg_member_addr(pg, lock, PGM_M_LOCK_tag, &tag);
	for (int i = 0; !err && i < 4; i++)
		err = pgm_pg_read_member(pg, tag, fields[i], &t->f[i]);
	if (!err)
		err = pgm_pg_read_member(pg, tag, PGM_M_LOCKTAG_type, &t->type);
	return err;
}

static bool is(const char *type_name, const char *name)
{
	return strcmp(type_name, name) == 0;
}

/* Which pg_locks columns a locktype fills, and from which tag fields (lockfuncs.c). */
static void tag_columns(const struct pgm_pg_locktag *t, struct pgm_lock_tag *o)
{
	const char *n = o->locktype;
	if (is(n, "transactionid")) {
		o->has_transactionid = true, o->transactionid = (uint32_t)t->f[0];
		return;
	}
	if (is(n, "virtualxid")) {
		o->has_virtualxid = true;
		return;
	}
	if (is(n, "spectoken")) {
		o->has_transactionid = o->has_objid = true;
		o->transactionid = (uint32_t)t->f[0], o->objid = (uint32_t)t->f[1];
		return;
	}
	o->has_database = true, o->database = (uint32_t)t->f[0];
	if (is(n, "frozenid"))
		return;
	if (is(n, "relation") || is(n, "extend") || is(n, "page") || is(n, "tuple")) {
		o->has_relation = true, o->relation = (uint32_t)t->f[1];
		o->has_page = is(n, "page") || is(n, "tuple"), o->page = (uint32_t)t->f[2];
		o->has_tuple = is(n, "tuple"), o->tuple = (uint32_t)t->f[3];
		if (!o->has_page)
			o->page = 0;
		if (!o->has_tuple)
			o->tuple = 0;
		return;
	}
	o->has_classid = o->has_objid = o->has_objsubid = true;
	o->classid = (uint32_t)t->f[1], o->objid = (uint32_t)t->f[2], o->objsubid = (uint32_t)t->f[3];
}

struct pgm_error *pgm_pg_lock_tag(const struct pgm_pg *pg, const struct pgm_pg_locktag *t,
				  struct pgm_lock_tag *ret, bool *named)
{
	memset(ret, 0, sizeof(*ret));
	struct pgm_error *err = pgm_pg_read_name_array(pg, PGM_G_LockTagTypeNames, t->type, &ret->locktype);
	if (err == &pgm_enomem)
		return err;
	*named = err == NULL;
	/* an unnamed type is shown by number: the caller decides whether that means damage */
	pgm_error_destroy(err);
	if (!ret->locktype && asprintf(&ret->locktype, "locktag type %" PRIu64, t->type) < 0)
		return ret->locktype = NULL, &pgm_enomem;
	tag_columns(t, ret);
	if (ret->has_virtualxid && asprintf(&ret->virtualxid, "%" PRIu64 "/%" PRIu64, t->f[0], t->f[1]) < 0) {
		ret->virtualxid = NULL;
		pgm_lock_tag_deinit(ret);
		return &pgm_enomem;
	}
	return NULL;
}

/* ---- blockers ---- */

struct request {
	uint64_t lock, proc, leader;
	uint32_t mode, conflicts;
	char *mode_name;
};

static struct pgm_error *add_blocker(const struct pgm_pg *pg, uint64_t proc, uint32_t mask,
				     enum pgm_holder_how how, struct pgm_wait *w)
{
	uint64_t pid = 0;
	int32_t procno = PGM_INVALID_PROCNO;
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_pid, &pid);
	if (err)
		return err;
	/* a PGPROC outside allProcs still has a pid; its number stays unknown */
	pgm_error_destroy(pgm_pg_procno(pg, proc, &procno));
	char *names;
	if ((err = pgm_pg_lock_mask_names(pg, mask, &names)))
		return err;
	err = pgm_wait_add_holder(w, (int32_t)pid, procno, how, names, NULL);
	free(names);
	return err;
}

static struct pgm_error *add_holders(const struct pgm_pg *pg, const struct request *q, struct pgm_wait *w)
{
	uint64_t *pl;
	size_t n;
	struct pgm_error *err = walk_lock_ring(pg, q->lock, false, &pl, &n);
	for (size_t i = 0; !err && i < n; i++) {
		uint64_t proc, leader, hold;
		if ((err = pgm_pg_read_member(pg, pl[i], PGM_M_PROCLOCK_myProc, &proc)) ||
		    (err = pgm_pg_read_member(pg, pl[i], PGM_M_PROCLOCK_groupLeader, &leader)) ||
		    (err = pgm_pg_read_member(pg, pl[i], PGM_M_PROCLOCK_holdMask, &hold)))
			break;
		if ((hold & q->conflicts) && leader != q->leader && proc != q->proc)
			err = add_blocker(pg, proc, (uint32_t)(hold & q->conflicts), PGM_HOLDER_HOLDS, w);
	}
	free(pl);
	return err;
}

static struct pgm_error *leader_of(const struct pgm_pg *pg, uint64_t proc, uint64_t *ret)
{
	struct pgm_error *err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_lockGroupLeader, ret);
	if (!err && *ret == 0)
		*ret = proc;
	return err;
}

/* A waiter ahead of us whose requested mode conflicts with ours (pg_blocking_pids' soft block). */
static struct pgm_error *check_ahead(const struct pgm_pg *pg, uint64_t proc, const struct request *q,
				     struct pgm_wait *w)
{
	uint64_t mode, leader;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitLockMode, &mode)) ||
	    (err = leader_of(pg, proc, &leader)))
		return err;
	if (mode >= MAX_LOCKMODES || !(q->conflicts & (1U << mode)) || leader == q->leader)
		return NULL;
	return add_blocker(pg, proc, 1U << mode, PGM_HOLDER_QUEUED_AHEAD, w);
}

static struct pgm_error *add_queue(const struct pgm_pg *pg, const struct request *q, struct pgm_wait *w)
{
	uint64_t *procs;
	size_t n;
	bool ahead = true;
	struct pgm_error *err = walk_lock_ring(pg, q->lock, true, &procs, &n);
	for (size_t i = 0; !err && i < n; i++) {
		uint64_t pid = 0;
		int32_t procno = PGM_INVALID_PROCNO;
		if ((err = pgm_pg_read_member(pg, procs[i], PGM_M_PGPROC_pid, &pid)))
			break;
		/* as in add_blocker: the pid is what matters */
		pgm_error_destroy(pgm_pg_procno(pg, procs[i], &procno));
		if ((err = pgm_wait_add_waiter(w, procno, (int32_t)pid, procs[i] == q->proc)))
			break;
		if (procs[i] == q->proc)
			ahead = false;
		else if (ahead)
			err = check_ahead(pg, procs[i], q, w);
	}
	free(procs);
	w->waiters_known = err == NULL;
	return err;
}

static struct pgm_error *read_request(const struct pgm_pg *pg, uint64_t proc, struct request *q)
{
	uint64_t mode;
	struct pgm_error *err;
	q->proc = proc;
	if ((err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitLock, &q->lock)) ||
	    (err = pgm_pg_read_member(pg, proc, PGM_M_PGPROC_waitLockMode, &mode)) ||
	    (err = leader_of(pg, proc, &q->leader)))
		return err;
	if (q->lock == 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "MyProc->waitLock is NULL: not waiting on a lock");
	if (mode == 0 || mode >= MAX_LOCKMODES)
		return pgm_error_create(PGM_ERR_FORMAT, "MyProc->waitLockMode is %" PRIu64 ", not a lock mode", mode);
	q->mode = (uint32_t)mode;
	if ((err = pgm_pg_lock_conflicts(pg, q->mode, &q->conflicts)))
		return err;
	return pgm_pg_lock_mask_names(pg, 1U << q->mode, &q->mode_name);
}

static struct pgm_error *read_tag(const struct pgm_pg *pg, const struct request *q, struct pgm_hwlock_wait *h)
{
	struct pgm_pg_locktag t;
	bool named;
	struct pgm_error *err = pgm_pg_read_locktag(pg, q->lock, &t);
	if (!err)
		err = pgm_pg_lock_tag(pg, &t, &h->tag, &named);
	h->tag_known = err == NULL;
	return err;
}

struct pgm_error *pgm_pg_read_hwlock_wait(const struct pgm_pg *pg, uint64_t proc, struct pgm_wait *w)
{
	struct request q = { .mode_name = NULL };
	struct pgm_error *err = read_request(pg, proc, &q);
	if (!err) {
		w->address = q.lock;
		w->has_address = true;
		err = pgm_model_strdup(&w->hwlock.mode, q.mode_name);
	}
	if (!err)
		err = read_tag(pg, &q, &w->hwlock);
	if (!err && !(err = add_holders(pg, &q, w)))
		err = add_queue(pg, &q, w);
	w->holders_known = err == NULL;
	free(q.mode_name);
	return err;
}
