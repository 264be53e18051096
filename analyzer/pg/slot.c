/*
 * Replication slots and a walsender's own entry (pg/storage.h).
 *
 * ReplicationSlotCtl->replication_slots is an array of
 * max_replication_slots slots in the main shared memory.  A process that
 * acquires a slot another process uses (DROP_REPLICATION_SLOT … WAIT)
 * sleeps on that slot's active_cv until active_pid is 0: the CV it sleeps
 * on (cv_sleep_target) is inside the slot, so the slot is found from it.
 * A walsender's positions are its WalSnd entry (MyWalSnd), as
 * pg_stat_replication shows them.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "pg/storage.h"

#define NAMEDATALEN 64         /* NameData: the same in every version */
#define MAX_SLOTS 65536        /* max_replication_slots is at most MAX_BACKENDS */

static struct pgm_error *slot_array(const struct pgm_pg *pg, uint64_t *base, uint64_t *n, uint64_t *size)
{
	uint64_t ctl = 0, off;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global(pg, PGM_G_ReplicationSlotCtl, &ctl)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_max_replication_slots, n)) ||
	    (err = pgm_pg_member_offset(pg, PGM_M_ReplicationSlotCtlData_replication_slots, &off)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_ReplicationSlot, size)))
		return err;
	if (ctl == 0)
		return pgm_error_create(PGM_ERR_LOOKUP, "ReplicationSlotCtl is NULL (max_replication_slots = 0?)");
	if (*n > MAX_SLOTS || *size == 0)
		return pgm_error_create(PGM_ERR_FORMAT, "implausible max_replication_slots %" PRIu64, *n);
	*base = ctl + off;
	return NULL;
}

/* An enumerator in lower case without its prefix ("persistent" from RS_PERSISTENT); "N" when unnamed. */
static struct pgm_error *enum_word(const struct pgm_pg *pg, enum pgm_pg_enum_id id, const char *prefix, uint64_t v,
				   char **ret)
{
	const char *e = pgm_pg_enum_name(pg->layout, id, (int64_t)v);
	if (!e || strncmp(e, prefix, strlen(prefix)) != 0)
		return asprintf(ret, "%" PRIu64, v) < 0 ? (*ret = NULL, &pgm_enomem) : NULL;
	if (!(*ret = strdup(e + strlen(prefix))))
		return &pgm_enomem;
	for (char *p = *ret; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return NULL;
}

static struct pgm_error *read_name(const struct pgm_pg *pg, uint64_t slot, enum pgm_pg_member_id m, char **ret)
{
	uint64_t addr;
	struct pgm_error *err = pgm_pg_member_addr(pg, slot, m, &addr);
	return err ? err : pgm_target_read_text(pg->target, addr, NAMEDATALEN, ret);
}

static struct pgm_error *read_numbers(const struct pgm_pg *pg, uint64_t slot, struct pgm_replication_slot *s,
				      uint64_t *pers)
{
	uint64_t in_use, db, xmin, cxmin;
	int64_t pid;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_in_use, &in_use)) ||
	    (err = pgm_pg_read_member_signed(pg, slot, PGM_M_ReplicationSlot_active_pid, &pid)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_database, &db)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_persistency, pers)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_xmin, &xmin)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_catalog_xmin, &cxmin)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_restart_lsn, &s->restart_lsn)) ||
	    (err = pgm_pg_read_member(pg, slot, PGM_M_ReplicationSlot_confirmed_flush, &s->confirmed_flush)))
		return err;
	s->in_use = in_use != 0;
	s->active_pid = (int32_t)pid;
	s->database = (uint32_t)db;
	s->xmin = (uint32_t)xmin;
	s->catalog_xmin = (uint32_t)cxmin;
	return NULL;
}

struct pgm_error *pgm_pg_read_slot(const struct pgm_pg *pg, uint64_t slot, struct pgm_replication_slot *s)
{
	uint64_t base, n, size, pers;
	s->address = slot;
	s->index = -1;
	struct pgm_error *err = slot_array(pg, &base, &n, &size);
	if (!err && (slot < base || (slot - base) % size || (slot - base) / size >= n))
		err = pgm_error_create(PGM_ERR_FORMAT, "0x%" PRIx64 " is not a replication slot", slot);
	if (err || (err = read_numbers(pg, slot, s, &pers)))
		return err;
	s->index = (int32_t)((slot - base) / size);
	s->known = true;
	bool logical = s->database != 0;
	if ((err = pgm_model_strdup(&s->type, logical ? "logical" : "physical")) ||
	    (err = enum_word(pg, PGM_E_ReplicationSlotPersistency, "RS_", pers, &s->persistency)) ||
	    (err = read_name(pg, slot, PGM_M_ReplicationSlot_name, &s->name)))
		return err;
	return logical ? read_name(pg, slot, PGM_M_ReplicationSlot_plugin, &s->plugin) : NULL;
}

