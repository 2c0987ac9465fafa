/*
 * dnsfq: print a fully qualified name for a host: its first address,
 * looked up again by PTR: `dnsfq host`.  Uses the libc resolver.
 * Exit: 0; 100 no such host, no address, no PTR record, or bad usage;
 * 111 temporary DNS failure.
 */
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "dnsfq";

int
main(int argc, char **argv)
{
	struct iplist l = IPLIST_INIT;
	struct sa name = SA_INIT;
	int r;

	if (argc != 2)
		die_perm("usage: dnsfq host");
	r = dns_ip(&l, argv[1], str_len(argv[1]));
	if (r == DNS_TEMP)
		die_temp("temporary DNS failure for ", argv[1]);
	if (r != DNS_OK || l.len == 0)
		die_perm("no address for ", argv[1]);
	r = dns_ptr(&name, &l.x[0].ip);
	if (r == DNS_TEMP)
		die_temp("temporary DNS failure looking up the name of ", argv[1]);
	if (r != DNS_OK)
		die_perm("no PTR record for the address of ", argv[1]);
	if (sa_catc(&name, '\n') == -1)
		die_nomem();
	if (io_writeall(1, name.s, name.len) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
