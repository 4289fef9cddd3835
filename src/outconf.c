/* outconf.c: output options and the output configuration file -> open sinks. */
#include "misport/outconf.h"

#include <stdio.h>
#include <string.h>

static unsigned eve_mask(const struct outconf_cli *cli)
{
	return MP_EVMASK_ALERT | MP_EVMASK_STATS | (cli->flows ? MP_EVMASK_FLOW : 0);
}

int outconf_apply(const struct outconf_cli *cli, struct outputs *o, char *err, size_t errlen)
{
	if (cli->eve != NULL && outputs_add(o, "eve", cli->eve, eve_mask(cli), err, errlen) != 0)
		return -1;
	if (cli->fast != NULL && outputs_add(o, "fast", cli->fast, MP_EVMASK_ALERT, err, errlen) != 0)
		return -1;
	if (outputs_count(o) == 0 && outputs_add(o, "fast", "-", MP_EVMASK_ALERT, err, errlen) != 0)
		return -1;
	return 0;
}

bool outconf_uses_stdout(const struct outconf_cli *cli)
{
	return (cli->eve != NULL && strcmp(cli->eve, "-") == 0) ||
	       (cli->fast != NULL && strcmp(cli->fast, "-") == 0) || (cli->cef != NULL && strcmp(cli->cef, "-") == 0);
}
