/* pgmortem batch: many cores, one command; and the layout cache directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

char *cli_layout_cache_dir(const char *override)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	int rc;
	if (override)
		return strdup(override);
	if (xdg && *xdg == '/')
		rc = asprintf(&dir, "%s/pgmortem/layouts", xdg);
	else if (home && *home)
		rc = asprintf(&dir, "%s/.cache/pgmortem/layouts", home);
	else
		return NULL;
	return rc < 0 ? NULL : dir;
}
