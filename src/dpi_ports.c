/* dpi_ports.c: which nDPI 4.2 protocols expect a port (ndpi_proto_defaults_t default port lists). */
#include "misport/dpi_ports.h"

#include <stdio.h>

#include <ndpi/ndpi_api.h>

int dpi_protocols_on_port(uint16_t port, uint8_t ip_proto, void (*cb)(const char *name, void *user),
			  void *user, char *err, size_t errlen)
{
	struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK all;
	ndpi_proto_defaults_t *d;
	unsigned n;
	int found = 0;

	if (m == NULL) {
		snprintf(err, errlen, "nDPI: ndpi_init_detection_module failed");
		return -1;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(m, &all);
	ndpi_finalize_initialization(m);
	d = ndpi_get_proto_defaults(m);
	n = ndpi_get_num_supported_protocols(m);
	for (unsigned i = 0; i < n; i++) {
		const u_int16_t *ports = ip_proto == 6 ? d[i].tcp_default_ports : d[i].udp_default_ports;

		if (d[i].protoName == NULL)
			continue;
		for (int k = 0; k < MAX_DEFAULT_PORTS; k++) {
			if (ports[k] != 0 && ports[k] == port) {
				cb(d[i].protoName, user);
				found++;
				break;
			}
		}
	}
	ndpi_exit_detection_module(m);
	return found;
}
