// SPDX-License-Identifier: GPL-2.0
/* Output and input files, checked the same way for every subcommand (files.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "files.h"

/* the temporary file being filled, for outfile__abort() in a signal handler */
static char tmp_path[PATH_MAX];
static volatile sig_atomic_t tmp_live;

static const char *not_regular(mode_t m)
{
	if (S_ISDIR(m))
		return "is a directory";
	if (S_ISLNK(m))
		return "is a symbolic link (give the file it points to)";
	return "not a regular file";
}

/* ".NAME.XXXXXX" beside path: node_exporter never reads it (no .prom ending) */
static int tmp_name(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash)
		n = snprintf(buf, len, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		n = snprintf(buf, len, ".%s.XXXXXX", path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The directory part of path, "." when there is none. */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* Append-only or immutable: rename and unlink fail there (chattr +a / +i). */
static bool pinned(const char *path, int oflags)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | oflags);
	int attr = 0;
	bool ret = false;

	if (fd < 0)
		return false;
	if (!ioctl(fd, FS_IOC_GETFLAGS, &attr))
		ret = attr & (FS_APPEND_FL | FS_IMMUTABLE_FL);
	close(fd);
	return ret;
}

static void block_stops(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

/* mkostemp with the name registered for outfile__abort(), atomically w.r.t. stop signals */
static int tmp_create(const char *path)
{
	sigset_t old;
	int fd, err;

	err = tmp_name(path, tmp_path, sizeof(tmp_path));
	if (err)
		return err;
	block_stops(&old);
	fd = mkostemp(tmp_path, O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	tmp_live = fd >= 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return fd < 0 ? err : fd;
}

/* Rename the temporary over path (or, when path is NULL or rename fails, unlink it). */
static int tmp_finish(const char *path)
{
	sigset_t old;
	int err = 0;

	block_stops(&old);
	if (path && rename(tmp_path, path))
		err = -errno;
	if (!path || err)
		unlink(tmp_path);
	tmp_live = 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

void outfile__abort(void)
{
	if (tmp_live)
		unlink(tmp_path);
	tmp_live = 0;
}

int outfile__check(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	if (!path || !*path) {
		snprintf(err, errlen, "failed to write the output: empty file name");
		return -EINVAL;
	}
	if (!strcmp(path, "-")) {
		snprintf(err, errlen, "failed to write '-': standard output is not supported here, "
			 "give a file name");
		return -EINVAL;
	}
	if (!lstat(path, &st) && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "failed to write %s: %s", path, not_regular(st.st_mode));
		return -EEXIST;
	}
	dir_of(path, dir, sizeof(dir));
	if (pinned(dir, O_DIRECTORY) || pinned(path, 0)) {
		snprintf(err, errlen, "failed to write %s: it or its directory is append-only or "
			 "immutable (chattr), so it cannot be replaced", path);
		return -EPERM;
	}
	/* prove the directory takes a new file: create one and remove it */
	fd = tmp_create(path);
	if (fd < 0) {
		snprintf(err, errlen, "failed to write %s: %s", path, strerror(-fd));
		return fd;
	}
	close(fd);
	tmp_finish(NULL);
	return 0;
}

int outfile__write(const char *path, int (*emit)(FILE *f, void *arg), void *arg, bool durable,
		   struct stat *written, char *err, size_t errlen)
{
	struct stat old;
	bool replace = false;
	char dir[PATH_MAX];
	FILE *f;
	int fd, ret = 0;

	if (!lstat(path, &old)) {
		/* checked at start, but the path may have changed since */
		if (!S_ISREG(old.st_mode)) {
			snprintf(err, errlen, "failed to write %s: %s", path,
				 not_regular(old.st_mode));
			return -EEXIST;
		}
		replace = true;
	}
	fd = tmp_create(path);
	if (fd < 0) {
		snprintf(err, errlen, "failed to write %s: %s", path, strerror(-fd));
		return fd;
	}
	/* a replaced file keeps its owner and mode (chown clears set-id bits: mode last) */
	if (replace && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
	    fchown(fd, old.st_uid, old.st_gid))
		ret = -errno;
	if (!ret && fchmod(fd, replace ? old.st_mode & 07777 : 0644))
		ret = -errno;
	f = ret ? NULL : fdopen(fd, "w");
	if (!f) {
		ret = ret ?: -errno;
		close(fd);
		goto out;
	}
	ret = emit(f, arg);
	if (!ret && fflush(f))
		ret = -errno;
	if (!ret && ferror(f))
		ret = -EIO;
	if (!ret && durable && fsync(fd))
		ret = -errno;
	if (!ret && written && fstat(fd, written))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
out:
	if (ret) {
		tmp_finish(NULL);
		snprintf(err, errlen, "failed to write %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = tmp_finish(path);
	if (ret) {
		snprintf(err, errlen, "failed to rename a temporary file to %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	if (durable) {
		/* make the rename itself durable */
		dir_of(path, dir, sizeof(dir));
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	return 0;
}

int outfile__keep_old(const char *path, char *err, size_t errlen)
{
	char old[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	if (snprintf(old, sizeof(old), "%s.old", path) >= (int)sizeof(old)) {
		snprintf(err, errlen, "failed to keep %s.old: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if (!lstat(old, &st)) {
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "failed to keep %s: %s %s", old, old,
				 not_regular(st.st_mode));
			return -EEXIST;
		}
		if (unlink(old)) {
			int e = errno;

			snprintf(err, errlen, "failed to keep %s: %s", old, strerror(e));
			return -e;
		}
	}
	if (link(path, old)) {
		int e = errno;

		snprintf(err, errlen, "failed to keep %s: %s", old, strerror(e));
		return -e;
	}
	return 1;
}

void outfile__remove(const char *path, const struct stat *written)
{
	struct stat st;

	if (!lstat(path, &st) && st.st_dev == written->st_dev && st.st_ino == written->st_ino)
		unlink(path);
}

int infile__open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	/* refuse a device before open(), which may act on it (a tape rewinds) */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "failed to open %s: %s", path, not_regular(st.st_mode));
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int ret = -errno;

		snprintf(err, errlen, "failed to open %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "failed to open %s: not a regular file", path);
		return -EINVAL;
	}
	return fd;
}

void stdio__reserve(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", O_RDONLY);
		if (nfd >= 0 && nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
}

static struct rlimit fds_saved;
static bool fds_raised;

int fds__ensure(unsigned int need, char *err, size_t errlen)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return 0;
	if (r.rlim_cur >= need)
		return 0;
	if (r.rlim_max < need) {
		snprintf(err, errlen, "failed to start: %llu open files allowed (ulimit -n); "
			 "skbtop needs %u", (unsigned long long)r.rlim_max, need);
		return -EMFILE;
	}
	fds_saved = r;
	r.rlim_cur = r.rlim_max < 1024 ? r.rlim_max : 1024;
	if (r.rlim_cur < need)
		r.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &r)) {
		snprintf(err, errlen, "failed to raise the open-file limit to %u: %s", need,
			 strerror(errno));
		return -errno;
	}
	fds_raised = true;
	return 0;
}

void fds__restore(void)
{
	if (fds_raised)
		setrlimit(RLIMIT_NOFILE, &fds_saved);
}

int stdout__flush(void)
{
	int e;

	if (fflush(stdout))
		e = errno;
	else if (ferror(stdout))
		e = EIO;	/* an earlier write failed; its errno is gone */
	else
		return 0;
	if (e == EPIPE)
		return 1;
	fprintf(stderr, "skbtop: failed to write standard output: %s\n", strerror(e));
	return -e;
}
