// SPDX-License-Identifier: MIT
// /net and PatchworkOS's local seqpacket sockets under /net/local: the
// seqpacket factory, /net/local/<id>/{ctl,data,accept}, the bound names in
// /net/local/listen/, connections with
// message boundaries kept in two bounded rings. The contract, the limits and
// where we differ from PatchworkOS are in kernel/abi/net_local.h.
//
// Objects: a socket (struct local_sock) is made by an open of seqpacket (it
// then has an id directory and an anchor: its creator's namespace's
// lineage, fs/lineage.c) or of accept (an accepted connection: no
// directory, no anchor). Its "users" are its tie to the anchor and its open
// files; when they are gone the socket dies: its directory goes, its name
// is freed, its connection or backlog is hung up. Its memory stays while
// inodes (which hold "refs") point at it. A connection (struct local_conn)
// is shared by its two sockets, or by a client and the listener's backlog
// until accepted, and freed with the last of them.
//
// Namespaces (PW mounts a socket's directory in its creator's namespace,
// propagated to the namespaces copied from it): the directory /net/local/<id>
// is found only by a process whose namespace is the anchor's or was copied
// from it (lineage_descends); a bound name only within the anchor's tree
// (lineage_related), which is where it is unique. Both are judged by the
// calling process's namespace, as /proc/self is; a descriptor is a
// capability and works wherever it is passed.
//
// Locks, in this order:
//   local_lock (mutex): the socket table and names, every socket's users,
//     dead, state (written), name, backlog, conn (written once), and the
//     live count. Not taken by read, write or poll.
//   conn->lock (mutex): both rings of a connection and its closed flag;
//     user copies happen under it, so a faulting call moves nothing.
//   lineage_lock (spinlock, leaf, fs/lineage.c): the anchors' ties.
// Poll may take no mutex (fs/file.h), so the fields it reads (state,
// npending, dead, ring lengths, closed) are written with atomic stores under
// their lock and read with atomic loads.
#include "fs/fs.h"
#include "fs/internal.h"

#include "kernel/abi/net_local.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/process.h"
#include "kernel/sched/sched.h"

enum local_state { LOCAL_NEW, LOCAL_BOUND, LOCAL_LISTENING, LOCAL_CONNECTED };
/* Ring index: each side reads one and writes the other. */
enum { TO_SERVER = 0, TO_CLIENT = 1 };

struct local_ring {
	uint8_t *buf;             /* NET_LOCAL_RING_BYTES */
	uint64_t head;            /* Guarded by: conn->lock */
	uint64_t len;             /* Guarded by: conn->lock; atomic stores, poll loads it */
};

struct local_conn {
	uint64_t refs;            /* atomic: the two sockets, or a client and the backlog */
	struct mutex lock;
	struct wait_queue wq;     /* readers, writers and pollers of both sides */
	bool closed;              /* Guarded by: lock; atomic stores: a side went */
	struct local_ring ring[2];
	struct local_conn *next;  /* Guarded by: local_lock: in a listener's backlog */
};

struct local_sock {
	uint64_t refs;            /* atomic: users, inodes; the struct goes at 0 */
	uint64_t id;              /* Immutable */
	bool has_dir;             /* Immutable: made by seqpacket (has an id and an anchor) */
	struct lineage *anchor;   /* Immutable: the creator's namespace's lineage (a reference), or NULL */
	/* Guarded by: local_lock (atomic stores where poll reads them) */
	uint64_t users;
	bool dead;
	uint32_t state;
	char name[MAX_NAME];
	struct local_conn *pending_head, *pending_tail;
	uint32_t npending, backlog;
	struct local_sock *prev, *next;     /* the table of sockets with a directory */
	bool in_table;
	/* Written once under local_lock before state becomes LOCAL_CONNECTED; then immutable until death */
	struct local_conn *conn;
	int side;                 /* TO_SERVER: this is the client (it writes to the server) */
	struct wait_queue accept_wq;        /* accepters and pollers of a listening socket */
	struct lineage_tie tie;             /* to the anchor: a user until no namespace sees it */
};

