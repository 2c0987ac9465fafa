/*
 * ipmeprint: print the addresses qmail-remote considers this machine's
 * own (interfaces, 0.0.0.0, ::, control/moreipme), one a line.
 * Exit: 0; 111 if they cannot be listed.
 */
#include <unistd.h>

#include "lib/conf.h"
#include "lib/die.h"
#include "lib/dns.h"
#include "lib/io.h"

const char prog[] = "ipmeprint";

int
main(void)
{
	struct iplist l = IPLIST_INIT;
	char space[4096], b[IP_FMT];
	struct buf out = BUF_INIT(1, space);
	size_t i;

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	if (ipme_init(&l) == -1)
		die_temp_sys("unable to list the local addresses");
	for (i = 0; i < l.len; i++)
		if (buf_put(&out, b, ip_fmt(b, &l.x[i].ip)) == -1 ||
		    buf_puts(&out, "\n") == -1)
			die_temp_sys("unable to write output");
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
