// SPDX-License-Identifier: GPL-2.0
/*
 * `skbtop export`: Prometheus metrics over HTTP (libmicrohttpd) and/or a
 * node_exporter textfile. Every interval the sampler (cli/sampler.c) reads
 * the maps once and adds the delta to a running total (so counters only
 * grow while skbtop runs); the total is rendered once and published:
 * scrapes copy the last rendering, the textfile is replaced with rename(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "commands.h"
#include "metrics.h"
#include "view.h"
#include "files.h"
#include "esc.h"
#include "session.h"

#define DEFAULT_BIND	"127.0.0.1"
#define ADDR_STR_LEN	(INET6_ADDRSTRLEN + 16)
/* HTTP limits (see on_connection): slots, idle and total seconds per connection */
#define HTTP_MAX_CONNS	512
#define HTTP_IDLE_S	5
#define HTTP_TOTAL_S	10
#define HTTP_LOG_EVERY_S 10	/* at most one libmicrohttpd message per this */

struct page {
	pthread_mutex_t lock;
	char *buf;		/* last rendering; NULL until the first read */
	size_t len;
	char *om;		/* the same in OpenMetrics, for scrapers that ask for it */
	size_t om_len;
};

/* ---- listening socket ---- */

/*
 * "PORT", ":PORT" -> 127.0.0.1:PORT; "ADDR:PORT", "[ADDR6]:PORT" as given.
 * Returns 0 or -EINVAL with a message in err.
 */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen,
			char *err, size_t errlen)
{
	char host[256], port[16];
	const char *colon, *p;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char *end;
	long pv;
	int rc;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - spec - 1), spec + 1);
		p = rb + 2;
		hints.ai_family = AF_INET6;
	} else if ((colon = strrchr(spec, ':'))) {
		if (strchr(spec, ':') != colon || (size_t)(colon - spec) >= sizeof(host))
			goto bad;	/* bare IPv6 without brackets is ambiguous */
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		p = colon + 1;
	} else {
		host[0] = '\0';
		p = spec;
	}
	if (!host[0]) {
		snprintf(host, sizeof(host), "%s", DEFAULT_BIND);
		hints.ai_family = AF_INET;
	}
	errno = 0;
	pv = strtol(p, &end, 10);
	if (!*p || *end || errno || pv < 0 || pv > 65535)
		goto bad;
	snprintf(port, sizeof(port), "%ld", pv);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "invalid --listen address '%s': %s", spec, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen, "invalid --listen '%s' (PORT, ADDR:PORT or [ADDR6]:PORT)", spec);
	return -EINVAL;
}

static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* Bind and listen ourselves, so a busy port fails with its errno, before BPF loads. */
static int open_listener(const struct sockaddr_storage *ss, socklen_t sslen)
{
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* reuse a port whose old connections sit in TIME_WAIT; never a live listener's */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, sslen) || listen(fd, HTTP_MAX_CONNS)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* ---- HTTP ---- */

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int status,
				 const char *type, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static const char plain[] = "text/plain; charset=utf-8";
	static const char index_body[] = "skbtop exporter: metrics at /metrics\n";
	struct page *pg = cls;
	const char *accept;
	enum MHD_Result ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, plain,
				 "method not allowed\n", 19);
	if (!strcmp(url, "/"))
		return send_text(conn, MHD_HTTP_OK, plain, index_body, sizeof(index_body) - 1);
	if (strcmp(url, "/metrics"))
		return send_text(conn, MHD_HTTP_NOT_FOUND, plain, "not found\n", 10);
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	pthread_mutex_lock(&pg->lock);
	if (pg->om && accept && strstr(accept, "application/openmetrics-text"))
		ret = send_text(conn, MHD_HTTP_OK, METRICS_OPENMETRICS_TYPE, pg->om, pg->om_len);
	else if (pg->buf)
		ret = send_text(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, pg->buf, pg->len);
	else
		ret = send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, plain, "no data yet\n", 12);
	pthread_mutex_unlock(&pg->lock);
	return ret;
}