static struct mutex local_lock;
static struct local_sock *table_head;       /* Guarded by: local_lock */
static uint64_t live_sockets;               /* Guarded by: local_lock */
static uint64_t next_id;                    /* Guarded by: local_lock */
static uint64_t socks_allocated, conns_allocated; /* atomic: the leak counter */

uint64_t net_local_objects_live(void)
{
	return __atomic_load_n(&socks_allocated, __ATOMIC_RELAXED) + __atomic_load_n(&conns_allocated, __ATOMIC_RELAXED);
}

/* ---- connections ---- */

static struct local_conn *conn_alloc(void)
{
	if (!pmm_user_may_allocate())
		return NULL; /* program data: ENOMEM rather than the kernel's reserve */
	struct local_conn *c = kzalloc(sizeof(*c));
	if (!c)
		return NULL;
	c->ring[0].buf = kmalloc(NET_LOCAL_RING_BYTES);
	c->ring[1].buf = c->ring[0].buf ? kmalloc(NET_LOCAL_RING_BYTES) : NULL;
	if (!c->ring[1].buf) {
		kfree(c->ring[0].buf);
		kfree(c);
		return NULL;
	}
	c->refs = 1;
	mutex_init(&c->lock);
	wait_queue_init(&c->wq);
	__atomic_fetch_add(&conns_allocated, 1, __ATOMIC_RELAXED);
	return c;
}

static void conn_put(struct local_conn *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	kfree(c->ring[0].buf);
	kfree(c->ring[1].buf);
	kfree(c);
	__atomic_fetch_sub(&conns_allocated, 1, __ATOMIC_RELAXED);
}

/* One side went: the other sees POLLHUP, end of file after what is queued, ECONNRESET on write. */
static void conn_hang_up(struct local_conn *c)
{
	mutex_lock(&c->lock);
	__atomic_store_n(&c->closed, true, __ATOMIC_RELEASE);
	/* Woken under the lock: our caller's reference keeps c alive until after it. */
	wait_queue_wake_all(&c->wq);
	mutex_unlock(&c->lock);
}

/* Copy @n bytes at offset @off past the ring's free start (@in) or its head (!@in). Kernel side. */
static void ring_copy(struct local_ring *r, uint64_t off, void *kbuf, uint64_t n, bool in)
{
	uint64_t at = (r->head + (in ? r->len : 0) + off) % NET_LOCAL_RING_BYTES;
	uint64_t first = NET_LOCAL_RING_BYTES - at < n ? NET_LOCAL_RING_BYTES - at : n;
	if (in) {
		memcpy(r->buf + at, kbuf, first);
		memcpy(r->buf, (uint8_t *)kbuf + first, n - first);
	} else {
		memcpy(kbuf, r->buf + at, first);
		memcpy((uint8_t *)kbuf + first, r->buf, n - first);
	}
}

/* The same with user memory: 0 or -EFAULT. */
static int ring_copy_user(struct local_ring *r, uint64_t off, void __user *ubuf, uint64_t n, bool in)
{
	uint64_t at = (r->head + (in ? r->len : 0) + off) % NET_LOCAL_RING_BYTES;
	uint64_t first = NET_LOCAL_RING_BYTES - at < n ? NET_LOCAL_RING_BYTES - at : n;
	uint8_t __user *u = ubuf;
	int err;
	if (in) {
		err = copy_from_user(r->buf + at, u, first);
		if (!err && n > first)
			err = copy_from_user(r->buf, u + first, n - first);
	} else {
		err = copy_to_user(u, r->buf + at, first);
		if (!err && n > first)
			err = copy_to_user(u + first, r->buf, n - first);
	}
	return err;
}

struct local_header {
	uint32_t magic;           /* PW's LOCAL_PACKET_MAGIC, kept for a reader of a dump */
	uint32_t size;
};
_Static_assert(sizeof(struct local_header) == NET_LOCAL_HEADER_BYTES, "header size is ABI (capacity)");
#define LOCAL_MAGIC 0xC0D74B56u

static uint64_t ring_len(struct local_ring *r)
{
	return __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
}

/* ---- sockets ---- */

static void sock_get(struct local_sock *s)
{
	__atomic_fetch_add(&s->refs, 1, __ATOMIC_RELAXED);
}

