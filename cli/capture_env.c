// SPDX-License-Identifier: GPL-2.0
/*
 * Capture files, the parts that are neither writing nor reading: the
 * environment record() collects on this host (uname, /proc), the probe
 * table and command a capture carries, and freeing a capture.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "capture.h"

const char *const capture_sysctl_names[CAPTURE_NSYSCTLS] = {
	"net.core.skb_defer_max",
	"net.core.netdev_budget",
	"net.core.netdev_budget_usecs",
	"net.core.dev_weight",
	"net.core.busy_poll",
	"net.core.busy_read",
};

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- freeing ---- */

static void free_probes(struct probe_status *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)p[i].name);
		free((char *)p[i].group);
		free((char *)p[i].target);
		free((char *)p[i].metrics);
		free((char *)p[i].variant);
		free((char *)p[i].note);
	}
	free(p);
}

static void free_names(struct capture_name *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

static void free_env(struct capture_env *e)
{
	free(e->kernel_release);
	free(e->kernel_version);
	free(e->kernel_cmdline);
	free(e->cpu_model);
	free(e->hostname);
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++)
		free(e->sysctls[i]);
	memset(e, 0, sizeof(*e));
}

void capture__free(struct capture *cap)
{
	free(cap->skbtop_version);
	free_env(&cap->env);
	free_probes(cap->probes, cap->nprobes);
	for (int i = 0; i < cap->argc; i++)
		free(cap->argv[i]);
	free(cap->argv);
	free_names(cap->reasons, cap->nreasons);
	free_names(cap->locations, cap->nlocations);
	for (size_t i = 0; cap->samples && i < cap->nsamples; i++) {
		free(cap->samples[i].drops);
		free(cap->samples[i].queues);
	}
	free(cap->samples);
	snapshot__free(&cap->totals);
	memset(cap, 0, sizeof(*cap));
}

/* ---- environment ---- */

static char *read_text(const char *path, size_t max)
{
	char *buf = malloc(max + 1);
	size_t n;
	FILE *f;

	if (!buf)
		return NULL;
	f = fopen(path, "re");
	if (!f) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return buf;
}

static char *cpu_model(void)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *model = NULL;

	if (!f)
		return NULL;
	while (!model && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		model = strdup(colon);
	}
	fclose(f);
	return model;
}

int capture_env__collect(struct capture_env *env, __u32 ncpus)
{
	struct utsname u;

	memset(env, 0, sizeof(*env));
	env->ncpus = ncpus;
	if (!uname(&u)) {
		env->kernel_release = strdup(u.release);
		env->kernel_version = strdup(u.version);
		env->hostname = strdup(u.nodename);
	}
	env->kernel_cmdline = read_text("/proc/cmdline", 4096);
	env->cpu_model = cpu_model();
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/proc/sys/%s", capture_sysctl_names[i]);
		for (char *c = path + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		env->sysctls[i] = read_text(path, 256);
	}
	if (!env->kernel_release || !env->kernel_cmdline)
		return -ENOMEM;
	return 0;
}

int capture__set_probes(struct capture *cap, const struct probe_status *p, size_t n)
{
	struct probe_status *c = calloc(n ? n : 1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].name = xstrdup(p[i].name ? p[i].name : "");
		c[i].group = xstrdup(p[i].group ? p[i].group : "");
		c[i].target = xstrdup(p[i].target ? p[i].target : "");
		c[i].metrics = xstrdup(p[i].metrics);
		c[i].variant = xstrdup(p[i].variant);
		c[i].note = xstrdup(p[i].note);
		c[i].mode = p[i].mode;
		c[i].caps = p[i].caps;
		snprintf(c[i].reason, sizeof(c[i].reason), "%s", p[i].reason);
	}
	free_probes(cap->probes, cap->nprobes);
	cap->probes = c;
	cap->nprobes = n;
	return 0;
}

int capture__set_command(struct capture *cap, char **argv, int argc)
{
	char **a = calloc(argc + 1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		if (!(a[i] = strdup(argv[i]))) {
			while (i--)
				free(a[i]);
			free(a);
			return -ENOMEM;
		}
	cap->argv = a;
	cap->argc = argc;
	return 0;
}
