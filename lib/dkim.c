/*
 * dkim.c: names in the DKIM key layout (dkim.h).
 */
#include "dkim.h"
#include "str.h"

/* LDH labels of 1-63 bytes separated by dots; *dots counts the dots */
static int
labels(const char *s, size_t n, size_t *dots)
{
	size_t i, label = 0;

	*dots = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0, (*dots)++;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

size_t
dkim_domain(char *s, size_t n)
{
	size_t dots;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > DKIM_DOMAIN_MAX || !labels(s, n, &dots) ||
	    dots == 0)
		return 0;
	case_lowerb(s, n);
	return n;
}

int
dkim_selector(const char *s, size_t n)
{
	size_t dots;

	return n > 0 && n <= DKIM_SELECTOR_MAX && labels(s, n, &dots);
}
