/*
 * dnsptr: print the name an IPv4 or IPv6 address points back to (its
 * first PTR record): `dnsptr ip`.  Uses the libc resolver.
 * Exit: 0; 100 no PTR record, a bad address or bad usage; 111 temporary
 * DNS failure.
 */
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "dnsptr";

int
main(int argc, char **argv)
{
	struct sa name = SA_INIT;
	struct ip ip;
	size_t n;
	int r;

	if (argc != 2)
		die_perm("usage: dnsptr ip");
	n = str_len(argv[1]);
	if (ip_scan(argv[1], n, &ip) != n)
		die_perm("not an IP address: ", argv[1]);
	r = dns_ptr(&name, &ip);
	if (r == DNS_TEMP)
		die_temp("temporary DNS failure for ", argv[1]);
	if (r != DNS_OK)
		die_perm("no name for ", argv[1]);
	if (sa_catc(&name, '\n') == -1)
		die_nomem();
	if (io_writeall(1, name.s, name.len) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
