/*
 * qmail-dkimkey: make the DKIM key pairs qmail-dksign signs a domain's
 * mail with, and print the DNS TXT records to publish.
 *
 * qmail-dkimkey [-e] [-b bits] [-o file] domain [selector]
 *
 * Writes control/dkim/DOMAIN/SELECTOR.rsa (and with -e SELECTOR.ed25519,
 * whose selector in DNS is SELECTOR-ed), PEM private keys owned by
 * qmailk, mode 0400, each created beside its final name, fsynced and
 * linked into place (an existing key is never replaced: its record is
 * printed again); control/dkim/DOMAIN/selector when it does not exist
 * yet.  Prints one zone-file line per key on
 * fd 1, also into file with -o.  Run as root (or as qmailk; anyone in a
 * single-user build).  Exit: 0 done, 100 usage or a bad name, 111 any
 * other failure (man/qmail-dkimkey.8).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lib/conf.h"
#include "lib/control.h"
#include "lib/die.h"
#include "lib/dksign.h"
#include "lib/io.h"
#include "lib/str.h"

const char prog[] = "qmail-dkimkey";

#define KEY_MAX		65536
#define TXT_CHUNK	255	/* bytes in a character-string: RFC 1035 3.3 */

static const char usage[] =
    "usage: qmail-dkimkey [-e] [-b bits] [-o file] domain [selector]";

static NORETURN void
fail_nomem(void)
{
	die_temp("out of memory");
}

static NORETURN void
fail_ssl(const char *what)
{
	die_temp("OpenSSL: unable to ", what);
}

static int
mine(void)
{
	return conf_single || geteuid() == uid_dkim;
}

/*
 * A directory of ours: made if missing, mode 0700, owned by qmailk.
 * Opened without following a symbolic link and changed through that
 * descriptor: qmailk can write control/dkim, and root must not be led
 * to give it some other file.
 */
static void
mkdir_dkim(const char *dir)
{
	int fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		die_temp_sys("unable to create ", dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) == -1)
		die_temp_sys("unable to open the directory ", dir);
	if ((!mine() && fchown(fd, uid_dkim, gid_qmail) == -1) ||
	    fchmod(fd, 0700) == -1)
		die_temp_sys("unable to set the owner and mode of ", dir);
	close(fd);
}

/*
 * A new file fn with contents s: written under a temporary name beside
 * it, owned by qmailk with mode, fsynced, then linked to fn, which is
 * never replaced (link fails if it exists: 0 then, else 1).
 */
static int
put_new(const char *fn, const char *s, size_t n, mode_t mode)
{
	struct sa tmp = SA_INIT;
	int fd, r = 1;

	if (sa_cats(&tmp, fn) == -1 || sa_cats(&tmp, ".new.") == -1 ||
	    sa_catulong(&tmp, (unsigned long)getpid()) == -1 ||
	    sa_str(&tmp) == NULL)
		fail_nomem();
	(void)unlink(tmp.s);	/* a crashed run's, with our pid */
	if ((fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    mode)) == -1)
		die_temp_sys("unable to create ", tmp.s);
	if ((!mine() && fchown(fd, uid_dkim, gid_qmail) == -1) ||
	    fchmod(fd, mode) == -1 || io_writeall(fd, s, n) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		(void)unlink(tmp.s);
		die_temp_sys("unable to write ", tmp.s);
	}
	if (link(tmp.s, fn) == -1) {
		if (errno != EEXIST) {
			(void)unlink(tmp.s);
			die_temp_sys("unable to link ", fn);
		}
		r = 0;
	}
	if (unlink(tmp.s) == -1)
		die_temp_sys("unable to remove ", tmp.s);
	sa_free(&tmp);
	return r;
}

static EVP_PKEY *
generate(int ed, int bits)
{
	EVP_PKEY_CTX *c;
	EVP_PKEY *k = NULL;

	c = EVP_PKEY_CTX_new_id(ed ? EVP_PKEY_ED25519 : EVP_PKEY_RSA, NULL);
	if (c == NULL || EVP_PKEY_keygen_init(c) <= 0 ||
	    (!ed && EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits) <= 0) ||
	    EVP_PKEY_keygen(c, &k) <= 0)
		fail_ssl("generate a key");
	EVP_PKEY_CTX_free(c);
	return k;
}

