/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * shim.h: what a benchmark program needs to build as ordinary C.
 *
 * bench.h includes this instead of the kernel's headers when the compiler
 * does not target BPF. It provides:
 *
 * - the BPF types and constants the programs use, and struct xdp_md with
 *   real pointers in data and data_end (the programs' usual
 *   `(void *)(long)ctx->data` works on both);
 * - SEC() and the BTF map definition macros, with libbpf's definitions:
 *   a map definition is a struct whose members' types carry the map type,
 *   sizes and entry count, so sizeof() recovers them at compile time;
 * - array, hash and LPM trie maps, written the way one would write them
 *   for a user-space program: a flat array; a chained hash table with
 *   preallocated elements on a free list (as the kernel's default hash
 *   map); a binary trie. A map's state is created on first use and its
 *   address kept in the definition's first member, which is otherwise
 *   unused outside BPF;
 * - bpf_map_lookup_elem/update_elem/delete_elem, bpf_loop, and tail calls
 *   (a call through the PROG_ARRAY's function pointers).
 */
#ifndef EBPFVM_BENCH_SHIM_H
#define EBPFVM_BENCH_SHIM_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#define SEC(name)
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_LPM_TRIE = 11,
};

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2
#define BPF_F_NO_PREALLOC 1

enum xdp_action { XDP_ABORTED = 0, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT };

struct xdp_md {
	void *data;
	void *data_end;
	void *data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

struct nmap;
static struct nmap *nmap_new(int type, __u32 ksize, __u32 vsize, __u32 max);

#define NM_TYPE(m) ((int)(sizeof(*(m)->type) / sizeof(int)))
#define NM_MAX(m) ((__u32)(sizeof(*(m)->max_entries) / sizeof(int)))
#define NM(m) nmap_of((struct nmap **)(void *)&(m)->type, NM_TYPE(m), sizeof(*(m)->key), sizeof(*(m)->value), NM_MAX(m))

static __always_inline struct nmap *nmap_of(struct nmap **slot, int type, __u32 ks, __u32 vs, __u32 max)
{
	if (__builtin_expect(*slot == NULL, 0))
		*slot = nmap_new(type, ks, vs, max);
	return *slot;
}

/* ---- the maps ---- */

struct hnode {
	struct hnode *next;
	__u32 hash;
	__u32 pad;
	__u64 kv[]; /* key, then the value at an 8-byte aligned offset */
};

struct tnode {
	struct tnode *child[2];
	int has_value;
	__u64 value[];
};

struct nmap {
	int type;
	__u32 ksize, vsize, max;
	/* array */
	unsigned char *values;
	/* hash */
	struct hnode **buckets;
	__u32 mask, count, voff, nsize;
	struct hnode *free;
	/* LPM trie */
	struct tnode *root;
	unsigned char *pool;
	__u32 pool_used, pool_cap, tsize;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

static struct nmap *nmap_new(int type, __u32 ks, __u32 vs, __u32 max)
{
	struct nmap *m = xcalloc(1, sizeof(*m));
	__u32 i, nb;

	m->type = type;
	m->ksize = ks;
	m->vsize = vs;
	m->max = max;
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
		m->vsize = (vs + 7) & ~7u;
		m->values = xcalloc(max, m->vsize);
		break;
	case BPF_MAP_TYPE_HASH:
		for (nb = 1; nb < max; nb <<= 1)
			;
		m->buckets = xcalloc(nb, sizeof(*m->buckets));
		m->mask = nb - 1;
		m->voff = (ks + 7) & ~7u;
		m->nsize = sizeof(struct hnode) + m->voff + ((vs + 7) & ~7u);
		m->pool = xcalloc(max, m->nsize);
		for (i = 0; i < max; i++) {
			struct hnode *n = (struct hnode *)(m->pool + (size_t)i * m->nsize);
			n->next = m->free;
			m->free = n;
		}
		break;
	case BPF_MAP_TYPE_LPM_TRIE:
		m->tsize = sizeof(struct tnode) + ((vs + 7) & ~7u);
		m->pool_cap = max * (ks - 4) * 8 + 1;
		m->pool = xcalloc(m->pool_cap, m->tsize);
		m->root = (struct tnode *)m->pool;
		m->pool_used = 1;
		break;
	default:
		abort();
	}
	return m;
}

static __always_inline __u32 nhash(const void *key, __u32 n)
{
	const unsigned char *p = key;
	__u64 h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9fb21c651e98df25ULL;
		h ^= h >> 29;
	}
	if (n >= 4) {
		__u32 w32;
		memcpy(&w32, p, 4);
		h = (h ^ w32) * 0x9fb21c651e98df25ULL;
		p += 4;
		n -= 4;
	}
	for (; n; n--)
		h = (h ^ *p++) * 0x9fb21c651e98df25ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return (__u32)h;
}

static struct hnode *htab_find(struct nmap *m, const void *key, __u32 hash, struct hnode ***prevp)
{
	struct hnode **pp = &m->buckets[hash & m->mask], *n;

	for (; (n = *pp) != NULL; pp = &n->next) {
		if (n->hash == hash && memcmp(n->kv, key, m->ksize) == 0) {
			if (prevp)
				*prevp = pp;
			return n;
		}
	}
	return NULL;
}

static void *htab_lookup(struct nmap *m, const void *key)
{
	struct hnode *n = htab_find(m, key, nhash(key, m->ksize), NULL);

	return n ? (unsigned char *)n->kv + m->voff : NULL;
}

