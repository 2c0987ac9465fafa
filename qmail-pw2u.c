/*
 * qmail-pw2u: turn a passwd file (stdin) into users/assign lines (stdout)
 * by the rules of qmail-getpw, changed by users/include, users/exclude,
 * users/mailnames, users/subusers and users/append (man/qmail-pw2u.8).
 * Usage: qmail-pw2u [-/ohHuUC] [-cchar].  Runs as anyone who can read the
 * files.  Exit: 0 done; 100 usage; 111 on trouble (a missing home with -h,
 * unreadable files, a write error).
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "qmail-pw2u";

static int homecheck = 'o';	/* o: skip; h: stop; H: no check */
static int allowupper;
static int noext;
static char extchar = '-';
static const char *dashx = "-";	/* dash for extension addresses */
static struct cmap include, exclude, mailnames;
static int haveinclude, haveexclude;
static struct buf out;
static char outspace[BUF_SIZE];

static void
put(const char *s)
{
	if (buf_puts(&out, s) == -1)
		die_temp_sys("unable to write output");
}

static void
putb(const char *s, size_t n)
{
	if (buf_put(&out, s, n) == -1)
		die_temp_sys("unable to write output");
}

/* "=name:user:uid:gid:home:::" and, with extensions,
 * "+name<extchar>:user:uid:gid:home:dash:pre:" */
static void
assign(const char *name, size_t nlen, const char *const *f, const char *pre)
{
	char b[2] = { extchar, 0 };

	put("="), putb(name, nlen), put(":"), put(f[0]), put(":"), put(f[2]);
	put(":"), put(f[3]), put(":"), put(f[5]), put(":");
	put(*pre ? dashx : ""), put(":"), put(pre), put(":\n");
	if (noext)
		return;
	put("+"), putb(name, nlen), put(b), put(":"), put(f[0]), put(":");
	put(f[2]), put(":"), put(f[3]), put(":"), put(f[5]), put(":");
	put(dashx), put(":"), put(pre);
	if (*pre)
		put(b);
	put(":\n");
}

static int
has_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

static void
loadmap(struct cmap *m, const char *fn, int sep, int *have)
{
	struct sa x = SA_INIT;
	int r;

	if ((r = ctl_readfile(&x, fn)) == -1)
		die_temp_sys("unable to read ", fn);
	if (have)
		*have = r;
	if (cmap_init(m, x.s ? x.s : "", x.len, sep) == -1)
		die_nomem();
}

/* a passwd line split at colons into its seven fields; 0 if malformed */
static int
split(char *line, size_t len, const char **f)
{
	size_t i, n = 0;

	f[n++] = line;
	for (i = 0; i < len; i++)
		if (line[i] == ':') {
			line[i] = 0;
			if (n == 7)
				return 0;
			f[n++] = line + i + 1;
		}
	line[len] = 0;
	return n == 7;
}

static void
user(const char **f)
{
	struct stat st;
	const char *names, *p;
	size_t len;

	if (haveinclude && !cmap_get(&include, f[0], str_len(f[0])))
		return;
	if (haveexclude && cmap_get(&exclude, f[0], str_len(f[0])))
		return;
	if (str_equal(f[2], "0"))
		return;
	if (!allowupper && has_upper(f[0]))
		return;
	if (homecheck != 'H') {
		if (stat(f[5], &st) == -1) {
			if (homecheck == 'h' || errno != ENOENT)
				die_temp_sys("unable to stat ", f[5]);
			return;
		}
		if ((unsigned long)st.st_uid != strtoul(f[2], NULL, 10))
			return;
	}
	if ((names = cmap_get(&mailnames, f[0], str_len(f[0]))) == NULL) {
		assign(f[0], str_len(f[0]), f, "");
		return;
	}
	for (p = names; *p; p += len + (p[len] == ':')) {
		len = byte_chr(p, str_len(p), ':');
		if (len)
			assign(p, len, f, "");
	}
}