static void sock_put(struct local_sock *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	lineage_put(s->anchor);
	kfree(s);
	__atomic_fetch_sub(&socks_allocated, 1, __ATOMIC_RELAXED);
}

/* A new socket with one user (and its ref), counted live; NULL: -ENOMEM in @err. */
static struct local_sock *sock_alloc(bool has_dir, int *err)
{
	*err = -ENOMEM;
	if (!pmm_user_may_allocate())
		return NULL;
	struct local_sock *s = kzalloc(sizeof(*s));
	if (!s)
		return NULL;
	mutex_lock(&local_lock);
	if (live_sockets >= NET_LOCAL_MAX_SOCKETS) {
		mutex_unlock(&local_lock);
		kfree(s);
		return NULL;
	}
	live_sockets++;
	s->id = has_dir ? next_id++ : UINT64_MAX;
	mutex_unlock(&local_lock);
	s->refs = 1;
	s->users = 1;
	s->has_dir = has_dir;
	s->state = LOCAL_NEW;
	wait_queue_init(&s->accept_wq);
	__atomic_fetch_add(&socks_allocated, 1, __ATOMIC_RELAXED);
	*err = 0;
	return s;
}

/*
 * The last user went: take it out of the table and the names, hang up its
 * connection and backlog, wake accepters (ECONNABORTED). The connections
 * to put once local_lock is dropped: its own in *@own, the backlog's
 * returned, linked through ->next (no longer in any backlog).
 */
static struct local_conn *sock_die_locked(struct local_sock *s, struct local_conn **own)
{
	__atomic_store_n(&s->dead, true, __ATOMIC_RELEASE);
	live_sockets--;
	if (s->in_table) {
		if (s->prev)
			s->prev->next = s->next;
		else
			table_head = s->next;
		if (s->next)
			s->next->prev = s->prev;
		s->prev = s->next = NULL;
		s->in_table = false;
	}
	struct local_conn *drop = s->pending_head;
	s->pending_head = s->pending_tail = NULL;
	__atomic_store_n(&s->npending, 0, __ATOMIC_RELEASE);
	/* Its own connection may still sit in a listener's backlog: its ->next is not ours. */
	*own = s->conn;
	s->conn = NULL;
	if (*own)
		conn_hang_up(*own);
	wait_queue_wake_all(&s->accept_wq);
	for (struct local_conn *c = drop; c; c = c->next)
		conn_hang_up(c);
	return drop;
}

/* A user (an open file, or the anchor's tie) goes, with its ref. */
static void sock_user_put(struct local_sock *s)
{
	mutex_lock(&local_lock);
	struct local_conn *drop = NULL, *own = NULL;
	if (--s->users == 0)
		drop = sock_die_locked(s, &own);
	mutex_unlock(&local_lock);
	conn_put(own);
	while (drop) {
		struct local_conn *next = drop->next;
		conn_put(drop);
		drop = next;
	}
	sock_put(s);
}

/* A new user for an open file; -ENOENT once the socket is gone. */
static int sock_user_get(struct local_sock *s)
{
	mutex_lock(&local_lock);
	bool dead = s->dead;
	if (!dead) {
		s->users++;
		sock_get(s);
	}
	mutex_unlock(&local_lock);
	return dead ? -ENOENT : 0;
}

/* No namespace sees the socket any more (fs/lineage.c): the anchor's tie goes. */
static void sock_tie_end(struct lineage_tie *t)
{
	sock_user_put((struct local_sock *)((char *)t - offsetof(struct local_sock, tie)));
}

/*
 * A live socket with a directory named @id that @viewer (the caller's
 * lineage) may see, with a ref; NULL if none: one it may not see is as
 * missing as one that never was.
 */
static struct local_sock *sock_find_id(uint64_t id, struct lineage *viewer)
{
	mutex_lock(&local_lock);
	struct local_sock *s = table_head;
	while (s && s->id != id)
		s = s->next;
	if (s && lineage_descends(viewer, s->anchor))
		sock_get(s);
	else
		s = NULL;
	mutex_unlock(&local_lock);
	return s;
}

