/*
 * The walsenders (walsender_private.h): WalSndCtl->walsnds[max_wal_senders]
 * in the main shared memory, one slot per walsender, pid 0 when unused.
 * Each slot in use is one row of pg_stat_replication; its application_name
 * is the walsender's PgBackendStatus entry.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

#define MAX_WAL_SENDERS 262143   /* MAX_BACKENDS: the GUC's upper bound */

/* WALSNDSTATE_STREAMING -> "streaming", as pg_stat_replication shows it. */
static struct pgm_error *state_name(const struct pgm_pg *pg, int64_t v, char **ret)
{
	const char *e = pgm_pg_enum_name(pg->layout, PGM_E_WalSndState, v);
	const char *prefix = "WALSNDSTATE_";
	if (!e || strncmp(e, prefix, strlen(prefix)) != 0)
		return asprintf(ret, "state %" PRId64, v) < 0 ? &pgm_enomem : NULL;
	if (!(*ret = strdup(e + strlen(prefix))))
		return &pgm_enomem;
	for (char *c = *ret; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return NULL;
}

static struct pgm_error *read_slot(const struct pgm_pg *pg, uint64_t ws, struct pgm_walsender *w)
{
	int64_t state, prio;
	struct pgm_error *err;
	if ((err = pgm_pg_read_member_signed(pg, ws, PGM_M_WalSnd_state, &state)) ||
	    (err = pgm_pg_read_member(pg, ws, PGM_M_WalSnd_sentPtr, &w->sent)) ||
	    (err = pgm_pg_read_member(pg, ws, PGM_M_WalSnd_write, &w->write)) ||
	    (err = pgm_pg_read_member(pg, ws, PGM_M_WalSnd_flush, &w->flush)) ||
	    (err = pgm_pg_read_member(pg, ws, PGM_M_WalSnd_apply, &w->apply)) ||
	    (err = pgm_pg_read_member_signed(pg, ws, PGM_M_WalSnd_sync_standby_priority, &prio)))
		return err;
	w->sync_standby_priority = (int32_t)prio;
	if ((err = state_name(pg, state, &w->state)))
		return err;
	err = pgm_pg_application_name(pg, w->pid, &w->application_name);
	/* a walsender whose status entry is unreadable is still shown, unnamed */
	if (err != &pgm_enomem)
		pgm_error_destroy(err);
	return err == &pgm_enomem ? err : NULL;
}

static void walsenders_free(struct pgm_walsender *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].state);
		free(w[i].application_name);
	}
	free(w);
}

struct pgm_error *pgm_pg_read_walsenders(const struct pgm_pg *pg, struct pgm_walsender **ret, size_t *n,
					 int32_t *slots)
{
	uint64_t ctl, base, stride;
	int64_t max;
	*ret = NULL;
	*n = 0;
	struct pgm_error *err;
	if ((err = pgm_pg_read_global_signed(pg, PGM_G_max_wal_senders, &max)) ||
	    (err = pgm_pg_read_global(pg, PGM_G_WalSndCtl, &ctl)) ||
	    (err = pgm_pg_member_addr(pg, ctl, PGM_M_WalSndCtlData_walsnds, &base)) ||
	    (err = pgm_pg_struct_size(pg, PGM_S_WalSnd, &stride)))
		return err;
	if (max < 0 || max > MAX_WAL_SENDERS)
		return pgm_error_create(PGM_ERR_FORMAT, "max_wal_senders is %" PRId64 ", not a valid setting", max);
	*slots = (int32_t)max;
	if (ctl == 0 || max == 0)
		return NULL;
	struct pgm_walsender *w = calloc((size_t)max, sizeof(*w));
	if (!w)
		return &pgm_enomem;
	for (int64_t i = 0; i < max && !err; i++) {
		uint64_t ws = base + (uint64_t)i * stride;
		int64_t pid;
		if ((err = pgm_pg_read_member_signed(pg, ws, PGM_M_WalSnd_pid, &pid)) || pid <= 0)
			continue;
		w[*n] = (struct pgm_walsender){ .slot = (int32_t)i, .pid = (int32_t)pid };
		err = read_slot(pg, ws, &w[*n]);
		(*n)++;
	}
	if (err) {
		walsenders_free(w, *n);
		*n = 0;
		return err;
	}
	*ret = w;
	return NULL;
}
