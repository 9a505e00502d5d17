/*
 * The smallest valid qcow2 image: a version 2 header, one refcount table
 * cluster, one refcount block, and a zeroed L1 table (no cluster is
 * allocated, so every read falls through to the backing node).
 * Layout in 64 KiB clusters: 0 header, 1 refcount table, 2 refcount
 * block, 3.. L1 table.
 */
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

#define CLUSTER_BITS 16
#define CLUSTER_SIZE (1u << CLUSTER_BITS)
#define L2_ENTRIES (CLUSTER_SIZE / 8)

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void be64(unsigned char *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static void be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static int write_all(int fd, const unsigned char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int qcow2_write_empty(int fd, uint64_t virtual_size)
{
	uint64_t per_l2 = (uint64_t)CLUSTER_SIZE * L2_ENTRIES;
	uint64_t l1_size = (virtual_size + per_l2 - 1) / per_l2;
	uint64_t l1_clusters = (l1_size * 8 + CLUSTER_SIZE - 1) / CLUSTER_SIZE;
	uint64_t clusters, i;
	unsigned char *img;
	int r;

	if (l1_clusters == 0)
		l1_clusters = 1;
	clusters = 3 + l1_clusters;
	if (clusters > CLUSTER_SIZE / 2)   /* one refcount block must cover them */
		return errno = EFBIG, -1;
	img = xcalloc((size_t)clusters, CLUSTER_SIZE);
	memcpy(img, "QFI\xfb", 4);
	be32(img + 4, 2);                          /* version */
	be32(img + 20, CLUSTER_BITS);
	be64(img + 24, virtual_size);
	be32(img + 36, (uint32_t)l1_size);
	be64(img + 40, 3 * (uint64_t)CLUSTER_SIZE);  /* L1 table */
	be64(img + 48, 1 * (uint64_t)CLUSTER_SIZE);  /* refcount table */
	be32(img + 56, 1);                         /* its size in clusters */
	be64(img + CLUSTER_SIZE, 2 * (uint64_t)CLUSTER_SIZE);  /* -> refcount block */
	for (i = 0; i < clusters; i++)
		be16(img + 2 * CLUSTER_SIZE + 2 * i, 1);
	r = write_all(fd, img, (size_t)clusters * CLUSTER_SIZE);
	free(img);
	return r;
}

int overlay_create(const char *dir, uint64_t virtual_size)
{
	char *path = xasprintf("%s/vmlaunch-overlay.XXXXXX", dir);
	int fd = mkstemp(path), err;

	if (fd < 0) {
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	if (qcow2_write_empty(fd, virtual_size) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int overlay_create_for(const char *dir, const char *base, uint64_t want, const char **why)
{
	off_t size = (off_t)want;
	int fd = want ? -1 : open(base, O_RDONLY | O_CLOEXEC), err;

	if (want)
		goto create;
	/* lseek, not stat: a block device's st_size is 0. */
	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		*why = "cannot size the rootfs";
		errno = err;
		return -1;
	}
	close(fd);
create:
	fd = overlay_create(dir, (uint64_t)size);
	if (fd < 0)
		*why = "cannot create the overlay";
	return fd;
}
