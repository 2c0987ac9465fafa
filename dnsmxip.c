/*
 * dnsmxip: print the addresses qmail-remote would try for a mail domain,
 * in order, one a line as "IP PREF": `dnsmxip domain`.  MX preference
 * order, hosts of equal preference shuffled, each host's IPv6 addresses
 * then its IPv4 ones; a domain without MX gives its own addresses with
 * preference 0.  Uses the libc resolver.
 * Exit: 0; 100 no such domain, a null MX or bad usage; 111 temporary
 * DNS failure.
 */
#include <time.h>
#include <unistd.h>

#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "dnsmxip";

int
main(int argc, char **argv)
{
	struct iplist l = IPLIST_INIT;
	char space[4096], b[IP_FMT];
	struct buf out = BUF_INIT(1, space);
	size_t i;
	int r;

	if (argc != 2)
		die_perm("usage: dnsmxip domain");
	r = dns_mxip(&l, argv[1], str_len(argv[1]),
	    (unsigned long)time(NULL) ^ (unsigned long)getpid() << 16);
	if (r == DNS_TEMP)
		die_temp("temporary DNS failure for ", argv[1]);
	if (r == DNS_NULLMX)
		die_perm(argv[1], " publishes a null MX: it accepts no mail");
	if (r != DNS_OK)
		die_perm("no host named ", argv[1]);
	for (i = 0; i < l.len; i++)
		if (buf_put(&out, b, ip_fmt(b, &l.x[i].ip)) == -1 ||
		    buf_puts(&out, " ") == -1 ||
		    buf_putulong(&out, l.x[i].pref) == -1 ||
		    buf_puts(&out, "\n") == -1)
			die_temp_sys("unable to write output");
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
