// SPDX-License-Identifier: GPL-2.0
/*
 * floor: attach one program of floor.bpf.o to skb:kfree_skb and hold it
 * until SIGINT/SIGTERM; then print the drops it counted.
 *
 *   floor [-o OBJ] count|empty
 *
 * Prints "ready" once attached, so a script can wait for it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *which;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog, *want = NULL;
	struct bpf_link *link = NULL;
	char dflt[4096], name[32];
	int err = 1, ncpus;

	if (argc == 4 && !strcmp(argv[1], "-o")) {
		path = argv[2];
		which = argv[3];
	} else if (argc == 2) {
		ssize_t n = readlink("/proc/self/exe", dflt, sizeof(dflt) - 16);

		if (n < 0)
			return perror("readlink"), 1;
		dflt[n] = 0;
		strcpy(strrchr(dflt, '/') + 1, "floor.bpf.o");
		path = dflt;
		which = argv[1];
	} else {
		fprintf(stderr, "usage: floor [-o OBJ] count|empty\n");
		return 64;
	}
	snprintf(name, sizeof(name), "floor_%s", which);
	libbpf_set_print(quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "floor: failed to open %s: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!strcmp(bpf_program__name(prog), name))
			want = prog;
		else
			bpf_program__set_autoload(prog, false);
	}
	if (!want) {
		fprintf(stderr, "floor: no program %s in %s\n", name, path);
		err = 64;
		goto cleanup;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: failed to load %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	link = bpf_program__attach(want);
	if (!link) {
		fprintf(stderr, "floor: failed to attach %s: %s\n", name, strerror(errno));
		goto cleanup;
	}
	printf("ready %s\n", name);
	fflush(stdout);
	while (!stop)
		pause();
	ncpus = libbpf_num_possible_cpus();
	if (ncpus > 0) {
		__u64 *v = calloc(ncpus, sizeof(*v)), sum = 0;
		__u32 zero = 0;
		int fd = bpf_object__find_map_fd_by_name(obj, "drops");

		if (v && !bpf_map_lookup_elem(fd, &zero, v))
			for (int i = 0; i < ncpus; i++)
				sum += v[i];
		printf("drops %llu\n", (unsigned long long)sum);
		free(v);
	}
	err = 0;
cleanup:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err;
}
