/*
 * Renderers of a batch: the grouped summary (text, JSON) and JUnit XML.
 * They read the records the CLI assembled and print; nothing else here.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "pgmortem/batch.h"

#define EXAMPLES 3

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static double get_double(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

/* ---- grouping ---- */

/* The order of the summary: the culprits first, then their victims. */
enum rank { RANK_CRASH, RANK_BLOCKER, RANK_STUCK, RANK_UNANALYZED, RANK_OK, N_RANKS };

struct group {
	const char *key;         /* signature, or the status of an unanalyzed core */
	enum rank rank;
	size_t count;
	json_object *examples[EXAMPLES];
};

struct grouping {
	struct group *groups;
	size_t n;
	size_t by_status[4];     /* analyzed, failed, timeout, crashed */
	size_t by_rank[N_RANKS];
};

static const char *const statuses[] = { "analyzed", "failed", "timeout", "crashed" };

static enum rank rank_of(json_object *rec, const char **key)
{
	const char *status = get_str(rec, "status"), *problem = get_str(rec, "problem");
	if (!status || strcmp(status, "analyzed") != 0) {
		*key = status ? status : "failed";
		return RANK_UNANALYZED;
	}
	*key = get_str(rec, "signature");
	if (!*key)
		*key = "?";
	if (problem && strcmp(problem, "crash") == 0)
		return RANK_CRASH;
	if (problem && strcmp(problem, "stuck") == 0)
		return RANK_STUCK;
	if (problem && strcmp(problem, "blocker") == 0)
		return RANK_BLOCKER;
	return RANK_OK;
}

static int compare_groups(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->rank != y->rank)
		return (int)x->rank - (int)y->rank;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static bool group(const struct pgm_batch_records *recs, struct grouping *g)
{
	memset(g, 0, sizeof(*g));
	g->groups = calloc(recs->n ? recs->n : 1, sizeof(*g->groups));
	if (!g->groups)
		return false;
	for (size_t i = 0; i < recs->n; i++) {
		const char *key, *status = get_str(recs->items[i], "status");
		enum rank rank = rank_of(recs->items[i], &key);
		for (size_t s = 0; s < 4; s++)
			g->by_status[s] += status && strcmp(status, statuses[s]) == 0;
		g->by_rank[rank]++;
		size_t k = 0;
		while (k < g->n && !(g->groups[k].rank == rank && strcmp(g->groups[k].key, key) == 0))
			k++;
		if (k == g->n)
			g->groups[g->n++] = (struct group){ .key = key, .rank = rank };
		if (g->groups[k].count < EXAMPLES)
			g->groups[k].examples[g->groups[k].count] = recs->items[i];
		g->groups[k].count++;
	}
	qsort(g->groups, g->n, sizeof(*g->groups), compare_groups);
	return true;
}

/* ---- text ---- */

static const char *const rank_titles[N_RANKS] = {
	"crashes", "blocking others, waiting on nothing themselves", "stuck waits",
	"could not be analyzed", "no problem found",
};

/* A core's status in words: the record's "crashed" is the analysis that died, not the process. */
static const char *status_words(const char *status)
{
	return strcmp(status, "timeout") == 0 ? "timed out"
	       : strcmp(status, "crashed") == 0 ? "the analysis died" : status;
}

static void print_group(FILE *out, const struct group *gr, bool color)
{
	static const char *const colors[N_RANKS] = { "\033[1;31m", "\033[1;31m", "\033[1;33m", "\033[1;35m", "" };
	const char *key = gr->rank == RANK_UNANALYZED ? status_words(gr->key) : gr->key;
	fprintf(out, "  %5zu  %s%s%s\n", gr->count, color ? colors[gr->rank] : "", key,
		color && *colors[gr->rank] ? "\033[0m" : "");
	size_t shown = gr->count < EXAMPLES ? gr->count : EXAMPLES;
	for (size_t e = 0; e < shown; e++) {
		const char *path = get_str(gr->examples[e], "path"), *err = get_str(gr->examples[e], "error");
		fprintf(out, "         %s%s%s\n", path ? path : "?", err ? ": " : "", err ? err : "");
	}
	if (gr->count > shown)
		fprintf(out, "         (and %zu more)\n", gr->count - shown);
}

void pgm_batch_render_summary_text(FILE *out, const struct pgm_batch_records *recs, bool color)
{
	struct grouping g;
	if (!group(recs, &g)) {
		fputs("pgmortem: out of memory\n", out);
		return;
	}
	fprintf(out, "pgmortem batch: %zu cores, %zu analyzed: %zu crashed, %zu blocking others, %zu stuck",
		recs->n, g.by_status[0], g.by_rank[RANK_CRASH], g.by_rank[RANK_BLOCKER], g.by_rank[RANK_STUCK]);
	if (g.by_rank[RANK_UNANALYZED])
		fprintf(out, "; %zu not analyzed: %zu failed, %zu timed out, %zu where the analysis died",
			g.by_rank[RANK_UNANALYZED], g.by_status[1], g.by_status[2], g.by_status[3]);
	fputc('\n', out);
	int last = -1;
	for (size_t i = 0; i < g.n; i++) {
		if ((int)g.groups[i].rank != last) {
			last = (int)g.groups[i].rank;
			fprintf(out, "\n%s (%zu)\n", rank_titles[last], g.by_rank[last]);
		}
		print_group(out, &g.groups[i], color);
	}
	free(g.groups);
}

/* ---- JSON ---- */

static const char *const rank_names[N_RANKS] = { "crash", "blocker", "stuck", "unanalyzed", "none" };

