/*
 * Collecting a batch's inputs: files as given, directories walked in name
 * order, every file recognised by its content (pgm_core_probe).
 *
 * Symlinks are followed (a directory of symlinks to cores is the normal way
 * to gather a collection), and each directory is entered at most once,
 * keyed by device and inode, so a symlink loop ends the walk of that branch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgmortem/batch.h"

#define MAX_DEPTH 64

struct walk {
	struct pgm_batch_inputs *out;
	struct { dev_t dev; ino_t ino; } *seen;
	size_t n_seen, cap_seen;
};

static struct pgm_error *add(struct pgm_batch_inputs *in, const char *path, bool explicit_path,
			     enum pgm_compression c, struct pgm_error *why)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 64;
		struct pgm_batch_input *items = realloc(in->items, cap * sizeof(*items));
		if (!items)
			return pgm_error_destroy(why), &pgm_enomem;
		in->items = items;
		in->cap = cap;
	}
	char *copy = strdup(path);
	if (!copy)
		return pgm_error_destroy(why), &pgm_enomem;
	in->items[in->n++] = (struct pgm_batch_input){ copy, explicit_path, c, why };
	return NULL;
}

/* Opens without blocking on a FIFO and without following into a device. */
static struct pgm_error *probe_path(const char *path, enum pgm_compression *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return pgm_error_errno(errno, "open");
	struct stat st;
	struct pgm_error *err;
	if (fstat(fd, &st) < 0)
		err = pgm_error_errno(errno, "fstat");
	else if (!S_ISREG(st.st_mode))
		err = pgm_error_create(PGM_ERR_FORMAT, "not a core file: not a regular file");
	else
		err = pgm_core_probe(fd, c);
	close(fd);
	return err;
}

static struct pgm_error *add_file(struct walk *w, const char *path, bool explicit_path)
{
	enum pgm_compression c = PGM_COMPRESSION_NONE;
	struct pgm_error *why = probe_path(path, &c);
	if (why == &pgm_enomem)
		return why;
	if (why && !explicit_path) {
		pgm_error_destroy(why);
		return NULL;
	}
	return add(w->out, path, explicit_path, c, why);
}

/* False if the directory was entered before (a loop or a second path to it). */
static bool first_visit(struct walk *w, const struct stat *st, struct pgm_error **err)
{
	for (size_t i = 0; i < w->n_seen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return false;
	if (w->n_seen == w->cap_seen) {
		size_t cap = w->cap_seen ? 2 * w->cap_seen : 16;
		void *seen = realloc(w->seen, cap * sizeof(*w->seen));
		if (!seen)
			return *err = &pgm_enomem, false;
		w->seen = seen;
		w->cap_seen = cap;
	}
	w->seen[w->n_seen].dev = st->st_dev;
	w->seen[w->n_seen++].ino = st->st_ino;
	return true;
}

static struct pgm_error *walk_path(struct walk *w, const char *path, bool explicit_path, int depth);

static struct pgm_error *walk_dir(struct walk *w, const char *path, int depth)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return add(w->out, path, true, PGM_COMPRESSION_NONE,
			   pgm_error_errno(errno, "cannot read directory"));
	struct pgm_error *err = NULL;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *child = NULL;
		if (!err && strcmp(name, ".") && strcmp(name, "..")) {
			if (asprintf(&child, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", name) < 0)
				err = &pgm_enomem;
			else
				err = walk_path(w, child, false, depth + 1);
		}
		free(child);
		free(names[i]);
	}
	free(names);
	return err;
}

static struct pgm_error *walk_path(struct walk *w, const char *path, bool explicit_path, int depth)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		/* a dangling symlink inside a walk is not a core; a missing argument is reported */
		return explicit_path ? add(w->out, path, true, PGM_COMPRESSION_NONE,
					   pgm_error_errno(errno, "cannot access"))
				     : NULL;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) || explicit_path ? add_file(w, path, explicit_path) : NULL;
	struct pgm_error *err = NULL;
	if (depth > MAX_DEPTH || !first_visit(w, &st, &err))
		return err;
	return walk_dir(w, path, depth);
}

struct pgm_error *pgm_batch_collect(const char *const *paths, size_t n_paths,
				    struct pgm_batch_inputs *ret)
{
	struct walk w = { .out = ret };
	memset(ret, 0, sizeof(*ret));
	struct pgm_error *err = NULL;
	for (size_t i = 0; i < n_paths && !err; i++)
		err = walk_path(&w, paths[i], true, 0);
	free(w.seen);
	if (err)
		pgm_batch_inputs_deinit(ret);
	return err;
}

void pgm_batch_inputs_deinit(struct pgm_batch_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->items[i].path);
		pgm_error_destroy(in->items[i].error);
	}
	free(in->items);
	memset(in, 0, sizeof(*in));
}
