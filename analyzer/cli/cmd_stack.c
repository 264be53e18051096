/* pgmortem stack: placeholder until the unwinder lands. */
#include "cli/cli.h"

int cmd_stack(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error("stack", "stack: not built yet");
}
