/*
 * dnsip: print the IPv6 and IPv4 addresses of a host, one a line, as
 * qmail-remote would find them: `dnsip host`.  Uses the libc resolver.
 * Exit: 0 found (perhaps nothing); 100 no such host or bad usage;
 * 111 temporary DNS failure.
 */
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "dnsip";

int
main(int argc, char **argv)
{
	struct iplist l = IPLIST_INIT;
	char space[4096], b[IP_FMT];
	struct buf out = BUF_INIT(1, space);
	size_t i;
	int r;

	if (argc != 2)
		die_perm("usage: dnsip host");
	r = dns_ip(&l, argv[1], str_len(argv[1]));
	if (r == DNS_TEMP)
		die_temp("temporary DNS failure for ", argv[1]);
	if (r != DNS_OK)
		die_perm("no host named ", argv[1]);
	for (i = 0; i < l.len; i++)
		if (buf_put(&out, b, ip_fmt(b, &l.x[i].ip)) == -1 ||
		    buf_puts(&out, "\n") == -1)
			die_temp_sys("unable to write output");
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