/* the private key as PKCS #8 PEM, which libopendkim reads */
static void
pem(struct sa *out, EVP_PKEY *k)
{
	BIO *b;
	char *p;
	long n;

	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		fail_ssl("write a key");
	n = BIO_get_mem_data(b, &p);
	if (n <= 0 || sa_copyb(out, p, (size_t)n) == -1)
		fail_nomem();
	BIO_free(b);
}

static EVP_PKEY *
load(const char *fn)
{
	struct sa s = SA_INIT;
	EVP_PKEY *k;
	BIO *b;

	if (io_readfile(&s, fn, KEY_MAX) != 1)
		die_temp_sys("unable to read ", fn);
	if (s.len > (size_t)0x7fffffff ||
	    (b = BIO_new_mem_buf(s.s, (int)s.len)) == NULL)
		fail_nomem();
	if ((k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		die_temp("not a PEM private key: ", fn);
	BIO_free(b);
	sa_free(&s);
	return k;
}

/*
 * The record's value: p= is the public key in base64, for rsa its DER
 * SubjectPublicKeyInfo, for ed25519 the raw 32 bytes (RFC 8463 4.2).
 */
static void
record_value(struct sa *v, EVP_PKEY *k, int ed)
{
	unsigned char raw[64], *der = NULL, *b64;
	size_t rawlen = sizeof raw, dlen;
	int n;

	if (ed) {
		if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) <= 0)
			fail_ssl("get the public key");
		der = raw, n = (int)rawlen;
	} else if ((n = i2d_PUBKEY(k, &der)) <= 0)
		fail_ssl("get the public key");
	dlen = ((size_t)n + 2) / 3 * 4 + 1;
	if ((b64 = alloc_array(dlen, 1)) == NULL)
		fail_nomem();
	EVP_EncodeBlock(b64, der, n);
	if (sa_copys(v, ed ? "v=DKIM1; k=ed25519; p=" :
	    "v=DKIM1; k=rsa; p=") == -1 || sa_cats(v, (char *)b64) == -1)
		fail_nomem();
	free(b64);
	if (!ed)
		OPENSSL_free(der);
}

/* SELECTOR._domainkey.DOMAIN. IN TXT "..." "...": 255-byte strings */
static void
record_line(struct sa *out, const char *sel, const char *suffix,
    const char *dom, const struct sa *v)
{
	size_t i, n;

	if (sa_cats(out, sel) == -1 || sa_cats(out, suffix) == -1 ||
	    sa_cats(out, "._domainkey.") == -1 ||
	    sa_cats(out, dom) == -1 || sa_cats(out, ". IN TXT") == -1)
		fail_nomem();
	for (i = 0; i < v->len; i += n) {
		n = v->len - i < TXT_CHUNK ? v->len - i : TXT_CHUNK;
		if (sa_cats(out, " \"") == -1 || sa_catb(out, v->s + i, n) ==
		    -1 || sa_catc(out, '"') == -1)
			fail_nomem();
	}
	if (sa_catc(out, '\n') == -1)
		fail_nomem();
}

/* sYYYYMM, this month in UTC: a new selector for each rotation */
static void
default_selector(struct sa *sel)
{
	char b[FMT_ULONG];
	time_t now = time(NULL);
	struct tm *tm = gmtime(&now);

	if (tm == NULL)
		die_temp("unable to read the clock");
	if (sa_copys(sel, "s") == -1 ||
	    sa_catb(sel, b, fmt_ulong(b, (unsigned long)tm->tm_year + 1900))
	    == -1 || sa_catb(sel, b, fmt_ulong0(b,
	    (unsigned long)tm->tm_mon + 1, 2)) == -1)
		fail_nomem();
}

static unsigned long
number(const char *s)
{
	unsigned long u;
	size_t n = str_len(s);

	if (n == 0 || scan_ulong(s, n, &u) != n)
		die_perm(usage);
	return u;
}

