/*
 * The per-module name cache: the named top-level entries (types and
 * variables) of the units read so far, and the table of hint symbols that
 * lead to the unit defining a PostgreSQL type without reading any other.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "debuginfo/dwarf_internal.h"

/*
 * PostgreSQL types and the functions or variables whose CU defines them.
 * File-private structs (BTParallelScanDescData in nbtree.c, HTAB in
 * dynahash.c, WaitEventSet in latch.c/waiteventset.c) can only be found
 * this way or by a scan; for shared types one CU that certainly uses them is
 * enough.  A wrong or missing hint costs time, never correctness.
 */
static const struct {
	const char *type;
	const char *hints[4];
} builtin_hints[] = {
	{ "PGPROC", { "ProcGlobal", "InitProcess", NULL } },
	{ "PROC_HDR", { "ProcGlobal", "InitProcess", NULL } },
	{ "BTParallelScanDescData", { "btinitparallelscan", "_bt_parallel_seize", NULL } },
	{ "BTPS_State", { "_bt_parallel_seize", "btinitparallelscan", NULL } },
	{ "ParallelIndexScanDescData", { "index_parallelscan_initialize", "_bt_parallel_seize", NULL } },
	{ "IndexScanDescData", { "index_parallelscan_initialize", "_bt_parallel_seize", NULL } },
	{ "WaitEventSet", { "CreateWaitEventSet", "WaitEventSetWait", NULL } },
	{ "WaitEvent", { "WaitEventSetWait", NULL } },
	{ "Latch", { "SetLatch", "MyLatch", NULL } },
	{ "ConditionVariable", { "ConditionVariableSleep", "cv_sleep_target", NULL } },
	{ "proclist_head", { "ConditionVariableSleep", "LWLockAcquire", NULL } },
	{ "proclist_node", { "ConditionVariableSleep", "LWLockAcquire", NULL } },
	{ "LWLock", { "LWLockAcquire", NULL } },
	{ "LWLockHandle", { "LWLockAcquire", "held_lwlocks", NULL } },
	{ "LWLockPadded", { "MainLWLockArray", "LWLockAcquire", NULL } },
	{ "LWLockMode", { "LWLockAcquire", NULL } },
	{ "BuiltinTrancheIds", { "GetLWTrancheName", "LWLockAcquire", NULL } },
	{ "PgBackendStatus", { "pgstat_report_activity", "BackendStatusArray", NULL } },
	{ "BackendState", { "pgstat_report_activity", NULL } },
	{ "BackendType", { "MyBackendType", "GetBackendTypeDesc", NULL } },
	{ "BackgroundWorker", { "MyBgworkerEntry", "RegisterBackgroundWorker", NULL } },
	{ "LOCK", { "LockAcquireExtended", NULL } },
	{ "PROCLOCK", { "LockAcquireExtended", NULL } },
	{ "PROCLOCKTAG", { "LockAcquireExtended", NULL } },
	{ "LOCKTAG", { "LockAcquireExtended", NULL } },
	{ "LOCALLOCK", { "LockAcquireExtended", NULL } },
	{ "LockMethodData", { "LockAcquireExtended", NULL } },
	{ "HTAB", { "hash_search", "hash_create", NULL } },
	{ "HASHHDR", { "hash_search", "hash_create", NULL } },
	{ "HASHELEMENT", { "hash_search", NULL } },
	{ "RelationData", { "RelationIdGetRelation", NULL } },
	{ "FormData_pg_class", { "RelationIdGetRelation", NULL } },
	{ "WaitEventActivity", { "pgstat_get_wait_event", NULL } },
	{ "WaitEventClient", { "pgstat_get_wait_event", NULL } },
	{ "WaitEventIPC", { "pgstat_get_wait_event", NULL } },
	{ "WaitEventTimeout", { "pgstat_get_wait_event", NULL } },
	{ "WaitEventIO", { "pgstat_get_wait_event", NULL } },
	{ "WaitEventBufferPin", { "pgstat_get_wait_event", NULL } },
	{ "WaitEventExtension", { "pgstat_get_wait_event", NULL } },
	{ "dsm_segment", { "dsm_attach", NULL } },
	{ "ParallelContext", { "CreateParallelContext", NULL } },
	{ "shm_toc", { "shm_toc_lookup", NULL } },
	{ "Port", { "MyProcPort", NULL } },
	{ "PGShmemHeader", { "PGSharedMemoryCreate", "InitShmemAccess", NULL } },
	{ "ControlFileData", { "ControlFile", "ReadControlFile", NULL } },
	{ "BackgroundWorkerArray", { "BackgroundWorkerShmemInit", NULL } },
	{ "BackgroundWorkerSlot", { "BackgroundWorkerShmemInit", NULL } },
	{ "TwoPhaseStateData", { "TwoPhaseShmemInit", NULL } },
	{ "GlobalTransactionData", { "TwoPhaseShmemInit", NULL } },
	{ "AuxProcType", { "MyAuxProcType", NULL } },
	{ "dlist_node", { "ProcGlobal", NULL } },
};

