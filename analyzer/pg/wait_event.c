/*
 * wait_event_info -> (type, name) exactly as pg_stat_activity shows them.
 *
 * The class is the high byte.  Event names come from the DWARF enum of the
 * class (WaitEventIPC, ...): PostgreSQL 17 and later generate their enums
 * into wait_event_types.h and derive the name from the enumerator
 * (WAIT_EVENT_BTREE_PAGE -> BtreePage); 16 and older hand-wrote the names,
 * which come from wait_event_names_pre17.def.  LWLock events are tranche
 * names and Lock events lock tag type names, both read from the process.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

struct wait_class {
	uint32_t id;
	const char *type;
	int enum_id;             /* enum pgm_pg_enum_id, or -1 */
};

static const struct wait_class wait_classes[] = {
	{ 0x01, "LWLock", -1 },
	{ 0x03, "Lock", -1 },
	{ 0x04, "BufferPin", PGM_E_WaitEventBufferPin },
	{ 0x05, "Activity", PGM_E_WaitEventActivity },
	{ 0x06, "Client", PGM_E_WaitEventClient },
	{ 0x07, "Extension", PGM_E_WaitEventExtension },
	{ 0x08, "IPC", PGM_E_WaitEventIPC },
	{ 0x09, "Timeout", PGM_E_WaitEventTimeout },
	{ 0x0A, "IO", PGM_E_WaitEventIO },
	{ 0x0B, "InjectionPoint", -1 },
};

static const struct { const char *enumerator, *name; } pre17_names[] = {
#define PGM_WAIT_EVENT_NAME(e, n) { #e, n },
#include "pg/wait_event_names_pre17.def"
#undef PGM_WAIT_EVENT_NAME
};

static const struct wait_class *find_class(uint32_t class_id)
{
	for (size_t i = 0; i < sizeof(wait_classes) / sizeof(wait_classes[0]); i++)
		if (wait_classes[i].id == class_id)
			return &wait_classes[i];
	return NULL;
}

/* WAIT_EVENT_BTREE_PAGE -> BtreePage, as PostgreSQL 17+ generate it. */
static char *generated_name(const char *enumerator)
{
	const char *p = enumerator;
	if (strncmp(p, "WAIT_EVENT_", 11) == 0)
		p += 11;
	char *out = malloc(strlen(p) + 1), *o = out;
	if (!out)
		return NULL;
	bool word_start = true;
	for (; *p; p++) {
		if (*p == '_') {
			word_start = true;
			continue;
		}
		*o++ = word_start ? *p : (char)tolower((unsigned char)*p);
		word_start = false;
	}
	*o = '\0';
	return out;
}

static const char *pre17_name(const char *enumerator)
{
	for (size_t i = 0; i < sizeof(pre17_names) / sizeof(pre17_names[0]); i++)
		if (strcmp(pre17_names[i].enumerator, enumerator) == 0)
			return pre17_names[i].name;
	return NULL;
}

static bool enum_is_generated(const struct pgm_pg_enum *e)
{
	return e->decl_file && strstr(e->decl_file, "wait_event_types.h");
}

static char *enum_event_name(const struct pgm_pg *pg, const struct wait_class *c, uint32_t info)
{
	const struct pgm_pg_enum *e = &pg->layout->enums[c->enum_id];
	const char *enumerator = pgm_pg_enum_name(pg->layout, c->enum_id, info);
	if (!enumerator)
		return NULL;
	if (!enum_is_generated(e)) {
		const char *n = pre17_name(enumerator);
		if (n)
			return strdup(n);
	}
	return generated_name(enumerator);
}

static char *lock_event_name(const struct pgm_pg *pg, uint32_t event)
{
	char *name = NULL;
	struct pgm_error *err = pgm_pg_read_name_array(pg, PGM_G_LockTagTypeNames, event, &name);
	pgm_error_destroy(err);
	return err ? NULL : name;
}

static char *event_name(const struct pgm_pg *pg, const struct wait_class *c, uint32_t info)
{
	uint32_t event = info & 0xFFFF;
	char *name = NULL;
	if (c->id == 0x01) {
		struct pgm_error *err = pgm_pg_lwlock_tranche_name(pg, event, &name);
		pgm_error_destroy(err);
	} else if (c->id == 0x03) {
		name = lock_event_name(pg, event);
	} else if (c->id == 0x07 && !pg->layout->enums[PGM_E_WaitEventExtension].found) {
		name = strdup("Extension");  /* before 17 every extension wait is "Extension" */
	} else if (c->id == 0x04 && !pg->layout->enums[PGM_E_WaitEventBufferPin].found) {
		name = strdup("BufferPin");  /* before 17 the only buffer-pin wait */
	} else if (c->enum_id >= 0) {
		name = enum_event_name(pg, c, info);
	}
	return name;
}

struct pgm_error *pgm_pg_wait_event_decode(const struct pgm_pg *pg, uint32_t info,
					   const char **type, char **name)
{
	*type = NULL;
	*name = NULL;
	if (info == 0)
		return NULL;
	const struct wait_class *c = find_class(info >> 24);
	char *n = c ? event_name(pg, c, info) : NULL;
	if (!n && asprintf(&n, "unknown event %" PRIu32, info & 0xFFFF) < 0)
		return &pgm_enomem;
	*type = c ? c->type : "unknown";
	*name = n;
	return NULL;
}

struct pgm_error *pgm_pg_wait_event_fill(const struct pgm_pg *pg, uint32_t info, struct pgm_wait_event *we)
{
	const char *type;
	struct pgm_error *err = pgm_pg_wait_event_decode(pg, info, &type, &we->name);
	if (err)
		return err;
	we->known = true;
	we->info = info;
	return pgm_model_strdup(&we->type, type);
}
