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
#include "pgmortem/bundle_file.h"

#define MAX_DEPTH 64

struct file_id {
	dev_t dev;
	ino_t ino;
	size_t capture;   /* of a bundle: its captures are inputs of one file */
};

struct walk {
	struct pgm_batch_inputs *out;
	struct file_id *seen;         /* directories entered */
	size_t n_seen, cap_seen;
	struct file_id *files;        /* parallel to out->items; {0, 0} if none */
};

/* Appends an input; `st` identifies the file (NULL if there is none). */
static struct pgm_error *add(struct walk *w, const char *path, const struct stat *st,
			     bool explicit_path, enum pgm_compression c, struct pgm_error *why)
{
	struct pgm_batch_inputs *in = w->out;
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 64;
		struct pgm_batch_input *items = realloc(in->items, cap * sizeof(*items));
		struct file_id *files = items ? realloc(w->files, cap * sizeof(*files)) : NULL;
		if (items)
			in->items = items;
		if (files)
			w->files = files;
		if (!items || !files)
			return pgm_error_destroy(why), &pgm_enomem;
		in->cap = cap;
	}
	char *copy = strdup(path);
	if (!copy)
		return pgm_error_destroy(why), &pgm_enomem;
	w->files[in->n] = st ? (struct file_id){ st->st_dev, st->st_ino, 0 } : (struct file_id){ 0, 0, 0 };
	in->items[in->n++] = (struct pgm_batch_input){ copy, explicit_path, c, why, false, 0 };
	return NULL;
}

/* Each capture of the bundle at path is an input; a bad bundle is one failed input. */
static struct pgm_error *add_bundle(struct walk *w, const char *path, const struct stat *st, bool explicit_path)
{
	struct pgm_bundle_file *b;
	struct pgm_error *why = pgm_bundle_file_open(path, &b);
	if (why == &pgm_enomem)
		return why;
	size_t n = why ? 1 : pgm_bundle_file_captures(b);
	struct pgm_error *err = NULL;
	for (size_t i = 0; !err && i < n; i++) {
		if (!(err = add(w, path, st, explicit_path, PGM_COMPRESSION_NONE, i ? NULL : why))) {
			w->out->items[w->out->n - 1].bundle = true;
			w->out->items[w->out->n - 1].capture = i;
			w->files[w->out->n - 1].capture = i;
		}
	}
	if (!why)
		pgm_bundle_file_release(b);
	return err;
}

/* Never opens a FIFO or a device (opening a tape rewinds it); reads only regular files. */
static struct pgm_error *probe_path(const char *path, enum pgm_compression *c)
{
	struct stat pre;
	if (stat(path, &pre) < 0)
		return pgm_error_errno(errno, "cannot access");
	if (!S_ISREG(pre.st_mode))
		return pgm_error_create(PGM_ERR_FORMAT, "not a regular file");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return pgm_error_errno(errno, "open");
	struct stat st;
	struct pgm_error *err;
	if (fstat(fd, &st) < 0)
		err = pgm_error_errno(errno, "fstat");
	else if (!S_ISREG(st.st_mode))
		err = pgm_error_create(PGM_ERR_FORMAT, "not a regular file");
	else
		err = pgm_core_probe(fd, c);
	close(fd);
	return err;
}

static struct pgm_error *add_file(struct walk *w, const char *path, const struct stat *st,
				  bool explicit_path)
{
	enum pgm_compression c = PGM_COMPRESSION_NONE;
	if (pgm_bundle_file_is_bundle(path))
		return add_bundle(w, path, st, explicit_path);
	struct pgm_error *why = probe_path(path, &c);
	if (why == &pgm_enomem)
		return why;
	if (why && !explicit_path) {
		pgm_error_destroy(why);
		return NULL;
	}
	return add(w, path, st, explicit_path, c, why);
}

static int compare_ids(const void *a, const void *b)
{
	const struct file_id *x = *(const struct file_id *const *)a, *y = *(const struct file_id *const *)b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->capture != y->capture)
		return x->capture < y->capture ? -1 : 1;
	return x < y ? -1 : x > y;   /* the first in input order first */
}

/* A core reached twice in walks (two symlinks, a directory given twice) is listed once. */
static struct pgm_error *drop_duplicates(struct walk *w)
{
	struct pgm_batch_inputs *in = w->out;
	struct file_id **order = malloc((in->n ? in->n : 1) * sizeof(*order));
	bool *drop = calloc(in->n ? in->n : 1, sizeof(*drop));
	if (!order || !drop)
		return free(order), free(drop), &pgm_enomem;
	for (size_t i = 0; i < in->n; i++)
		order[i] = &w->files[i];
	qsort(order, in->n, sizeof(*order), compare_ids);
	for (size_t i = 1; i < in->n; i++) {
		size_t k = (size_t)(order[i] - w->files);
		const struct file_id *a = order[i - 1], *b = order[i];
		drop[k] = b->ino && a->dev == b->dev && a->ino == b->ino && a->capture == b->capture &&
			  !in->items[k].explicit_path;
	}
	size_t n = 0;
	for (size_t i = 0; i < in->n; i++) {
		if (drop[i]) {
			free(in->items[i].path);
			pgm_error_destroy(in->items[i].error);
		} else {
			in->items[n++] = in->items[i];
		}
	}
	in->n = n;
	free(order);
	free(drop);
	return NULL;
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
		return add(w, path, NULL, true, PGM_COMPRESSION_NONE,
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
		return explicit_path ? add(w, path, NULL, true, PGM_COMPRESSION_NONE,
					   pgm_error_errno(errno, "cannot access"))
				     : NULL;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) || explicit_path ? add_file(w, path, &st, explicit_path) : NULL;
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
	if (!err && ret->n)
		err = drop_duplicates(&w);
	free(w.seen);
	free(w.files);
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
