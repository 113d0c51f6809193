/* SPDX-License-Identifier: GPL-2.0 */
/* Counter indices shared by cpumap_xdp.bpf.c and cpumap_xdp.c */
#ifndef SKBTOP_GEN_CPUMAP_XDP_H
#define SKBTOP_GEN_CPUMAP_XDP_H

enum {
	ST_SEEN,		/* frames seen by the XDP program */
	ST_OURS,		/* of those, UDP to the generator's port */
	ST_REDIRECTED,		/* bpf_redirect_map() returned XDP_REDIRECT */
	ST_PASS,		/* it returned the XDP_PASS fallback */
	ST_ENQ_PROCESSED,	/* xdp:xdp_cpumap_enqueue processed */
	ST_ENQ_DROPS,		/* xdp:xdp_cpumap_enqueue drops (ring full) */
	ST_KT_RUNS,		/* xdp:xdp_cpumap_kthread events */
	ST_KT_PROCESSED,	/* xdp:xdp_cpumap_kthread processed */
	ST_KT_DROPS,		/* xdp:xdp_cpumap_kthread drops */
	ST_MAX
};

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif

#endif