/*
 * Slow and half-open clients (issue 20): MHD serves every connection from
 * one thread without blocking, so a scrape is answered at once as long as
 * a slot is free. Slots: HTTP_MAX_CONNS (the listen backlog too); a connection that sends nothing
 * for HTTP_IDLE_S is closed by MHD, and one older than HTTP_TOTAL_S (a
 * slowloris trickling a header line now and then) is shut down by the
 * collector loop, so no client holds a slot for long.
 */

struct http_conn {
	int fd;
	__u64 start_ns;
	bool shut;
};

/* Open connections, kept by MHD's notify callback, reaped by the main thread. */
static struct {
	pthread_mutex_t lock;
	struct http_conn c[HTTP_MAX_CONNS];
	size_t n;
	__u64 log_next_ns;	/* the next message may print after this */
	unsigned long log_dropped;
} http = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci ? ci->connect_fd : -1;

	if (fd < 0)
		return;
	/* CLOSED comes before MHD closes the socket: the reaper never sees a stale fd */
	pthread_mutex_lock(&http.lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED && http.n < HTTP_MAX_CONNS) {
		http.c[http.n++] = (struct http_conn){ fd, now_ns(CLOCK_MONOTONIC), false };
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		for (size_t i = 0; i < http.n; i++)
			if (http.c[i].fd == fd) {
				http.c[i] = http.c[--http.n];
				break;
			}
	}
	pthread_mutex_unlock(&http.lock);
}

/*
 * Between ticks (every 100 ms): end connections older than HTTP_TOTAL_S;
 * MHD then closes them.
 */
static int http_reap(void *arg, __u64 until)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);

	pthread_mutex_lock(&http.lock);
	for (size_t i = 0; i < http.n; i++)
		if (!http.c[i].shut && now - http.c[i].start_ns > HTTP_TOTAL_S * 1000000000ULL) {
			shutdown(http.c[i].fd, SHUT_RDWR);
			http.c[i].shut = true;
		}
	pthread_mutex_unlock(&http.lock);
	return 0;
}