static long htab_update(struct nmap *m, const void *key, const void *value, __u64 flags)
{
	__u32 hash = nhash(key, m->ksize);
	struct hnode *n = htab_find(m, key, hash, NULL);

	if (n) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy((unsigned char *)n->kv + m->voff, value, m->vsize);
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (!m->free)
		return -E2BIG;
	n = m->free;
	m->free = n->next;
	n->hash = hash;
	memcpy(n->kv, key, m->ksize);
	memcpy((unsigned char *)n->kv + m->voff, value, m->vsize);
	n->next = m->buckets[hash & m->mask];
	m->buckets[hash & m->mask] = n;
	m->count++;
	return 0;
}

static long htab_delete(struct nmap *m, const void *key)
{
	struct hnode **pp, *n = htab_find(m, key, nhash(key, m->ksize), &pp);

	if (!n)
		return -ENOENT;
	*pp = n->next;
	n->next = m->free;
	m->free = n;
	m->count--;
	return 0;
}

/* LPM trie keys are struct { __u32 prefixlen; __u8 data[]; }. */
static __always_inline int key_bit(const unsigned char *data, __u32 i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

static void *trie_lookup(struct nmap *m, const void *key)
{
	__u32 plen, maxbits = (m->ksize - 4) * 8, i;
	const unsigned char *data = (const unsigned char *)key + 4;
	struct tnode *n = m->root, *best = NULL;

	memcpy(&plen, key, 4);
	if (plen > maxbits)
		plen = maxbits;
	for (i = 0;; i++) {
		if (n->has_value)
			best = n;
		if (i == plen)
			break;
		n = n->child[key_bit(data, i)];
		if (!n)
			break;
	}
	return best ? best->value : NULL;
}

static long trie_update(struct nmap *m, const void *key, const void *value)
{
	__u32 plen, i;
	const unsigned char *data = (const unsigned char *)key + 4;
	struct tnode *n = m->root;

	memcpy(&plen, key, 4);
	if (plen > (m->ksize - 4) * 8)
		return -EINVAL;
	for (i = 0; i < plen; i++) {
		int b = key_bit(data, i);
		if (!n->child[b]) {
			if (m->pool_used == m->pool_cap)
				return -ENOSPC;
			n->child[b] = (struct tnode *)(m->pool + (size_t)m->pool_used++ * m->tsize);
		}
		n = n->child[b];
	}
	if (!n->has_value) {
		if (m->count == m->max)
			return -ENOSPC;
		m->count++;
	}
	n->has_value = 1;
	memcpy(n->value, value, m->vsize);
	return 0;
}

static long trie_delete(struct nmap *m, const void *key)
{
	__u32 plen, i;
	const unsigned char *data = (const unsigned char *)key + 4;
	struct tnode *n = m->root;

	memcpy(&plen, key, 4);
	for (i = 0; i < plen && n; i++)
		n = n->child[key_bit(data, i)];
	if (!n || !n->has_value)
		return -ENOENT;
	n->has_value = 0;
	m->count--;
	return 0;
}

/* ---- the helpers ---- */

static __always_inline void *nmap_lookup(struct nmap *m, int type, const void *key)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: {
		__u32 i;
		memcpy(&i, key, 4);
		return i < m->max ? m->values + (size_t)i * m->vsize : NULL;
	}
	case BPF_MAP_TYPE_HASH:
		return htab_lookup(m, key);
	case BPF_MAP_TYPE_LPM_TRIE:
		return trie_lookup(m, key);
	}
	abort();
}

static __always_inline long nmap_update(struct nmap *m, int type, const void *key, const void *value, __u64 flags)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: {
		__u32 i;
		memcpy(&i, key, 4);
		if (i >= m->max)
			return -E2BIG;
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy(m->values + (size_t)i * m->vsize, value, m->vsize);
		return 0;
	}
	case BPF_MAP_TYPE_HASH:
		return htab_update(m, key, value, flags);
	case BPF_MAP_TYPE_LPM_TRIE:
		return trie_update(m, key, value);
	}
	abort();
}

static __always_inline long nmap_delete(struct nmap *m, int type, const void *key)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
		return -EINVAL;
	case BPF_MAP_TYPE_HASH:
		return htab_delete(m, key);
	case BPF_MAP_TYPE_LPM_TRIE:
		return trie_delete(m, key);
	}
	abort();
}

#define bpf_map_lookup_elem(m, k) nmap_lookup(NM(m), NM_TYPE(m), (k))
#define bpf_map_update_elem(m, k, v, f) nmap_update(NM(m), NM_TYPE(m), (k), (v), (f))
#define bpf_map_delete_elem(m, k) nmap_delete(NM(m), NM_TYPE(m), (k))

/* bpf_loop: the callback's non-zero return ends the loop. */
static __always_inline long bpf_loop(__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags)
{
	long (*cb)(__u32, void *) = (long (*)(__u32, void *))callback_fn;
	__u32 i;

	(void)flags;
	for (i = 0; i < nr_loops; i++)
		if (cb(i, callback_ctx))
			return i + 1;
	return i;
}

/*
 * tail_call: in BPF, bpf_tail_call never returns when it succeeds; here the
 * target is called and its result returned. The kernel's limit of 33 tail
 * calls per run is the programs' business: they stay under it.
 */
#define tail_call(ctx, m, idx)                                                   \
	do {                                                                     \
		__u32 _i = (idx);                                                \
		if (_i < NM_MAX(m) && (m)->values[_i])                           \
			return ((int (*)(struct xdp_md *))(m)->values[_i])(ctx); \
	} while (0)

#endif