static json_object *group_json(const struct group *gr)
{
	json_object *o = json_object_new_object(), *ex = json_object_new_array();
	json_object_object_add(o, "signature", gr->rank == RANK_UNANALYZED ? NULL : json_object_new_string(gr->key));
	const char *status = gr->rank == RANK_UNANALYZED ? gr->key : "analyzed";
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "class", json_object_new_string(rank_names[gr->rank]));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)gr->count));
	for (size_t e = 0; e < gr->count && e < EXAMPLES; e++) {
		const char *path = get_str(gr->examples[e], "path");
		json_object_array_add(ex, json_object_new_string(path ? path : ""));
	}
	json_object_object_add(o, "examples", ex);
	return o;
}

bool pgm_batch_render_summary_json(FILE *out, const struct pgm_batch_records *recs)
{
	struct grouping g;
	if (!group(recs, &g))
		return false;
	json_object *o = json_object_new_object(), *groups = json_object_new_array();
	json_object_object_add(o, "cores", json_object_new_int64((int64_t)recs->n));
	for (size_t s = 0; s < 4; s++)
		json_object_object_add(o, statuses[s], json_object_new_int64((int64_t)g.by_status[s]));
	json_object_object_add(o, "crashes", json_object_new_int64((int64_t)g.by_rank[RANK_CRASH]));
	json_object_object_add(o, "stuck", json_object_new_int64((int64_t)g.by_rank[RANK_STUCK]));
	json_object_object_add(o, "blockers", json_object_new_int64((int64_t)g.by_rank[RANK_BLOCKER]));
	for (size_t i = 0; i < g.n; i++)
		json_object_array_add(groups, group_json(&g.groups[i]));
	json_object_object_add(o, "groups", groups);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	bool ok = s != NULL;
	if (ok)
		fprintf(out, "%s\n", s);
	json_object_put(o);
	free(g.groups);
	return ok;
}

/* ---- JUnit ---- */

/* Length of the valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * XML 1.0 character data: escaped, control characters and invalid UTF-8 as
 * U+FFFD.  In an attribute value, line breaks and tabs are character
 * references (a parser would normalise them to spaces otherwise).
 */
static void xml_escape(FILE *out, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')) {
			fputs("\xef\xbf\xbd", out);
			p += n ? n : 1;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs(attr ? "&quot;" : "\"", out); break;
		case '\n': fputs(attr ? "&#10;" : "\n", out); break;
		case '\r': fputs("&#13;", out); break;
		case '\t': fputs(attr ? "&#9;" : "\t", out); break;
		default: fwrite(p, 1, n, out); break;
		}
		p += n;
	}
}

static void xml_text(FILE *out, const char *s)
{
	xml_escape(out, s, false);
}

static void xml_attr(FILE *out, const char *s)
{
	xml_escape(out, s, true);
}

static json_object *verdict_lines(json_object *rec)
{
	json_object *analysis, *verdict;
	if (!json_object_object_get_ex(rec, "analysis", &analysis) ||
	    !json_object_object_get_ex(analysis, "verdict", &verdict) ||
	    !json_object_is_type(verdict, json_type_array))
		return NULL;
	return verdict;
}

static void print_verdict(FILE *out, json_object *verdict)
{
	for (size_t i = 0; verdict && i < json_object_array_length(verdict); i++) {
		xml_text(out, json_object_get_string(json_object_array_get_idx(verdict, i)));
		fputc('\n', out);
	}
}

static void junit_case(FILE *out, json_object *rec)
{
	const char *key, *path = get_str(rec, "path");
	enum rank rank = rank_of(rec, &key);
	json_object *verdict = verdict_lines(rec);
	const char *first = verdict && json_object_array_length(verdict)
			    ? json_object_get_string(json_object_array_get_idx(verdict, 0)) : key;
	fputs("    <testcase classname=\"pgmortem.batch\" name=\"", out);
	xml_attr(out, path);
	fprintf(out, "\" time=\"%.3f\"", get_double(rec, "seconds"));
	if (rank == RANK_OK) {
		fputs(">\n      <system-out>", out);
		xml_text(out, key);
		fputc('\n', out);
		print_verdict(out, verdict);
		fputs("</system-out>\n    </testcase>\n", out);
		return;
	}
	const char *tag = rank == RANK_UNANALYZED ? "error" : "failure";
	fprintf(out, ">\n      <%s type=\"", tag);
	xml_attr(out, rank == RANK_UNANALYZED ? key : rank_names[rank]);
	fputs("\" message=\"", out);
	xml_attr(out, rank == RANK_UNANALYZED ? get_str(rec, "error") : first);
	fputs("\">", out);
	if (rank == RANK_UNANALYZED) {
		xml_text(out, get_str(rec, "error"));
	} else {
		fputs("signature: ", out);
		xml_text(out, key);
		fputc('\n', out);
		print_verdict(out, verdict);
	}
	fprintf(out, "</%s>\n    </testcase>\n", tag);
}

void pgm_batch_render_junit(FILE *out, const struct pgm_batch_records *recs, double seconds)
{
	size_t failures = 0, errors = 0;
	for (size_t i = 0; i < recs->n; i++) {
		const char *key;
		enum rank r = rank_of(recs->items[i], &key);
		failures += r == RANK_CRASH || r == RANK_BLOCKER || r == RANK_STUCK;
		errors += r == RANK_UNANALYZED;
	}
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"pgmortem batch\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"time=\"%.3f\">\n", recs->n, failures, errors, seconds);
	fprintf(out, "  <testsuite name=\"pgmortem batch\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"0\" time=\"%.3f\" timestamp=\"%s\">\n", recs->n, failures, errors, seconds, stamp);
	for (size_t i = 0; i < recs->n; i++)
		junit_case(out, recs->items[i]);
	fputs("  </testsuite>\n</testsuites>\n", out);
}
