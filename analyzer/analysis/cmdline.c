/*
 * The backend type a process's command line states, for when its memory
 * cannot say (a build without debuginfo or a layout profile): PostgreSQL
 * sets it with set_ps_display, as "postgres: [cluster_name: ]TYPE ..." for
 * the processes it starts and "postgres: USER DB HOST STATE" for a session.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "model/model.h"

/* backend_type of the processes whose title starts with it (longer first where one prefixes another). */
static const char *const titled_types[] = {
	"parallel worker", "autovacuum launcher", "autovacuum worker", "logical replication launcher",
	"logical replication parallel apply worker", "logical replication tablesync worker",
	"logical replication apply worker", "logical replication worker", "background writer",
	"checkpointer", "walwriter", "walreceiver", "walsender", "walsummarizer", "archiver",
	"startup", "slotsync worker", "io worker", "stats collector",
};

/* The title after "postgres: " and an optional "cluster_name: ", or NULL. */
static const char *title_of(const char *cmdline)
{
	static const char prefix[] = "postgres: ";
	if (!cmdline || strncmp(cmdline, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	const char *t = cmdline + sizeof(prefix) - 1, *colon = strstr(t, ": "), *space = strchr(t, ' ');
	return colon && (!space || colon < space) ? colon + 2 : t;
}

static bool starts_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	return strncmp(s, word, n) == 0 && (s[n] == '\0' || s[n] == ' ');
}

/* "USER DB HOST ...": a session's host is "[local]" or "ADDRESS(PORT)". */
static bool is_session_title(const char *t)
{
	const char *host = strchr(t, ' ');
	host = host ? strchr(host + 1, ' ') : NULL;
	return host && (host[1] == '[' || strcspn(host + 1, " (") < strcspn(host + 1, " "));
}

struct pgm_error *pgm_identity_from_cmdline(struct pgm_report *r)
{
	const char *t = title_of(r->cmdline), *type = NULL;
	if (r->backend_type || !t)
		return NULL;
	for (size_t i = 0; !type && i < sizeof(titled_types) / sizeof(titled_types[0]); i++)
		if (starts_word(t, titled_types[i]))
			type = titled_types[i];
	if (!type && is_session_title(t))
		type = "client backend";
	if (!type)
		return NULL;
	const char *for_pid = strcmp(type, "parallel worker") == 0 ? strstr(t, " for PID ") : NULL;
	if (for_pid && !r->leader_pid)
		r->leader_pid = (int32_t)strtol(for_pid + strlen(" for PID "), NULL, 10);
	r->type_from_cmdline = true;
	return pgm_model_strdup(&r->backend_type, type);
}
