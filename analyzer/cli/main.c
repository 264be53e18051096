/* pgmortem command-line entry point: dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pgmortem: no command yet\n");
	return 64;
}
