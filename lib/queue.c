/*
 * queue.c: queue paths and the trigger (queue.h).
 */
#include <fcntl.h>
#include <unistd.h>

#include "conf.h"
#include "queue.h"

unsigned long
queue_split(unsigned long id)
{
	return id % conf_split;
}

int
queue_path(struct sa *x, const char *dir, unsigned long id)
{
	if (sa_copys(x, dir) == -1 || sa_catc(x, '/') == -1 ||
	    sa_catulong(x, id) == -1 || sa_str(x) == NULL)
		return -1;
	return 0;
}

int
queue_split_path(struct sa *x, const char *dir, unsigned long id)
{
	if (sa_copys(x, dir) == -1 || sa_catc(x, '/') == -1 ||
	    sa_catulong(x, queue_split(id)) == -1 || sa_catc(x, '/') == -1 ||
	    sa_catulong(x, id) == -1 || sa_str(x) == NULL)
		return -1;
	return 0;
}

/*
 * The trigger is a named pipe that qmail-send keeps open for reading.
 * O_NONBLOCK: if qmail-send is not running the open fails at once, and
 * if the pipe is full a wakeup is already pending; either way the message
 * is safe in todo and qmail-send finds it when it next scans.
 */
void
queue_trigger(void)
{
	int fd;

	if ((fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return;
	(void)!write(fd, "", 1);
	close(fd);
}
