/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One vhost-net virtqueue driven from userspace, for vhost_tx and vhost_rx:
 * /dev/vhost-net with VIRTIO_F_VERSION_1 only (the tap writes and reads the
 * vnet header), the split ring and num buffers of slot bytes in one
 * identity-mapped memory region, kick and call eventfds. The caller fills
 * the descriptors and attaches a tap queue (VHOST_NET_SET_BACKEND).
 */
#ifndef SKBTOP_GEN_VHOST_RING_H
#define SKBTOP_GEN_VHOST_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

struct vhost_ring {
	int vhost_fd, kick_fd, call_fd;
	void *mem;
	size_t mem_len;
	struct vring vr;
	unsigned char *bufs;	/* buffer i at bufs + i * slot */
	uint16_t avail_idx;	/* next avail->idx to publish */
	uint16_t last_used;	/* used entries consumed so far (mod 2^16) */
	uint16_t *free_ids;	/* num entries; the caller fills them */
	unsigned int nfree;
};

/* Nothing open: what teardown can be run on before setup. */
void vhost_ring_clear(struct vhost_ring *r);
/* Opens and configures virtqueue vq (0 RX, 1 TX) with num entries, or dies. */
void vhost_ring_setup(struct vhost_ring *r, unsigned int vq, unsigned int num, size_t slot);
/* Puts descriptor id on the avail ring; vhost sees it once published. */
void vhost_ring_add(struct vhost_ring *r, uint16_t id);
/* Kicks vhost (its kick eventfd), or dies. */
void vhost_ring_kick(struct vhost_ring *r);
/* Publishes the avail ring and kicks vhost unless it asked not to be
 * (VRING_USED_F_NO_NOTIFY); true when it kicked. */
bool vhost_ring_publish(struct vhost_ring *r);
/* The next entry vhost put on the used ring: false when there is none. */
bool vhost_ring_next_used(struct vhost_ring *r, uint32_t *id, uint32_t *len);
/* Detaches vq's backend and closes everything; async-signal-safe. */
void vhost_ring_close(struct vhost_ring *r, unsigned int vq);

/* A queue of multi-queue tap ifname with a vnet header of hdr_len bytes;
 * flags are more TUNSETIFF flags (IFF_NAPI). */
int vhost_tap_open(const char *ifname, int hdr_len, int flags);

/*
 * How many of our vhost workers (tasks named vhost-<pid>: threads of ours,
 * vhost_task, 6.4+) may run on one CPU only, and it is one of cpus[n].
 */
int vhost_workers_pinned(const int *cpus, int n);

#endif
