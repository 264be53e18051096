/*
 * Renderers for live processes and snapshots: the wait report plus the
 * facts only a live process has (state, wchan, kernel stack, the freeze).
 */
#ifndef PGMORTEM_RENDER_LIVE_H
#define PGMORTEM_RENDER_LIVE_H

#include <stdio.h>

#include "pgmortem/live.h"
#include "pgmortem/report.h"
#include "pgmortem/snapshot.h"
#include "render/report_render.h"

/* The report as `pgmortem analyze` prints it, then a "Live process" section. */
void pgm_render_live_report_text(FILE *out, const struct pgm_report *r,
				 const struct pgm_live_facts *f, const struct pgm_text_style *st);
/*
 * The report's JSON ("schema": 1) with source.freeze_ms and source.live
 * added: {state, state_name, wchan, kernel_stack, off_cpu_s, age_s, cpu_s,
 * voluntary_switches, involuntary_switches, tracer: {pid, comm, cmdline} |
 * null, stopped, threads_stopped, frozen_bytes, frozen, read_after_resume,
 * not_stopped_why}.
 */
void pgm_render_live_report_json(FILE *out, const struct pgm_report *r,
				 const struct pgm_live_facts *f);
/* The live section alone, as a JSON object (the caller owns it). */
json_object *pgm_live_facts_json(const struct pgm_live_facts *f);

struct pgm_instance;

/* One process of a live instance: its pid and facts (NULL if not attached). */
struct pgm_live_member {
	int32_t pid;
	const struct pgm_live_facts *facts;
};

/*
 * pgmortem live --instance: the first report of `inst` (the process asked
 * about, with members[0]'s facts), the instance section (every backend, who
 * waits on whom, LWLock holders), then how each process was attached.
 */
void pgm_render_live_instance_text(FILE *out, const struct pgm_instance *inst,
				   const struct pgm_live_member *members, size_t n,
				   const struct pgm_text_style *st);
/* The first report's JSON with source.live, plus "instance" and "attached": [{pid, stopped, freeze_ms, not_stopped_why}]. */
void pgm_render_live_instance_json(FILE *out, const struct pgm_instance *inst,
				   const struct pgm_live_member *members, size_t n);

/* One paragraph saying what a snapshot holds and how long the freeze was. */
void pgm_render_snapshot_text(FILE *out, const char *path, const struct pgm_live_facts *f,
			      const struct pgm_snapshot_stats *st, const char *excluded_how);
void pgm_render_snapshot_json(FILE *out, const char *path, const struct pgm_live_facts *f,
			      const struct pgm_snapshot_stats *st, const char *excluded_how);

#endif
