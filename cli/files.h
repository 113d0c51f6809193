/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files skbtop writes or reads on behalf of root: every output goes through
 * outfile__check() before anything loads or runs and outfile__write() at
 * the end; every input through infile__open(). Nothing here replaces a
 * device node, FIFO, socket, directory or symlink, unlinks a file skbtop did
 * not create, or blocks on a FIFO.
 */
#ifndef SKBTOP_FILES_H
#define SKBTOP_FILES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

/*
 * Before any probe loads or command runs: refuse an empty path, "-", a path
 * that exists and is not a regular file (symlinks included), and a directory
 * where a file cannot be replaced atomically (not writable, append-only or
 * immutable). Returns 0 or -errno with "failed to write PATH: why" in err.
 */
int outfile__check(const char *path, char *err, size_t errlen);

/*
 * Replace path atomically: emit() fills ".NAME.XXXXXX" in the same
 * directory, which is then renamed over path (fsync'ed first, and the
 * directory after, when durable). A replaced regular file keeps its owner
 * and mode; a new one is 0644. On failure nothing is left behind. On
 * success *written (if not NULL) identifies the new file. Returns 0 or
 * -errno (the errno of the failing call), message in err.
 */
int outfile__write(const char *path, int (*emit)(FILE *f, void *arg), void *arg, bool durable,
		   struct stat *written, char *err, size_t errlen);

/*
 * Keep the regular file at path as PATH.old (a hard link, so path itself is
 * still replaced atomically), as perf keeps perf.data.old: an earlier
 * PATH.old that is a regular file is replaced, anything else there is left
 * alone. Returns 1 when kept, 0 when path held nothing, -errno with a
 * message in err when it could not be kept.
 */
int outfile__keep_old(const char *path, char *err, size_t errlen);

/* Unlink path only if it is still the file outfile__write() left there. */
void outfile__remove(const char *path, const struct stat *written);

/*
 * For a signal handler about to die: unlink the temporary file an
 * outfile__write() is filling, if any (async-signal-safe).
 */
void outfile__abort(void);

/*
 * Open a file to read: O_NONBLOCK, so a FIFO never hangs the open; anything
 * but a regular file is refused. Returns the fd or -errno, with "failed to
 * open PATH: why" in err.
 */
int infile__open(const char *path, char *err, size_t errlen);

/*
 * At start-up, before any file is created: a closed fd 0, 1 or 2 is opened
 * read-only on /dev/null, so no file skbtop opens takes its number, and a
 * write to a closed stdout/stderr still fails (EBADF) as it would have.
 */
void stdio__reserve(void);

/*
 * Before loading probes: at least need file descriptors, raising the soft
 * RLIMIT_NOFILE towards the hard one when it is lower (never past 1024, so
 * select() users stay safe). A limit too low to raise is refused up front
 * (-EMFILE, "failed to start: ..." in err) rather than surfacing as probes
 * that "attached" or as out-of-memory errors half-way through loading.
 */
int fds__ensure(unsigned int need, char *err, size_t errlen);
/* In a child about to exec: the soft limit as it was before fds__ensure(). */
void fds__restore(void);

/*
 * Flush stdout after a piece of output. Returns 0 when it went out; 1 when
 * the reader closed the pipe (EPIPE: stop quietly, exit 0); -errno after
 * printing "failed to write standard output: why" (exit 1).
 */
int stdout__flush(void);

#endif
