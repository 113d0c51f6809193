// SPDX-License-Identifier: GPL-2.0
/* A vhost-net virtqueue driven from userspace: see vhost_ring.h. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <net/if.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "vhost_ring.h"

void vhost_ring_clear(struct vhost_ring *r)
{
	r->vhost_fd = r->kick_fd = r->call_fd = -1;
	r->mem = NULL;
}

void vhost_ring_setup(struct vhost_ring *r, unsigned int vq, unsigned int num, size_t slot)
{
	struct vhost_memory *mt;
	struct vhost_vring_state st;
	struct vhost_vring_addr addr;
	struct vhost_vring_file vf;
	uint64_t features;
	size_t ring_len;

	r->vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (r->vhost_fd < 0)
		die_errno("open /dev/vhost-net");
	if (ioctl(r->vhost_fd, VHOST_SET_OWNER, NULL))
		die_errno("VHOST_SET_OWNER");
	if (ioctl(r->vhost_fd, VHOST_GET_FEATURES, &features))
		die_errno("VHOST_GET_FEATURES");
	if (!(features & (1ULL << VIRTIO_F_VERSION_1)))
		die("vhost-net lacks VIRTIO_F_VERSION_1 (features %#llx)",
		    (unsigned long long)features);
	/* no VHOST_NET_F_VIRTIO_NET_HDR: the tap writes the vnet header */
	features = 1ULL << VIRTIO_F_VERSION_1;
	if (ioctl(r->vhost_fd, VHOST_SET_FEATURES, &features))
		die_errno("VHOST_SET_FEATURES");

	/* rings and buffers in one region, identity-mapped */
	ring_len = (vring_size(num, 4096) + 4095) & ~(size_t)4095;
	r->mem_len = ring_len + (size_t)num * slot;
	r->mem = mmap(NULL, r->mem_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->mem == MAP_FAILED) {
		r->mem = NULL;
		die_errno("mmap %zu bytes", r->mem_len);
	}
	vring_init(&r->vr, num, r->mem, 4096);
	r->bufs = (unsigned char *)r->mem + ring_len;
	r->free_ids = calloc(num, sizeof(*r->free_ids));
	if (!r->free_ids)
		die("out of memory");
	r->nfree = 0;
	r->avail_idx = r->last_used = 0;

	mt = calloc(1, sizeof(*mt) + sizeof(mt->regions[0]));
	if (!mt)
		die("out of memory");
	mt->nregions = 1;
	mt->regions[0].guest_phys_addr = (uintptr_t)r->mem;
	mt->regions[0].userspace_addr = (uintptr_t)r->mem;
	mt->regions[0].memory_size = r->mem_len;
	if (ioctl(r->vhost_fd, VHOST_SET_MEM_TABLE, mt))
		die_errno("VHOST_SET_MEM_TABLE");
	free(mt);

	st.index = vq;
	st.num = num;
	if (ioctl(r->vhost_fd, VHOST_SET_VRING_NUM, &st))
		die_errno("VHOST_SET_VRING_NUM %u", num);
	st.num = 0;
	if (ioctl(r->vhost_fd, VHOST_SET_VRING_BASE, &st))
		die_errno("VHOST_SET_VRING_BASE");
	memset(&addr, 0, sizeof(addr));
	addr.index = vq;
	addr.desc_user_addr = (uintptr_t)r->vr.desc;
	addr.avail_user_addr = (uintptr_t)r->vr.avail;
	addr.used_user_addr = (uintptr_t)r->vr.used;
	if (ioctl(r->vhost_fd, VHOST_SET_VRING_ADDR, &addr))
		die_errno("VHOST_SET_VRING_ADDR");
	r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->kick_fd < 0 || r->call_fd < 0)
		die_errno("eventfd");
	vf.index = vq;
	vf.fd = r->kick_fd;
	if (ioctl(r->vhost_fd, VHOST_SET_VRING_KICK, &vf))
		die_errno("VHOST_SET_VRING_KICK");
	vf.fd = r->call_fd;
	if (ioctl(r->vhost_fd, VHOST_SET_VRING_CALL, &vf))
		die_errno("VHOST_SET_VRING_CALL");
	r->vr.avail->flags = 0;
	r->vr.avail->idx = 0;
}

void vhost_ring_add(struct vhost_ring *r, uint16_t id)
{
	r->vr.avail->ring[r->avail_idx % r->vr.num] = id;
	r->avail_idx++;
}

void vhost_ring_kick(struct vhost_ring *r)
{
	uint64_t one = 1;

	if (write(r->kick_fd, &one, sizeof(one)) != sizeof(one))
		die_errno("kick eventfd");
}

bool vhost_ring_publish(struct vhost_ring *r)
{
	__atomic_store_n(&r->vr.avail->idx, r->avail_idx, __ATOMIC_RELEASE);
	/* avail->idx store before the used->flags load */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->vr.used->flags, __ATOMIC_ACQUIRE) & VRING_USED_F_NO_NOTIFY)
		return false;
	vhost_ring_kick(r);
	return true;
}

bool vhost_ring_next_used(struct vhost_ring *r, uint32_t *id, uint32_t *len)
{
	uint16_t used = __atomic_load_n(&r->vr.used->idx, __ATOMIC_ACQUIRE);
	struct vring_used_elem *e;

	if (r->last_used == used)
		return false;
	e = &r->vr.used->ring[r->last_used % r->vr.num];
	if (e->id >= r->vr.num)
		die("vhost returned bad descriptor id %u", e->id);
	*id = e->id;
	*len = e->len;
	r->last_used++;
	return true;
}

void vhost_ring_close(struct vhost_ring *r, unsigned int vq)
{
	struct vhost_vring_file be = { .index = vq, .fd = -1 };

	if (r->vhost_fd >= 0) {
		ioctl(r->vhost_fd, VHOST_NET_SET_BACKEND, &be);
		close(r->vhost_fd);
	}
	if (r->kick_fd >= 0)
		close(r->kick_fd);
	if (r->call_fd >= 0)
		close(r->call_fd);
	if (r->mem)
		munmap(r->mem, r->mem_len);
	vhost_ring_clear(r);
}

int vhost_tap_open(const char *ifname, int hdr_len, int flags)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_errno("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE | flags;
	if (ioctl(fd, TUNSETIFF, &ifr))
		die_errno("TUNSETIFF %s", ifname);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len))
		die_errno("TUNSETVNETHDRSZ");
	return fd;
}

/*
 * How many of our vhost workers (tasks named vhost-<pid>: threads of ours,
 * vhost_task, 6.4+) may run on one CPU only, and it is one of cpus[].
 * They inherit the affinity their creator has at VHOST_SET_OWNER.
 */
int vhost_workers_pinned(const int *cpus, int ncpus)
{
	char want[32], path[300], comm[32];
	struct dirent *e;
	int pinned = 0;
	DIR *dir;

	snprintf(want, sizeof(want), "vhost-%d\n", getpid());
	dir = opendir("/proc/self/task");
	if (!dir)
		die_errno("opendir /proc/self/task");
	while ((e = readdir(dir))) {
		cpu_set_t set;
		FILE *f;
		int i;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want) &&
		    !sched_getaffinity(atoi(e->d_name), sizeof(set), &set) && CPU_COUNT(&set) == 1)
			for (i = 0; i < ncpus; i++)
				if (CPU_ISSET(cpus[i], &set)) {
					pinned++;
					break;
				}
		fclose(f);
	}
	closedir(dir);
	return pinned;
}
