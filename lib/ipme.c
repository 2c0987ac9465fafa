/*
 * ipme.c: the addresses of this machine (dns.h), for qmail-remote's
 * "am I the MX?" check.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#include "control.h"
#include "dns.h"

static int
add_sockaddr(struct iplist *l, const struct sockaddr *sa)
{
	struct ip ip;

	memset(&ip, 0, sizeof ip);
	if (sa->sa_family == AF_INET) {
		ip.af = 4;
		memcpy(ip.a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		ip.af = 6;
		memcpy(ip.a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else
		return 0;
	if (ipme_is(l, &ip))
		return 0;
	return iplist_add(l, &ip, 0);
}

int
ipme_init(struct iplist *l)
{
	struct ifaddrs *ifa, *p;
	struct sa more = SA_INIT;
	struct ip ip;
	size_t i, e;
	int r;

	l->len = 0;
	memset(&ip, 0, sizeof ip);
	ip.af = 4;
	if (iplist_add(l, &ip, 0) == -1)	/* 0.0.0.0 means "this host" */
		return -1;
	ip.af = 6;
	if (iplist_add(l, &ip, 0) == -1)	/* and so does :: */
		return -1;
	if (getifaddrs(&ifa) == -1)
		return -1;
	for (p = ifa; p; p = p->ifa_next)
		if (p->ifa_addr && add_sockaddr(l, p->ifa_addr) == -1) {
			freeifaddrs(ifa);
			return -1;
		}
	freeifaddrs(ifa);
	/* addresses that reach this host from outside, e.g. through NAT */
	if ((r = ctl_readfile(&more, "control/moreipme")) == -1)
		return -1;
	for (i = 0; r == 1 && i < more.len; i = e + 1) {
		e = i + byte_chr(more.s + i, more.len - i, 0);
		if (ip_scan(more.s + i, e - i, &ip) == e - i &&
		    !ipme_is(l, &ip) && iplist_add(l, &ip, 0) == -1) {
			sa_free(&more);
			return -1;
		}
	}
	sa_free(&more);
	return 0;
}

int
ipme_is(const struct iplist *l, const struct ip *ip)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (ip_equal(&l->x[i].ip, ip))
			return 1;
	return 0;
}
