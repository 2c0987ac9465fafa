/*
 * cdb.h: constant databases in D. J. Bernstein's cdb format, compatible
 * with tcprules, qmail-newu and cdbmake.
 *
 * Reading: cdb_find returns 1 found (data at cdb_datapos, cdb_datalen),
 * 0 not found, -1 error (EPROTO for a corrupt file).  Writing: 0 success,
 * -1 with errno set.
 */
#ifndef CDB_H
#define CDB_H

#include <stdint.h>

#include "io.h"

struct cdb {
	char		*map;	/* whole file, or NULL: use pread */
	int		 fd;
	uint32_t	 size;
	uint32_t	 loop, khash, kpos, hpos, hslots, dpos, dlen;
};

void	 cdb_init(struct cdb *, int);
void	 cdb_free(struct cdb *);
int	 cdb_read(struct cdb *, char *, uint32_t, uint32_t);
int	 cdb_find(struct cdb *, const char *, uint32_t);
void	 cdb_findstart(struct cdb *);
int	 cdb_findnext(struct cdb *, const char *, uint32_t);	/* after findstart: next record for key */
#define cdb_datapos(c)	((c)->dpos)
#define cdb_datalen(c)	((c)->dlen)
uint32_t cdb_hash(const char *, uint32_t);

struct cdb_hp { uint32_t h, p; };
struct cdb_make {
	struct buf	 b;
	char		 space[BUF_SIZE];
	uint32_t	 pos;
	struct cdb_hp	*hp;
	uint32_t	 nhp, caphp;
	int		 fd;
};
int	 cdb_make_start(struct cdb_make *, int);
int	 cdb_make_add(struct cdb_make *, const char *, uint32_t, const char *, uint32_t);
int	 cdb_make_finish(struct cdb_make *);	/* writes the tables, flushes, does not fsync */

#endif
