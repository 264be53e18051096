/*
 * pgmortem — a wait event as pg_stat_activity shows it (wait_event_type /
 * wait_event), shared by the report (pgmortem/report.h,
 * pgmortem/report_waits.h) and the instance (pgmortem/instance.h).
 */
#ifndef PGMORTEM_WAIT_EVENT_H
#define PGMORTEM_WAIT_EVENT_H

#include <stdbool.h>
#include <stdint.h>

/* What pg_stat_activity shows as wait_event_type / wait_event. */
struct pgm_wait_event {
	bool known;
	uint32_t info;           /* raw wait_event_info */
	char *type;              /* "IPC", NULL if none (0) */
	char *name;              /* "BtreePage" */
};

/* The class of a wait event: the high byte of wait_event_info (wait_event.h). */
enum pgm_wait_class {
	PGM_WAIT_CLASS_NONE = 0x00,
	PGM_WAIT_CLASS_LWLOCK = 0x01,
	PGM_WAIT_CLASS_LOCK = 0x03,
	PGM_WAIT_CLASS_BUFFERPIN = 0x04,
	PGM_WAIT_CLASS_ACTIVITY = 0x05,
	PGM_WAIT_CLASS_CLIENT = 0x06,
	PGM_WAIT_CLASS_EXTENSION = 0x07,
	PGM_WAIT_CLASS_IPC = 0x08,
	PGM_WAIT_CLASS_TIMEOUT = 0x09,
	PGM_WAIT_CLASS_IO = 0x0A,
	PGM_WAIT_CLASS_INJECTION_POINT = 0x0B,
};

/* The event's class; PGM_WAIT_CLASS_NONE when unknown or none. */
enum pgm_wait_class pgm_wait_event_class(const struct pgm_wait_event *we);

#endif
