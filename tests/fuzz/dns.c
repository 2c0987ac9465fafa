/*
 * fuzz target: the DNS response parser (lib/dns.h).  Every offset it
 * returns stays inside the message and moves forwards; every name it
 * decodes is printable text of nonempty labels that encodes back (without
 * compression) into at most 255 bytes and decodes again to itself; the
 * answers dns_select picks lie inside the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dns.h"

const char prog[] = "fuzz-dns";

static void
check_name(const char *s)
{
	unsigned char w[300];
	char back[DNS_NAME];
	size_t n = strlen(s), i, lab = 0, o = 1;

	if (n >= DNS_NAME)
		abort();
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
				abort();
			if (++lab > 63 || o >= 256)
				abort();
			w[o++] = (unsigned char)s[i];
			continue;
		}
		if (lab == 0 && n > 0)
			abort();	/* an empty label */
		w[o - lab - 1] = (unsigned char)lab;
		o++, lab = 0;
	}
	if (n == 0)
		o = 1, w[0] = 0;
	else
		w[o - 1] = 0;
	if (o > 255)
		abort();
	if (dns_name(w, o, 0, back) != o || strcmp(back, s) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *m, size_t len)
{
	char name[DNS_NAME], canon[DNS_NAME];
	struct dns_rd rd[8];
	struct dns_msg d;
	struct dns_rr rr;
	struct sa txt = SA_INIT;
	size_t e, n, i, last;
	unsigned long pref;
	int r;

	if (len > 0 && (e = dns_name(m, len, len / 2, name)) != 0) {
		if (e > len)
			abort();
		check_name(name);
	}
	if (dns_msg_init(&d, m, len) == 0) {
		if (d.pos > len)
			abort();
		last = d.pos;
		while ((r = dns_msg_next(&d, &rr)) == 1) {
			if (rr.rdpos > len || rr.rdlen > len - rr.rdpos ||
			    d.pos <= last - (last > 0) || d.pos > len)
				abort();
			last = d.pos;
			check_name(rr.name);
		}
	}
	if (dns_select(m, len, len > 12 ? "a.b." : "", DNS_T_MX, rd, 8, &n,
	    canon) == 0) {
		if (n > 8)
			abort();
		check_name(canon);
		for (i = 0; i < n; i++) {
			if (rd[i].pos > len || rd[i].len > len - rd[i].pos)
				abort();
			if (dns_rd_mx(m, len, &rd[i], &pref, name) == 0)
				check_name(name);
			txt.len = 0;
			if (dns_rd_txt(m, len, &rd[i], &txt) == 0 &&
			    txt.len >= rd[i].len + (rd[i].len == 0))
				abort();	/* a length byte per string */
		}
	}
	sa_free(&txt);
	return 0;
}
