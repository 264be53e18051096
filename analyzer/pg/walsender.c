/*
 * The walsenders (walsender_private.h): WalSndCtl->walsnds[max_wal_senders]
 * in the main shared memory, one slot per walsender, pid 0 when unused.
 * Each slot in use is one row of pg_stat_replication; its application_name
 * is the walsender's PgBackendStatus entry.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"
#include "pg/storage.h"

#define MAX_WAL_SENDERS 262143   /* MAX_BACKENDS: the GUC's upper bound */

/*
 * One slot in use: its state and positions as the walsender's own entry is
 * read (pgm_pg_read_walsnd, pg/storage.h), then what only the array tells.
 */
static struct pgm_error *read_slot(const struct pgm_pg *pg, uint64_t ws, struct pgm_walsender *w)
{
	struct pgm_my_walsender own = { 0 };
	int64_t prio;
	struct pgm_error *err = pgm_pg_read_walsnd(pg, ws, &own);
	w->state = own.state;
	w->sent = own.sent;
	w->write = own.write;
	w->flush = own.flush;
	w->apply = own.apply;
	if (err || (err = pgm_pg_read_member_signed(pg, ws, PGM_M_WalSnd_sync_standby_priority, &prio)))
		return err;
	w->sync_standby_priority = (int32_t)prio;
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