const char *const *dindex_builtin_hints(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin_hints) / sizeof(builtin_hints[0]); i++)
		if (strcmp(builtin_hints[i].type, name) == 0)
			return builtin_hints[i].hints;
	return NULL;
}

static bool indexed_tag(int tag)
{
	switch (tag) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
	case DW_TAG_typedef:
	case DW_TAG_base_type:
	case DW_TAG_variable:
		return true;
	}
	return false;
}

/* A definition that refers to its declaration (DW_AT_specification) has no name of its own. */
static const char *entry_name(Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);
	if (name)
		return name;
	Dwarf_Attribute attr;
	if (dwarf_attr_integrate(die, DW_AT_name, &attr))
		return dwarf_formstring(&attr);
	return NULL;
}

static struct pgm_error *add_entry(struct pgm_dwarf_module *m, size_t unit, Dwarf_Die *die,
				   int tag, const char *name)
{
	if (m->n_entries == m->cap_entries) {
		size_t cap = m->cap_entries ? 2 * m->cap_entries : 1024;
		struct dentry *e = realloc(m->entries, cap * sizeof(*e));
		if (!e)
			return &pgm_enomem;
		m->entries = e;
		m->cap_entries = cap;
	}
	m->entries[m->n_entries] = (struct dentry){
		.die_offset = dwarf_dieoffset(die),
		.unit = (uint32_t)unit,
		.tag = (uint16_t)tag,
		.declaration = dwarf_hasattr(die, DW_AT_declaration),
		.has_location = tag == DW_TAG_variable && dwarf_hasattr(die, DW_AT_location),
		.next = strmap_get(&m->names, name),
	};
	if (!strmap_put(&m->names, name, (int32_t)m->n_entries))
		return &pgm_enomem;
	m->n_entries++;
	return NULL;
}

/* dwz-compressed debuginfo moves shared entries into partial units. */
static struct pgm_error *index_imported(struct pgm_dwarf_module *m, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die unit_die;
	if (!dwarf_attr(die, DW_AT_import, &attr) || !dwarf_formref_die(&attr, &unit_die))
		return NULL;
	long unit = dmod_unit_at(m, dwarf_dieoffset(&unit_die));
	return unit >= 0 ? dindex_unit(m, (size_t)unit) : NULL;
}

struct pgm_error *dindex_unit(struct pgm_dwarf_module *m, size_t unit)
{
	struct dunit *u = &m->units[unit];
	if (u->indexed)
		return NULL;
	u->indexed = true;
	m->units_indexed++;
	Dwarf_Die cu, child;
	if (!dwarf_offdie(m->dbg, u->die_offset, &cu))
		return pgm_error_wrap(pgm_dwarf_err("dwarf_offdie"), "indexing the unit at 0x%" PRIx64
				      " of %s", (uint64_t)u->die_offset, m->name);
	if (dwarf_child(&cu, &child) != 0)
		return NULL;
	do {
		int tag = dwarf_tag(&child);
		struct pgm_error *err = NULL;
		if (tag == DW_TAG_imported_unit) {
			err = index_imported(m, &child);
		} else if (indexed_tag(tag)) {
			const char *name = entry_name(&child);
			if (name)
				err = add_entry(m, unit, &child, tag, name);
		}
		if (err)
			return err;
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

struct pgm_error *dindex_next(struct pgm_dwarf_module *m, bool *done)
{
	struct pgm_error *err = dmod_list_units(m);
	if (err)
		return err;
	while (m->scan_cursor < m->n_units && m->units[m->scan_cursor].indexed)
		m->scan_cursor++;
	*done = m->scan_cursor == m->n_units;
	return *done ? NULL : dindex_unit(m, m->scan_cursor);
}

int32_t dindex_lookup(const struct pgm_dwarf_module *m, const char *name)
{
	return strmap_get(&m->names, name);
}

bool dindex_die(const struct pgm_dwarf_module *m, int32_t entry, Dwarf_Die *ret)
{
	return dwarf_offdie(m->dbg, m->entries[entry].die_offset, ret) != NULL;
}