/* libmicrohttpd's messages: prefixed, escaped, at most one per HTTP_LOG_EVERY_S. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);
	unsigned long dropped;
	char msg[256];
	size_t len;

	pthread_mutex_lock(&http.lock);
	if (now < http.log_next_ns) {
		http.log_dropped++;
		pthread_mutex_unlock(&http.lock);
		return;
	}
	dropped = http.log_dropped;
	http.log_dropped = 0;
	http.log_next_ns = now + HTTP_LOG_EVERY_S * 1000000000ULL;
	pthread_mutex_unlock(&http.lock);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	if (dropped)
		fprintf(stderr, "skbtop: http: %s (%lu more HTTP messages in the last %d s not shown)\n",
			esc(msg), dropped, HTTP_LOG_EVERY_S);
	else
		fprintf(stderr, "skbtop: http: %s\n", esc(msg));
}

/* MHD's thread inherits our signal mask: keep SIGINT/TERM/HUP for the main thread. */
static struct MHD_Daemon *start_http(int fd, int family, struct page *pg)
{
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t block, old;
	struct MHD_Daemon *d;

	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, pg,
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,	/* first, or MHD warns */
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_S,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

/* ---- textfile ---- */

struct text {
	const char *buf;
	size_t len;
};

static int emit_text(FILE *f, void *arg)
{
	const struct text *t = arg;

	return fwrite(t->buf, 1, t->len, f) == t->len ? 0 : -errno;
}

/*
 * Replaced with rename(2) (files.h): readers see the old file or the new
 * one, never a partial one; the temporary name starts with '.' and does not
 * end in .prom, so node_exporter never reads it.
 */
static int write_textfile(const char *path, const char *buf, size_t len, struct stat *written)
{
	struct text t = { buf, len };
	char msg[PATH_MAX + 64];

	return outfile__write(path, emit_text, &t, false, written, msg, sizeof(msg));
}

/* ---- collector loop ---- */

/* The process_* figures of /metrics: start time, RSS, descriptors; 0 where unread. */
static void read_process(struct metrics_process *p)
{
	static double start_s;
	struct rlimit rl;
	unsigned long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	DIR *d;

	memset(p, 0, sizeof(*p));
	if (!start_s) {		/* taken once, close enough: skbtop just started */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		start_s = ts.tv_sec + ts.tv_nsec / 1e9;
	}
	p->start_time_s = start_s;
	if (f) {
		if (fscanf(f, "%lu %lu", &pages, &rss) == 2)
			p->resident_bytes = (__u64)rss * (__u64)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d && !getrlimit(RLIMIT_NOFILE, &rl)) {
		while (readdir(d))
			p->open_fds++;
		p->open_fds -= p->open_fds >= 3 ? 3 : p->open_fds;	/* ".", "..", d's own */
		p->max_fds = rl.rlim_cur;
	}
	if (d)
		closedir(d);
}

static int render(struct metrics *m, const struct snapshot *total, const struct view_ctx *ctx,
		  char **buf, size_t *len, bool openmetrics)
{
	FILE *f = open_memstream(buf, len);
	int err;

	if (!f)
		return -errno;
	err = openmetrics ? metrics__render_openmetrics(m, f, total, ctx)
			  : metrics__render(m, f, total, ctx);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

static int publish(struct page *pg, const char *textfile, char *buf, size_t len, char *om,
		   size_t om_len, bool *tf_failing, struct stat *written)
{
	char *old, *old_om;
	int err = 0;

	if (textfile) {
		err = write_textfile(textfile, buf, len, written);
		if (err && !*tf_failing)
			fprintf(stderr, "skbtop: failed to write %s: %s\n", textfile,
				strerror(-err));
		else if (!err && *tf_failing)
			fprintf(stderr, "skbtop: writing %s again\n", textfile);
		*tf_failing = err != 0;
	}
	pthread_mutex_lock(&pg->lock);
	old = pg->buf;
	old_om = pg->om;
	pg->buf = buf;
	pg->len = len;
	pg->om = om;
	pg->om_len = om_len;
	pthread_mutex_unlock(&pg->lock);
	free(old);
	free(old_om);
	return err;
}

static int parse_limits(const struct env *env, struct metrics_opts *mo)
{
	memset(mo, 0, sizeof(*mo));
#ifdef SKBTOP_ENV_EXPORT_LIMITS
	mo->queues = env->queues;
	mo->locations = env->locations;
#endif
	if (env->per_cpu && env->top_cpus) {
		fprintf(stderr, "skbtop: --top-cpus and --per-cpu exclude each other\n");
		return -EINVAL;
	}
	mo->cpus = env->per_cpu ? 0 : env->top_cpus ? env->top_cpus : METRICS_DEFAULT_CPUS;
	if (mo->queues < 0 || mo->queues > METRICS_MAX_LIMIT ||
	    mo->locations < 0 || mo->locations > METRICS_MAX_LIMIT) {
		fprintf(stderr, "skbtop: --queues/--locations limit must be 1 to %d\n",
			METRICS_MAX_LIMIT);
		return -EINVAL;
	}
	return 0;
}

int cmd_export(struct env *env)
{
	struct page pg = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sampler_idle idle = { .every_ns = 100000000ULL, .fn = http_reap };
	struct session sess = {};
	struct sampler smp = {};
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct MHD_Daemon *httpd = NULL;
	struct metrics_opts mo;
	struct metrics m;
	struct stat tf_stat;
	char where[ADDR_STR_LEN], msg[PATH_MAX + 64];
	bool tf_failing = false, wrote_textfile = false;
	size_t len, om_len = 0;
	char *buf, *om = NULL;
	int ret = EXIT_FAIL, fd = -1, err;

	if (env->argc)
		return fprintf(stderr, "skbtop: export takes no arguments\nTry 'skbtop --help'.\n"),
		       EXIT_USAGE;
	if (!env->listen && !env->textfile)
		return fprintf(stderr, "skbtop: export needs --listen ADDR:PORT or --textfile PATH\n"
				       "Try 'skbtop --help'.\n"),
		       EXIT_USAGE;
	if (parse_limits(env, &mo))
		return EXIT_USAGE;
	if (env->listen) {
		if (parse_listen(env->listen, &ss, &sslen, msg, sizeof(msg)))
			return fprintf(stderr, "skbtop: %s\n", msg), EXIT_USAGE;
		addr_str(&ss, where, sizeof(where));
		fd = open_listener(&ss, sslen);
		if (fd < 0) {
			fprintf(stderr, "skbtop: failed to listen on %s: %s\n", where, strerror(-fd));
			return EXIT_FAIL;
		}
		/* port 0 picks one: report the real address */
		sslen = sizeof(ss);
		if (!getsockname(fd, (struct sockaddr *)&ss, &sslen))
			addr_str(&ss, where, sizeof(where));
	}
	if (env->textfile) {
		if (outfile__check(env->textfile, msg, sizeof(msg))) {
			fprintf(stderr, "skbtop: %s\n", msg);
			if (fd >= 0)
				close(fd);
			return EXIT_FAIL;
		}
	}
	metrics__init(&m, &mo);
	install_stop_handlers();
	env->probe_opts.drops_by_cpu = true;	/* skbtop_drops_total has a cpu label */
	if (session__open(&sess, env))
		goto cleanup;
	session__sampler(&sess, &smp);
	/* the maps are new: the total starts with the first read, counts since start */
	err = sampler__start(&smp, env->interval, env->duration, SAMPLER_TOTAL_ATTACH);
	while (!err) {
		read_process(&m.proc);
		err = render(&m, &smp.total, &sess.names, &buf, &len, false);
		/* OpenMetrics for scrapers that ask (a textfile is the text format) */
		if (!err && env->listen)
			err = render(&m, &smp.total, &sess.names, &om, &om_len, true);
		if (err) {
			free(buf);	/* NULL if its own render failed */
			fprintf(stderr, "skbtop: failed to render metrics: %s\n", strerror(-err));
			goto cleanup;
		}
		err = publish(&pg, env->textfile, buf, len, om, om_len, &tf_failing, &tf_stat);
		om = NULL;
		if (err && !wrote_textfile && !httpd) {
			/* the first write failed: a wrong path, not a passing problem */
			goto cleanup;
		}
		wrote_textfile |= env->textfile && !err;
		err = 0;
		if (fd >= 0 && !httpd) {
			httpd = start_http(fd, ss.ss_family, &pg);
			if (!httpd) {
				fprintf(stderr, "skbtop: failed to start HTTP server on %s\n", where);
				goto cleanup;
			}
			fd = -1;	/* MHD closes it on stop */
			fprintf(stderr, "skbtop: serving http://%s/metrics\n", where);
		}
		if (sampler__over(&smp) || sampler__wait(&smp, &idle) == SAMPLER_STOPPED)
			break;
		err = sampler__step(&smp);
	}
	if (err) {
		fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
		goto cleanup;
	}
	ret = EXIT_OK;
cleanup:
	if (httpd)
		MHD_stop_daemon(httpd);
	if (http.log_dropped)
		fprintf(stderr, "skbtop: http: %lu more messages not shown\n", http.log_dropped);
	if (fd >= 0)
		close(fd);
	/* a stopped skbtop leaves no file with frozen counters behind (only its own) */
	if (wrote_textfile)
		outfile__remove(env->textfile, &tf_stat);
	free(pg.buf);
	free(pg.om);
	sampler__free(&smp);
	metrics__free(&m);
	session__close(&sess);
	return ret;
}
