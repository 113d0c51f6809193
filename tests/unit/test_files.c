// SPDX-License-Identifier: GPL-2.0
/* files.c without root: what an output path may be, owner and mode kept, FIFO readers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "files.h"

static char dir[] = "/tmp/skbtop-files.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static const char *at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int entries(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static int emit_hello(FILE *f, void *arg)
{
	(void)arg;
	return fputs("hello\n", f) == EOF ? -1 : 0;
}

static void test_check_refuses(void **state)
{
	char err[512];
	struct stat st;

	(void)state;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(mkdir(at("d"), 0700), 0);
	assert_int_equal(symlink("fifo", at("sym")), 0);
	assert_int_equal(symlink("nowhere", at("dangling")), 0);
	assert_int_not_equal(outfile__check(at("fifo"), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "fifo: not a regular file"));
	assert_int_not_equal(outfile__check(at("d"), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "is a directory"));
	assert_int_not_equal(outfile__check(at("sym"), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_not_equal(outfile__check(at("dangling"), err, sizeof(err)), 0);
	assert_int_not_equal(outfile__check("", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "empty file name"));
	assert_int_not_equal(outfile__check("-", err, sizeof(err)), 0);
	assert_int_not_equal(outfile__check(at("none/x"), err, sizeof(err)), 0);
	/* and the writer refuses the same at the end */
	assert_int_not_equal(outfile__write(at("fifo"), emit_hello, NULL, false, NULL, err,
					    sizeof(err)), 0);
	assert_int_equal(lstat(at("fifo"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(lstat(at("sym"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(entries(), 4);		/* nothing created, nothing removed */
	assert_int_equal(outfile__check(at("new"), err, sizeof(err)), 0);
	assert_int_equal(entries(), 4);		/* the probe file is gone */
}

static void test_write_keeps_mode(void **state)
{
	char err[512];
	struct stat st, written;
	int fd;

	(void)state;
	fd = open(at("out"), O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(at("out"), 0640), 0);
	assert_int_equal(outfile__write(at("out"), emit_hello, NULL, true, &written, err,
					sizeof(err)), 0);
	assert_int_equal(stat(at("out"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_ino, written.st_ino);
	/* a new file is 0644 */
	assert_int_equal(outfile__write(at("new"), emit_hello, NULL, false, NULL, err,
					sizeof(err)), 0);
	assert_int_equal(stat(at("new"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* remove only what we wrote: a file put there since stays */
	assert_int_equal(rename(at("new"), at("out")), 0);
	outfile__remove(at("out"), &written);
	assert_int_equal(stat(at("out"), &st), 0);
	assert_int_equal(stat(at("out"), &written), 0);
	outfile__remove(at("out"), &written);
	assert_int_not_equal(stat(at("out"), &st), 0);
}

static int emit_fail(FILE *f, void *arg)
{
	(void)f;
	(void)arg;
	return -28;	/* ENOSPC */
}

static void test_write_failure_leaves_nothing(void **state)
{
	char err[512];
	int before = entries();

	(void)state;
	assert_int_equal(outfile__write(at("fail"), emit_fail, NULL, true, NULL, err,
					sizeof(err)), -28);
	assert_non_null(strstr(err, "No space left on device"));
	assert_int_equal(entries(), before);
}

static void test_infile_fifo(void **state)
{
	char err[512];

	(void)state;
	/* with nobody writing, a blocking open would never return */
	assert_int_equal(infile__open(at("fifo"), err, sizeof(err)), -22);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(infile__open(at("d"), err, sizeof(err)), -22);
	assert_int_equal(infile__open(at("absent"), err, sizeof(err)), -2);
	assert_non_null(strstr(err, "failed to open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_write_keeps_mode),
		cmocka_unit_test(test_write_failure_leaves_nothing),
		cmocka_unit_test(test_infile_fifo),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