int
main(int argc, char **argv)
{
	static char inspace[BUF_SIZE];
	struct buf in = BUF_INIT(0, inspace);
	struct sa line = SA_INIT, pw = SA_INIT, subs = SA_INIT, app = SA_INIT;
	const char *f[7], *alias[7];
	struct sa aliasline = SA_INIT;
	const char *a;
	int i, r, havealias = 0;
	size_t pos, n;

	for (i = 1; i < argc && argv[i][0] == '-'; i++)
		for (a = argv[i] + 1; *a; a++)
			switch (*a) {
			case '/': dashx = "-/"; break;
			case 'o': case 'h': case 'H': homecheck = *a; break;
			case 'u': allowupper = 1; break;
			case 'U': allowupper = 0; break;
			case 'C': noext = 1; break;
			case 'c':
				if (a[1] == 0)
					die_perm("usage: qmail-pw2u [-/ohHuUC] [-cchar]");
				extchar = a[1];
				a += str_len(a) - 1;
				break;
			default:
				die_perm("usage: qmail-pw2u [-/ohHuUC] [-cchar]");
			}
	if (i < argc)
		die_perm("usage: qmail-pw2u [-/ohHuUC] [-cchar]");
	buf_init(&out, 1, outspace, sizeof outspace);
	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	loadmap(&include, "users/include", 0, &haveinclude);
	loadmap(&exclude, "users/exclude", 0, &haveexclude);
	loadmap(&mailnames, "users/mailnames", ':', NULL);
	/* whole passwd first: subusers need their users' fields */
	for (;;) {
		line.len = 0;
		if ((r = buf_getline(&in, &line, '\n', 65536)) == -1)
			die_temp_sys("unable to read input");
		if (line.len == 0)
			break;
		if (line.s[line.len - 1] == '\n')
			--line.len;
		if (sa_cat(&pw, &line) == -1 || sa_0(&pw) == -1)
			die_nomem();
		if (r == 0)
			break;
	}
	for (pos = 0; pos < pw.len; pos += n + 1) {
		n = str_len(pw.s + pos);
		if (sa_copyb(&line, pw.s + pos, n) == -1 || sa_str(&line) == NULL)
			die_nomem();
		if (!split(line.s, n, f))
			continue;
		if (!havealias && str_equal(f[0], user_alias)) {
			if (sa_copyb(&aliasline, pw.s + pos, n) == -1 ||
			    sa_str(&aliasline) == NULL)
				die_nomem();
			split(aliasline.s, n, alias);
			havealias = 1;
		}
		user(f);
	}
	/* subusers: sub:user:pre: */
	if (ctl_readfile(&subs, "users/subusers") == -1)
		die_temp_sys("unable to read users/subusers");
	for (pos = 0; pos < subs.len; pos += str_len(subs.s + pos) + 1) {
		const char *sf[4], *s = subs.s + pos;
		size_t k, m = 0, len = str_len(s), p2;
		char *cp;

		if (sa_copyb(&line, s, len) == -1 || sa_str(&line) == NULL)
			die_nomem();
		cp = line.s;
		sf[m++] = cp;
		for (k = 0; k < len && m < 4; k++)
			if (cp[k] == ':')
				cp[k] = 0, sf[m++] = cp + k + 1;
		if (m < 4)
			continue;
		for (p2 = 0; p2 < pw.len; p2 += str_len(pw.s + p2) + 1) {
			struct sa u = SA_INIT;

			if (sa_copys(&u, pw.s + p2) == -1 || sa_str(&u) == NULL)
				die_nomem();
			if (split(u.s, u.len, f) && str_equal(f[0], sf[1])) {
				assign(sf[0], str_len(sf[0]), f, sf[2]);
				break;
			}
			sa_free(&u);
		}
	}
	if (havealias)
		put("+:"), put(alias[0]), put(":"), put(alias[2]), put(":"),
		    put(alias[3]), put(":"), put(alias[5]), put(":-::\n");
	if ((r = io_readfile(&app, "users/append", 1UL << 24)) == -1)
		die_temp_sys("unable to read users/append");
	if (r == 1)
		putb(app.s, app.len);
	put(".\n");
	if (buf_flush(&out) == -1)
		die_temp_sys("unable to write output");
	return 0;
}
