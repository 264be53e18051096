/*
 * The words derived from a wait's typed facts: what kind of object it is,
 * one line describing it, and why each holder blocks it.  Written here and
 * only here, so that JSON, text and the verdict say the same thing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/storage.h"
#include "model/model.h"

/* "relation 16384 (database 5)": a lock tag as people read it. */
static void tag_words(const struct pgm_lock_tag *t, char *buf, size_t len)
{
	const char *type = t->locktype ? t->locktype : "?";
	if (strcmp(type, "relation") == 0 || strcmp(type, "extend") == 0)
		snprintf(buf, len, "%s %" PRIu32 " (database %" PRIu32 ")",
			 strcmp(type, "extend") == 0 ? "extending relation" : "relation", t->relation, t->database);
	else if (strcmp(type, "tuple") == 0)
		snprintf(buf, len, "tuple (%" PRIu32 ",%" PRIu32 ") of relation %" PRIu32 " (database %" PRIu32 ")",
			 t->page, t->tuple, t->relation, t->database);
	else if (strcmp(type, "page") == 0)
		snprintf(buf, len, "page %" PRIu32 " of relation %" PRIu32 " (database %" PRIu32 ")",
			 t->page, t->relation, t->database);
	else if (t->has_transactionid && t->has_objid)
		snprintf(buf, len, "speculative insertion token %" PRIu32 " of transaction %" PRIu32,
			 t->objid, t->transactionid);
	else if (t->has_transactionid)
		snprintf(buf, len, "transaction %" PRIu32, t->transactionid);
	else if (t->has_virtualxid)
		snprintf(buf, len, "virtual transaction %s", t->virtualxid ? t->virtualxid : "?");
	else if (t->has_classid)
		snprintf(buf, len, "%s lock (%" PRIu32 ", %" PRIu32 ", %" PRIu32 ", %" PRIu32 ")",
			 type, t->database, t->classid, t->objid, t->objsubid);
	else
		snprintf(buf, len, "%s lock", type);
}

static struct pgm_error *replace(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct pgm_error *replace(char **dst, const char *fmt, ...)
{
	free(*dst);
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(dst, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return *dst = NULL, &pgm_enomem;
	return NULL;
}

static struct pgm_error *describe_hwlock(struct pgm_wait *w)
{
	const struct pgm_hwlock_wait *h = &w->hwlock;
	const char *mode = h->mode ? h->mode : "a lock";
	struct pgm_error *err = NULL;
	if (h->tag_known) {
		char what[256];
		tag_words(&h->tag, what, sizeof(what));
		err = replace(&w->description, "%s on %s", mode, what);
	}
	for (size_t i = 0; !err && i < w->n_holders; i++) {
		struct pgm_holder *x = &w->holders[i];
		if (x->how == PGM_HOLDER_LWLOCK)
			continue;
		err = replace(&x->evidence, "%s %s, which conflicts with %s",
			      x->how == PGM_HOLDER_HOLDS ? "holds" : "queued ahead, requests",
			      x->mode ? x->mode : "a mode", mode);
	}
	return err;
}

static struct pgm_error *describe_lwlock(struct pgm_wait *w)
{
	const struct pgm_lwlock_wait *l = &w->lwlock;
	char held[64] = "";
	if (l->state_known && l->exclusive)
		snprintf(held, sizeof(held), "; it is held exclusively");
	else if (l->state_known && l->shared)
		snprintf(held, sizeof(held), "; it is held shared by %" PRIu32, l->shared);
	struct pgm_error *err = NULL;
	if (l->tranche)
		err = replace(&w->description, "%s LWLock at 0x%" PRIx64 " (%s mode)%s", l->tranche, w->address,
			      l->mode ? l->mode : "unknown", held);
	for (size_t i = 0; !err && i < w->n_holders; i++) {
		struct pgm_holder *x = &w->holders[i];
		err = replace(&x->evidence, "waits on the %s LWLock at 0x%" PRIx64 ", which %d holds %s "
			      "(held_lwlocks in its core%s%s)", l->tranche ? l->tranche : "", w->address, x->pid,
			      x->mode ? x->mode : "", x->core ? ", " : "", x->core ? x->core : "");
	}
	return err;
}

static const char *object_kind(const struct pgm_wait *w)
{
	switch (w->kind) {
	case PGM_WAIT_CONDITION_VARIABLE:
		return w->cv.owner == PGM_CV_OWNER_BTREE_SCAN ? "btree parallel scan condition variable"
							     : "condition variable";
	case PGM_WAIT_HEAVYWEIGHT_LOCK: return "heavyweight lock";
	case PGM_WAIT_LWLOCK: return "LWLock";
	case PGM_WAIT_SYNC_REP: return "synchronous replication";
	case PGM_WAIT_MESSAGE_QUEUE: return "shared message queue";
	case PGM_WAIT_PROCSIGNAL_BARRIER: return "ProcSignal barrier";
	default: return NULL;
	}
}

struct pgm_error *pgm_describe_wait(struct pgm_wait *w)
{
	struct pgm_error *err = NULL;
	const char *kind = object_kind(w);
	free(w->object_kind);
	w->object_kind = NULL;
	if (kind && (err = pgm_model_strdup(&w->object_kind, kind)))
		return err;
	if (w->kind == PGM_WAIT_HEAVYWEIGHT_LOCK)
		return describe_hwlock(w);
	if (w->kind == PGM_WAIT_LWLOCK)
		return describe_lwlock(w);
	return pgm_describe_storage_wait(w);
}

struct pgm_error *pgm_explain_report(struct pgm_report *r)
{
	struct pgm_error *err = pgm_explain_waits(r);
	if (!err)
		err = pgm_assess_killability(r);
	if (!err && r->is_backend)
		err = pgm_describe_wait(&r->wait);
	return err ? err : pgm_compose_verdict(r);
}

struct pgm_error *pgm_explain_instance(struct pgm_instance *inst)
{
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < inst->n_backends; i++)
		if (inst->backends[i].hwlock)
			err = pgm_describe_wait(inst->backends[i].hwlock);
	for (size_t i = 0; !err && i < inst->n_reports; i++)
		err = pgm_explain_report(inst->reports[i]);
	return err;
}