/* The live bound or listening socket called @name in the tree of @scope. Context: local_lock held. */
static struct local_sock *sock_find_name(const char *name, const struct lineage *scope)
{
	for (struct local_sock *s = table_head; s; s = s->next)
		if ((s->state == LOCAL_BOUND || s->state == LOCAL_LISTENING) && strcmp(s->name, name) == 0 &&
		    lineage_related(s->anchor, scope))
			return s;
	return NULL;
}

static bool nonblock(const struct file *f)
{
	return f->flags & PATH_FLAG_NONBLOCK;
}

/* ---- data (and accepted connections) ---- */

static struct local_conn *connected(struct local_sock *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == LOCAL_CONNECTED ? s->conn : NULL;
}

static int64_t data_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct local_sock *s = f->priv;
	struct local_conn *c = connected(s);
	if (!c)
		return -ENOTCONN;
	struct local_ring *r = &c->ring[s->side == TO_SERVER ? TO_CLIENT : TO_SERVER];
	for (;;) {
		mutex_lock(&c->lock);
		if (r->len) {
			struct local_header h;
			ring_copy(r, 0, &h, sizeof(h), false);
			uint64_t n = count < h.size ? count : h.size;
			int err = ring_copy_user(r, sizeof(h), buf, n, false);
			if (err) {
				mutex_unlock(&c->lock);
				return err; /* nothing consumed */
			}
			/* The whole message goes, read or not (PW: truncated to the buffer). */
			uint64_t used = sizeof(h) + h.size;
			r->head = (r->head + used) % NET_LOCAL_RING_BYTES;
			__atomic_store_n(&r->len, r->len - used, __ATOMIC_RELEASE);
			wait_queue_wake_all(&c->wq);
			mutex_unlock(&c->lock);
			return (int64_t)n;
		}
		bool closed = c->closed;
		mutex_unlock(&c->lock);
		if (closed)
			return 0;
		if (nonblock(f))
			return -EAGAIN;
		int err = WAIT_EVENT(&c->wq, ring_len(r) || __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE), UINT64_MAX);
		if (err)
			return err;
	}
}

static int64_t data_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	struct local_sock *s = f->priv;
	struct local_conn *c = connected(s);
	if (!c)
		return -ENOTCONN;
	if (__atomic_load_n(&c->closed, __ATOMIC_ACQUIRE))
		return -ECONNRESET;
	if (count > NET_LOCAL_MAX_MSG)
		return -EMSGSIZE;
	if (count == 0)
		return 0; /* an empty message would read as end of file: none is sent */
	struct local_ring *r = &c->ring[s->side];
	uint64_t need = NET_LOCAL_HEADER_BYTES + count;
	for (;;) {
		mutex_lock(&c->lock);
		if (c->closed) {
			mutex_unlock(&c->lock);
			return -ECONNRESET;
		}
		if (NET_LOCAL_RING_BYTES - r->len >= need) {
			struct local_header h = { LOCAL_MAGIC, (uint32_t)count };
			int err = ring_copy_user(r, sizeof(h), (void __user *)buf, count, true);
			if (err) {
				mutex_unlock(&c->lock);
				return err; /* nothing sent */
			}
			ring_copy(r, 0, &h, sizeof(h), true);
			__atomic_store_n(&r->len, r->len + need, __ATOMIC_RELEASE);
			wait_queue_wake_all(&c->wq);
			mutex_unlock(&c->lock);
			return (int64_t)count;
		}
		mutex_unlock(&c->lock);
		if (nonblock(f))
			return -EAGAIN;
		int err = WAIT_EVENT(&c->wq,
				     NET_LOCAL_RING_BYTES - ring_len(r) >= need ||
					     __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE),
				     UINT64_MAX);
		if (err)
			return err;
	}
}