/* The slot whose active_cv is `cv`, else the slot in use named `name`; 0 if neither. */
static struct pgm_error *find_slot(const struct pgm_pg *pg, uint64_t cv, const char *name, uint64_t *ret)
{
	uint64_t base, n, size, cv_off;
	*ret = 0;
	struct pgm_error *err = slot_array(pg, &base, &n, &size);
	if (!err)
		err = pgm_pg_member_offset(pg, PGM_M_ReplicationSlot_active_cv, &cv_off);
	if (err)
		return err;
	if (cv >= base + cv_off && (cv - base - cv_off) % size == 0 && (cv - base - cv_off) / size < n) {
		*ret = cv - cv_off;
		return NULL;
	}
	for (uint64_t i = 0; name && i < n; i++) {
		char *s = NULL;
		uint64_t in_use = 0;
		err = pgm_pg_read_member(pg, base + i * size, PGM_M_ReplicationSlot_in_use, &in_use);
		if (!err && in_use)
			err = read_name(pg, base + i * size, PGM_M_ReplicationSlot_name, &s);
		bool match = !err && s && strcmp(s, name) == 0;
		free(s);
		if (err || match) {
			*ret = match ? base + i * size : 0;
			return err;
		}
	}
	return NULL;
}

struct pgm_error *pgm_pg_read_slot_wait(const struct pgm_pg *pg, uint64_t cv, const char *name,
					struct pgm_report *r)
{
	struct pgm_replication_slot *s = &r->wait.slot.slot;
	uint64_t slot = 0;
	struct pgm_error *err = find_slot(pg, cv, name, &slot);
	if (!err && !slot)
		err = pgm_error_create(PGM_ERR_LOOKUP, "no replication slot %s%s%s", cv ? "has the condition variable it sleeps on" : "",
				       name ? " is named " : "", name ? name : "");
	if (!err) {
		r->wait.address = slot;
		r->wait.has_address = true;
		err = pgm_pg_read_slot(pg, slot, s);
	}
	if (err)
		return pgm_pg_note_failure(r, "slot-unknown", "the replication slot", slot, err);
	r->wait.holders_known = true;
	if (s->active_pid == 0 || s->active_pid == r->pid)
		return NULL;
	return pgm_wait_add_holder(&r->wait, s->active_pid, -1, PGM_HOLDER_SLOT, NULL, NULL);
}

struct pgm_error *pgm_pg_read_walsnd(const struct pgm_pg *pg, uint64_t walsnd, struct pgm_my_walsender *ws)
{
	uint64_t state;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member(pg, walsnd, PGM_M_WalSnd_state, &state)) ||
	    (err = pgm_pg_read_member(pg, walsnd, PGM_M_WalSnd_sentPtr, &ws->sent)) ||
	    (err = pgm_pg_read_member(pg, walsnd, PGM_M_WalSnd_write, &ws->write)) ||
	    (err = pgm_pg_read_member(pg, walsnd, PGM_M_WalSnd_flush, &ws->flush)) ||
	    (err = pgm_pg_read_member(pg, walsnd, PGM_M_WalSnd_apply, &ws->apply)))
		return err;
	ws->known = true;
	/* as pg_stat_replication.state says it */
	return enum_word(pg, PGM_E_WalSndState, "WALSNDSTATE_", state, &ws->state);
}

struct pgm_error *pgm_pg_read_walsender(const struct pgm_pg *pg, struct pgm_report *r)
{
	uint64_t walsnd = 0, slot = 0, stopping = 0;
	struct pgm_my_walsender *ws = &r->walsender;
	struct pgm_error *err = pgm_pg_read_global(pg, PGM_G_MyWalSnd, &walsnd);
	if (err || walsnd == 0) {
		pgm_error_destroy(err);   /* not a walsender (or a build without them): nothing to say */
		return NULL;
	}
	if ((err = pgm_pg_read_walsnd(pg, walsnd, ws)))
		return pgm_pg_note_failure(r, "walsender-unknown", "the walsender's WalSnd entry", walsnd, err);
	if (!(err = pgm_pg_read_global(pg, PGM_G_got_STOPPING, &stopping)))
		ws->got_stopping = (struct pgm_counter){ true, (int64_t)stopping };
	else if ((err = pgm_pg_note_failure(r, "walsender-unknown", "got_STOPPING", 0, err)))
		return err;
	if ((err = pgm_pg_read_global(pg, PGM_G_MyReplicationSlot, &slot)) || slot == 0)
		return pgm_pg_note_failure(r, "walsender-unknown", "MyReplicationSlot", 0, err);
	err = read_name(pg, slot, PGM_M_ReplicationSlot_name, &ws->slot);
	return pgm_pg_note_failure(r, "walsender-unknown", "the walsender's slot", slot, err);
}
