/* dpi_ports.h: nDPI 4.2's default ports per protocol (part of the dpi module: only it sees nDPI). */
#ifndef MISPORT_DPI_PORTS_H
#define MISPORT_DPI_PORTS_H

#include <stddef.h>
#include <stdint.h>

/* Calls cb(name, user) for every nDPI protocol whose default ports include port for ip_proto
 * (6 or 17). The name is valid only during the call. Returns the number of matches, or -1 with
 * err filled when nDPI could not be initialised. */
int dpi_protocols_on_port(uint16_t port, uint8_t ip_proto, void (*cb)(const char *name, void *user),
			  void *user, char *err, size_t errlen);

#endif