/* No mutex here (called between thread_prepare_sleep() and sleeping): atomics only. */
static uint32_t data_poll(struct file *f, struct poll_table *pt)
{
	struct local_sock *s = f->priv;
	switch (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) {
	case LOCAL_CONNECTED: {
		struct local_conn *c = s->conn;
		poll_wait(pt, &c->wq);
		if (__atomic_load_n(&c->closed, __ATOMIC_ACQUIRE))
			return POLLIN | POLLHUP;
		uint32_t ev = 0;
		if (ring_len(&c->ring[s->side == TO_SERVER ? TO_CLIENT : TO_SERVER]))
			ev |= POLLIN;
		if (NET_LOCAL_RING_BYTES - ring_len(&c->ring[s->side]) > NET_LOCAL_HEADER_BYTES)
			ev |= POLLOUT;
		return ev;
	}
	case LOCAL_LISTENING:
		poll_wait(pt, &s->accept_wq);
		if (__atomic_load_n(&s->dead, __ATOMIC_ACQUIRE))
			return POLLERR;
		return __atomic_load_n(&s->npending, __ATOMIC_ACQUIRE) ? POLLIN : 0;
	default:
		return POLLERR; /* nothing to wait for (PW fails the whole poll with EINVAL) */
	}
}

static void sock_file_release(struct file *f)
{
	if (f->priv)
		sock_user_put(f->priv);
}

static const struct file_ops data_fops = { .read = data_read, .write = data_write, .poll = data_poll,
					   .release = sock_file_release };

/* ---- ctl: bind, listen, connect ---- */

/* 1..31 characters of the §5.1 name set (PW shows names as files in /net/local/listen). */
static int check_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0)
		return -EINVAL;
	if (len >= MAX_NAME)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (c && strchr("_-. ()[]{}~!@#$%^&?',;=+", c));
		if (!ok)
			return -EINVAL;
	}
	return 0;
}

static int ctl_bind(struct local_sock *s, const char *name)
{
	int err = check_name(name);
	if (err)
		return err;
	mutex_lock(&local_lock);
	if (s->state != LOCAL_NEW)
		err = -EINVAL;
	else if (sock_find_name(name, s->anchor))
		err = -EADDRINUSE;
	else {
		strlcpy(s->name, name, sizeof(s->name));
		s->backlog = NET_LOCAL_MAX_BACKLOG;
		__atomic_store_n(&s->state, LOCAL_BOUND, __ATOMIC_RELEASE);
	}
	mutex_unlock(&local_lock);
	return err;
}

static int ctl_listen(struct local_sock *s, int n, char **w)
{
	int64_t backlog = NET_LOCAL_MAX_BACKLOG;
	if (n == 2 && (!fs_ctl_number(w[1], &backlog) || backlog <= 0))
		return -EINVAL;
	mutex_lock(&local_lock);
	int err = 0;
	if (s->state != LOCAL_BOUND)
		err = -EINVAL;
	else {
		if (backlog < NET_LOCAL_MAX_BACKLOG)
			s->backlog = (uint32_t)backlog;
		__atomic_store_n(&s->state, LOCAL_LISTENING, __ATOMIC_RELEASE);
		wait_queue_wake_all(&s->accept_wq);
	}
	mutex_unlock(&local_lock);
	return err;
}

static int ctl_connect(struct local_sock *s, const char *name)
{
	int err = check_name(name);
	if (err)
		return err;
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != LOCAL_NEW)
		return -EINVAL;
	struct local_conn *c = conn_alloc(); /* before the checks that need the lock: nothing to undo after */
	if (!c)
		return -ENOMEM;
	mutex_lock(&local_lock);
	struct local_sock *l = sock_find_name(name, s->anchor);
	if (s->state != LOCAL_NEW)
		err = -EINVAL;
	else if (!l || l->npending >= l->backlog)
		err = -ECONNREFUSED;
	else {
		c->refs = 2; /* this socket, and the backlog until accepted */
		if (l->pending_tail)
			l->pending_tail->next = c;
		else
			l->pending_head = c;
		l->pending_tail = c;
		__atomic_store_n(&l->npending, l->npending + 1, __ATOMIC_RELEASE);
		s->conn = c;
		s->side = TO_SERVER;
		__atomic_store_n(&s->state, LOCAL_CONNECTED, __ATOMIC_RELEASE);
		wait_queue_wake_all(&l->accept_wq);
		c = NULL;
	}
	mutex_unlock(&local_lock);
	conn_put(c);
	return err;
}

