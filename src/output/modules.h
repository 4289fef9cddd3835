/* modules.h: the sink modules compiled into misport (private to src/output.c and the sinks). */
#ifndef MISPORT_OUTPUT_MODULES_H
#define MISPORT_OUTPUT_MODULES_H

#include "misport/output.h"

extern const struct output_module output_eve;
extern const struct output_module output_fast;

#endif