int
main(int argc, char **argv)
{
	struct sa dom = SA_INIT, sel = SA_INIT, dir = SA_INIT, fn = SA_INIT;
	struct sa key = SA_INIT, val = SA_INIT, out = SA_INIT;
	const char *outfile = NULL;
	unsigned long bits = 2048;
	int i, ed = 0, r, fd, newsel = 0;
	size_t base;
	EVP_PKEY *k;

	umask(077);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (str_equal(argv[i], "--")) {
			i++;
			break;
		} else if (str_equal(argv[i], "-e"))
			ed = 1;
		else if (str_equal(argv[i], "-b") && i + 1 < argc)
			bits = number(argv[++i]);
		else if (str_equal(argv[i], "-o") && i + 1 < argc)
			outfile = argv[++i];
		else
			die_perm(usage);
	}
	if (argc - i < 1 || argc - i > 2)
		die_perm(usage);
	if (bits < 1024 || bits > 8192)
		die_perm("RSA keys have 1024 to 8192 bits (default 2048)");
	if (sa_copys(&dom, argv[i]) == -1)
		fail_nomem();
	if ((dom.len = dksign_domain(dom.s, dom.len)) == 0)
		die_perm("not a domain name: ", argv[i]);
	if (sa_str(&dom) == NULL)
		fail_nomem();
	if (!mine() && geteuid() != 0)
		die_temp("run me as root: the keys belong to ", user_dkim);

	if (chdir(conf_qmail) == -1)
		die_temp_sys("unable to chdir to ", conf_qmail);
	mkdir_dkim("control/dkim");
	if (sa_copys(&dir, "control/dkim/") == -1 || sa_cat(&dir, &dom) == -1 ||
	    sa_str(&dir) == NULL)
		fail_nomem();
	mkdir_dkim(dir.s);
	if (sa_copy(&fn, &dir) == -1 || sa_cats(&fn, "/selector") == -1 ||
	    sa_str(&fn) == NULL)
		fail_nomem();

	/* the selector: as given, else the one in use, else this month's */
	if (argc - i == 2) {
		if (sa_copys(&sel, argv[i + 1]) == -1)
			fail_nomem();
	} else if ((r = ctl_readline(&sel, fn.s)) == -1)
		die_temp_sys("unable to read ", fn.s);
	else if (r == 0 || sel.len == 0)
		default_selector(&sel);
	/* the ed25519 key's selector is SELECTOR-ed (qmail-dksign.8) */
	if (!dksign_selector(sel.s, sel.len) ||
	    sel.len > DKSIGN_SELECTOR_MAX - 3)
		die_perm("not a selector: ", sa_str(&sel) ? sel.s : "");
	if (sa_str(&sel) == NULL)
		fail_nomem();

	base = dir.len;
	for (i = 0; i <= ed; i++) {
		dir.len = base;
		if (sa_catc(&dir, '/') == -1 || sa_cat(&dir, &sel) == -1 ||
		    sa_cats(&dir, i ? ".ed25519" : ".rsa") == -1 ||
		    sa_str(&dir) == NULL)
			fail_nomem();
		if (access(dir.s, F_OK) == 0)
			k = load(dir.s);
		else {
			k = generate(i, (int)bits);
			pem(&key, k);
			if (!put_new(dir.s, key.s, key.len, 0400)) {
				EVP_PKEY_free(k);	/* made meanwhile */
				k = load(dir.s);
			}
			memset(key.s, 0, key.cap);
		}
		record_value(&val, k, i);
		record_line(&out, sel.s, i ? "-ed" : "", dom.s, &val);
		EVP_PKEY_free(k);
	}

	/* the selector file, unless one is there: a new selector for a
	 * domain in use waits until its record is published */
	if (sa_copy(&key, &sel) == -1 || sa_catc(&key, '\n') == -1)
		fail_nomem();
	if (access(fn.s, F_OK) == -1)
		newsel = put_new(fn.s, key.s, key.len, 0644);
	if (outfile != NULL) {
		if ((fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW, 0644)) == -1)
			die_temp_sys("unable to create ", outfile);
		if (fchmod(fd, 0644) == -1 ||
		    io_writeall(fd, out.s, out.len) == -1 || fsync(fd) == -1 ||
		    close(fd) == -1)
			die_temp_sys("unable to write ", outfile);
	}
	if (io_writeall(1, out.s, out.len) == -1)
		die_temp_sys("unable to write the records");
	if (!newsel) {
		r = ctl_readline(&val, fn.s);
		if (r == 1 && (val.len != sel.len ||
		    memcmp(val.s, sel.s, sel.len) != 0))
			warn(fn.s, " names another selector: write ", sel.s,
			    " there once this record is published");
	}
	return 0;
}