static int ctl_run(void *ctx, int n, char **w)
{
	struct local_sock *s = ctx;
	if (strcmp(w[0], "bind") == 0)
		return n != 2 ? -EUNKNOWNCTL : ctl_bind(s, w[1]);
	if (strcmp(w[0], "listen") == 0)
		return n != 1 && n != 2 ? -EUNKNOWNCTL : ctl_listen(s, n, w);
	if (strcmp(w[0], "connect") == 0)
		return n != 2 ? -EUNKNOWNCTL : ctl_connect(s, w[1]);
	return -ENOENT;
}

static int64_t ctl_write(struct file *f, const void __user *buf, uint64_t count, uint64_t *pos)
{
	return fs_ctl_write(buf, count, ctl_run, f->priv);
}

static const struct file_ops ctl_fops = { .write = ctl_write, .release = sock_file_release };

/* ---- the files of a socket directory ---- */

static struct local_sock *sock_of(struct inode *ino)
{
	return ino->priv;
}

static int data_open(struct inode *ino, struct file *f)
{
	int err = sock_user_get(sock_of(ino));
	if (!err)
		f->priv = sock_of(ino);
	return err;
}

/*
 * accept: the open waits for a connection in the backlog and becomes it.
 * The new socket is made first, so taking the connection is the last step
 * and cannot fail (a connection is never lost to an allocation failure).
 */
static int accept_open(struct inode *ino, struct file *f)
{
	struct local_sock *l = sock_of(ino);
	if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != LOCAL_LISTENING)
		return l->dead ? -ENOENT : -EINVAL;
	int err;
	struct local_sock *s = sock_alloc(false, &err);
	if (!s)
		return err;
	for (;;) {
		mutex_lock(&local_lock);
		struct local_conn *c = l->pending_head;
		if (l->dead) {
			err = -ECONNABORTED;
		} else if (c) {
			l->pending_head = c->next;
			if (!l->pending_head)
				l->pending_tail = NULL;
			c->next = NULL;
			__atomic_store_n(&l->npending, l->npending - 1, __ATOMIC_RELEASE);
			s->conn = c; /* the backlog's reference moves here */
			s->side = TO_CLIENT;
			__atomic_store_n(&s->state, LOCAL_CONNECTED, __ATOMIC_RELEASE);
		}
		mutex_unlock(&local_lock);
		if (c || err)
			break;
		if (nonblock(f)) {
			err = -EAGAIN;
			break;
		}
		err = WAIT_EVENT(&l->accept_wq,
				 __atomic_load_n(&l->npending, __ATOMIC_ACQUIRE) || __atomic_load_n(&l->dead, __ATOMIC_ACQUIRE),
				 UINT64_MAX);
		if (err)
			break;
	}
	if (err) {
		sock_user_put(s); /* no connection: it dies at once */
		return err;
	}
	f->priv = s;
	f->ops = &data_fops;
	return 0;
}

static void sock_evict(struct inode *ino)
{
	sock_put(ino->priv);
}

static const struct inode_ops data_iops = { .open = data_open, .evict = sock_evict };
static const struct inode_ops ctl_iops = { .open = data_open, .evict = sock_evict };
static const struct inode_ops accept_iops = { .open = accept_open, .evict = sock_evict };
static const struct file_ops accept_fops = { .release = sock_file_release };

static struct superblock net_sb = { .name = "netfs" };
static struct inode net_dir, local_dir, seqpacket_file;
static const struct inode_ops sock_dir_iops;
static const struct file_ops dir_fops = { .seek = fs_dir_seek };

static const struct {
	const char *name;
	const struct inode_ops *iops;
	const struct file_ops *fops;
} sock_files[] = {
	{ "accept", &accept_iops, &accept_fops },
	{ "ctl", &ctl_iops, &ctl_fops },
	{ "data", &data_iops, &data_fops },
};
#define SOCK_NFILES (sizeof(sock_files) / sizeof(sock_files[0]))

static struct inode *sock_inode(struct local_sock *s, uint32_t type, const struct inode_ops *iops,
				const struct file_ops *fops, const char *name)
{
	struct inode *ino = inode_alloc(&net_sb, type, iops, fops, name, strlen(name));
	if (!ino)
		return NULL;
	sock_get(s);
	ino->priv = s;
	return ino;
}

static int sock_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct local_sock *s = dir->priv;
	if (__atomic_load_n(&s->dead, __ATOMIC_ACQUIRE))
		return -ENOENT;
	for (unsigned i = 0; i < SOCK_NFILES; i++) {
		if (strlen(sock_files[i].name) != len || memcmp(sock_files[i].name, name, len) != 0)
			continue;
		*out = sock_inode(s, INODE_FILE, sock_files[i].iops, sock_files[i].fops, sock_files[i].name);
		return *out ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int sock_dir_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	for (unsigned i = 0; i < SOCK_NFILES; i++) {
		struct inode *ino;
		const char *n = sock_files[i].name;
		int r = sock_dir_lookup(dir, n, strlen(n), &ino);
		if (r)
			return r == -ENOENT ? 0 : r;
		r = emit(ctx, n, ino);
		inode_put(ino);
		if (r)
			return r;
	}
	return 0;
}

static int sock_dir_parent(struct inode *dir, struct inode **out)
{
	*out = &local_dir;
	return 0;
}

static const struct inode_ops sock_dir_iops = {
	.lookup = sock_dir_lookup, .readdir = sock_dir_readdir, .parent = sock_dir_parent, .evict = sock_evict,
};

static struct inode *sock_dir_inode(struct local_sock *s)
{
	char name[24];
	ksnprintf(name, sizeof(name), "%lu", s->id);
	return sock_inode(s, INODE_DIR, &sock_dir_iops, &dir_fops, name);
}

/* ---- seqpacket: the factory ---- */

static int seqpacket_open(struct inode *ino, struct file *f)
{
	struct lineage *anchor = lineage_current();
	if (!anchor)
		return -EINTR; /* a process whose namespace is gone is ending (as for SPAWN, README) */
	int err;
	struct local_sock *s = sock_alloc(true, &err);
	if (!s) {
		lineage_put(anchor);
		return err;
	}
	s->anchor = anchor; /* the reference moves here */
	/* The anchor's tie is a second user; the file is the first. */
	s->users = 2;
	s->refs = 2;
	s->tie.end = sock_tie_end;
	err = lineage_tie(anchor, &s->tie, NET_LOCAL_MAX_OWNED);
	if (err) {
		s->users = 1;
		s->refs = 1;
		sock_user_put(s);
		return err;
	}
	/* Only now can its directory be found: no one else has seen it yet. */
	mutex_lock(&local_lock);
	s->next = table_head;
	if (table_head)
		table_head->prev = s;
	table_head = s;
	s->in_table = true;
	mutex_unlock(&local_lock);
	f->priv = s;
	return 0;
}

static int64_t seqpacket_read(struct file *f, void __user *buf, uint64_t count, uint64_t *pos)
{
	struct local_sock *s = f->priv;
	char text[24];
	int n = ksnprintf(text, sizeof(text), "%lu", s->id);
	return fs_read_text(text, (uint64_t)n, buf, count, pos);
}

static const struct inode_ops seqpacket_iops = { .open = seqpacket_open };
static const struct file_ops seqpacket_fops = { .read = seqpacket_read, .release = sock_file_release };

/*
 * ---- /net/local/listen: a file per bound name (PW; its init waits for
 * "/net/local/listen/dwm" to exist before starting dwm's clients) ----
 * The files are markers: open works, read and write are ENOSYS. Each lookup
 * makes a new inode that holds nothing, so a name's file goes with its socket.
 */
static struct inode listen_dir;
static const struct inode_ops listen_file_iops = { 0 };
static const struct file_ops listen_file_fops = { 0 };

static struct inode *listen_file(const char *name)
{
	return inode_alloc(&net_sb, INODE_FILE, &listen_file_iops, &listen_file_fops, name, strlen(name));
}

static int listen_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	char n[MAX_NAME];
	if (len >= MAX_NAME)
		return -ENOENT;
	memcpy(n, name, len);
	n[len] = '\0';
	struct lineage *viewer = lineage_current();
	if (!viewer)
		return -ENOENT;
	mutex_lock(&local_lock);
	bool found = sock_find_name(n, viewer) != NULL;
	mutex_unlock(&local_lock);
	lineage_put(viewer);
	if (!found)
		return -ENOENT;
	*out = listen_file(n);
	return *out ? 0 : -ENOMEM;
}

static int listen_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	int r = 0;
	struct lineage *viewer = lineage_current();
	if (!viewer)
		return 0;
	mutex_lock(&local_lock);
	for (struct local_sock *s = table_head; s && !r; s = s->next) {
		if ((s->state != LOCAL_BOUND && s->state != LOCAL_LISTENING) || !lineage_related(s->anchor, viewer))
			continue;
		struct inode *ino = listen_file(s->name);
		if (!ino) {
			r = -ENOMEM;
			break;
		}
		r = emit(ctx, s->name, ino);
		inode_put(ino);
	}
	mutex_unlock(&local_lock);
	lineage_put(viewer);
	return r;
}

static int listen_parent(struct inode *dir, struct inode **out)
{
	*out = &local_dir;
	return 0;
}

static const struct inode_ops listen_iops = { .lookup = listen_lookup, .readdir = listen_readdir, .parent = listen_parent };

/* ---- /net and /net/local ---- */

static int local_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (len == 9 && memcmp(name, "seqpacket", 9) == 0) {
		*out = &seqpacket_file;
		return 0;
	}
	if (len == 6 && memcmp(name, "listen", 6) == 0) {
		*out = &listen_dir;
		return 0;
	}
	uint64_t id = 0;
	if (len == 0 || len > 20 || (len > 1 && name[0] == '0'))
		return -ENOENT;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9' || __builtin_mul_overflow(id, 10, &id) ||
		    __builtin_add_overflow(id, (uint64_t)(name[i] - '0'), &id))
			return -ENOENT;
	}
	struct lineage *viewer = lineage_current();
	if (!viewer)
		return -ENOENT;
	struct local_sock *s = sock_find_id(id, viewer);
	lineage_put(viewer);
	if (!s)
		return -ENOENT;
	*out = sock_dir_inode(s);
	sock_put(s);
	return *out ? 0 : -ENOMEM;
}

static int local_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	int r = emit(ctx, "seqpacket", &seqpacket_file);
	if (!r)
		r = emit(ctx, "listen", &listen_dir);
	struct lineage *viewer = lineage_current();
	if (!viewer)
		return r;
	/* Under local_lock: the list cannot change under the walk (emit only copies out). */
	mutex_lock(&local_lock);
	for (struct local_sock *s = table_head; s && !r; s = s->next) {
		if (!lineage_descends(viewer, s->anchor))
			continue;
		struct inode *ino = sock_dir_inode(s);
		if (!ino) {
			r = -ENOMEM;
			break;
		}
		r = emit(ctx, ino->name, ino);
		inode_put(ino);
	}
	mutex_unlock(&local_lock);
	lineage_put(viewer);
	return r;
}

static int local_parent(struct inode *dir, struct inode **out)
{
	*out = &net_dir;
	return 0;
}

static int net_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (len != 5 || memcmp(name, "local", 5) != 0)
		return -ENOENT;
	*out = &local_dir;
	return 0;
}

static int net_readdir(struct inode *dir, readdir_emit_t emit, void *ctx)
{
	return emit(ctx, "local", &local_dir);
}

static const struct inode_ops net_iops = { .lookup = net_lookup, .readdir = net_readdir };
static const struct inode_ops local_iops = { .lookup = local_lookup, .readdir = local_readdir, .parent = local_parent };

struct inode *net_root(void)
{
	mutex_init(&local_lock);
	inode_init_static(&net_dir, &net_sb, INODE_DIR, &net_iops, &dir_fops, "__root__");
	inode_init_static(&local_dir, &net_sb, INODE_DIR, &local_iops, &dir_fops, "local");
	inode_init_static(&seqpacket_file, &net_sb, INODE_FILE, &seqpacket_iops, &seqpacket_fops, "seqpacket");
	inode_init_static(&listen_dir, &net_sb, INODE_DIR, &listen_iops, &dir_fops, "listen");
	return &net_dir;
}
