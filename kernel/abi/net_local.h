// SPDX-License-Identifier: MIT
// Local seqpacket sockets under /net/local (spec §8.7): the file interface
// PatchworkOS da8a090 gives them (src/modules/net/socket.c, socket_family.c,
// local/local.c, local/local.h), which its dwm and libpatchwork use, and
// the limits. Shared by the kernel (fs/net/local.c) and the user tests.
//
// Files:
//   /net/local/seqpacket   open: a new socket, made in the opening process's
//                          namespace (see Namespaces).
//                          read: its id, decimal text without a NUL ("0",
//                          "1", ...; ids are never reused), honouring the
//                          position (a second read returns 0, so PW's
//                          sreadfile works). write: ENOSYS. poll: ENOSYS.
//   /net/local/listen/     a file per name bound by a live socket of the
//                          caller's tree of namespaces (PW's init waits for
//                          /net/local/listen/dwm to exist before it starts
//                          dwm's clients); open works, read and write are
//                          ENOSYS.
//   /net/local/<id>/ctl    write: commands, split into words as
//                          /proc/<pid>/ctl (spec §8.5), chained with "&&",
//                          the first failure stops the chain (earlier ones
//                          stay done); success returns count. Errors: count
//                          0 EINVAL, > 256 bytes E2BIG, no words EUNKNOWNCTL,
//                          unknown word ENOENT, wrong argument count
//                          EUNKNOWNCTL. read, poll: ENOSYS.
//       bind NAME          reserve NAME (1-31 characters of the §5.1 name
//                          set) in the socket's tree: EINVAL not a new socket
//                          or a bad character, ENAMETOOLONG 32 or more,
//                          EADDRINUSE taken by a live socket of that tree.
//                          From here clients may connect (PW).
//       listen [N]         a bound socket listens; N (decimal, 1..) caps the
//                          backlog at min(N, 128), default 128. EINVAL not
//                          bound (or already listening), N not a number or 0.
//       connect NAME       connect a new socket to the bound or listening
//                          socket NAME of its tree; completes at once (the connection
//                          waits in the listener's backlog until accepted;
//                          messages may already be written). EINVAL not a
//                          new socket; ECONNREFUSED no such name, or its
//                          backlog full; ENOMEM no memory for the queues.
//   /net/local/<id>/data   read: one whole message per call, truncated to
//                          the buffer (the rest of it is dropped, PW);
//                          blocks while none is queued; after the peer hung
//                          up, what is queued is still read, then 0 (end of
//                          file). write: one message of 1..NET_LOCAL_MAX_MSG
//                          bytes, all or nothing; blocks until it fits in the
//                          peer's queue. ENOTCONN not connected, ECONNRESET
//                          peer gone, EMSGSIZE too long, EAGAIN with
//                          :nonblock where it would block, EINTR a note.
//                          poll: connected: POLLIN a message queued (or hung
//                          up), POLLOUT room for a 1-byte message, POLLHUP
//                          the peer is gone; listening: POLLIN a connection
//                          is waiting, POLLERR the socket is gone; not
//                          connected nor listening: POLLERR.
//   /net/local/<id>/accept open (listening socket only, else EINVAL): blocks
//                          until a connection waits, then the new open file
//                          is that connection, read/written/polled as data
//                          (its :nonblock holds for them too). EAGAIN with
//                          :nonblock and nothing waiting; ECONNABORTED the
//                          socket went away while waiting; EINTR a note.
// Namespaces (PW mounts a socket's directory in its creator's namespace,
// propagated to the namespaces copied from it; fs/lineage.c keeps that
// relation here). A namespace is "copied from" another when a process was
// spawned without SPAWN_EMPTY_NS, at any depth (a child, its children, ...,
// spawned before or after the socket was made); the kernel's namespace and
// each SPAWN_EMPTY_NS one start a tree of namespaces unrelated to the rest.
//   * /net/local/<id>/ is found (lookup, and the listing of /net/local) only
//     by a process whose namespace is the socket's creator's or was copied
//     from it. Any other gets ENOENT, as for an id that never was. Ids come
//     from one counter for the system: an id says only that a socket was
//     made.
//   * A bound name belongs to the tree of its socket's creator: unique
//     there (EADDRINUSE), listed in /net/local/listen/ and reached by
//     connect from every namespace of that tree, from no other (there the
//     same name is free to bind). Names cannot follow the rule of ids: PW's
//     init finds /net/local/listen/dwm, bound by its child dwm, and dwm's
//     siblings connect to it. bind and connect act in the tree of the
//     socket's creator, whoever writes its ctl.
//   * The namespace judged is the calling process's (as for /proc/self). An
//     open descriptor is a capability: a socket's directory or file opened
//     once works wherever it is passed (inherited, SHARE/CLAIM).
//
// Lifetime (the rule, and PW's): a socket made through seqpacket
// lives while a process lives whose namespace is its creator's or was copied
// from it, that is its creator or a descendant that inherited the namespace
// (not one spawned with SPAWN_EMPTY_NS, nor a process below that), or while
// an open file refers to it; there is no unmount. An accepted connection
// lives as long as its open file. When a connected socket goes, its peer
// sees POLLHUP, reads return what is queued then 0, writes fail with
// ECONNRESET; when a listening socket goes, its name is free again and every
// connection still in its backlog is hung up the same way.
//
// Where we differ from PW (each a fix; a correct PW program cannot rely on
// the PW behaviour):
//   * PW keeps an accepted connection (and its 32 KiB of queues) until the
//     accepting process exits, even after its descriptor is closed, so a
//     client never sees the server close it; ours goes with its file.
//   * PW's names are one table for the whole system, and /net/local/listen/
//     shows all of them in every namespace; ours are per tree of related
//     namespaces (above), so a SPAWN_EMPTY_NS process (which PW leaves with
//     no root at all) neither sees nor takes another tree's names. PW shows
//     an unrelated namespace an empty directory /net/local/<id> (the mount
//     point, made in the shared /net); ours: ENOENT.
//   * PW drops unread messages when the peer goes (read returns 0 at once)
//     and reports POLLHUP without POLLIN; ours delivers them first and
//     reports POLLIN|POLLHUP (a read does not block). A reader blocked when
//     the peer goes gets EIO from PW (it reads a header from an empty ring);
//     ours gets 0. A writer blocked when the peer goes succeeds in PW;
//     ours fails with ECONNRESET.
//   * A 0-byte write: PW queues an empty message that reads as end of file;
//     ours returns 0 and sends nothing.
//   * bind/connect NAME: PW truncates NAME to 31 characters silently; ours
//     fails with ENAMETOOLONG (and EINVAL for characters outside §5.1).
//     connect on a bound socket: PW overwrites the listener it made (the
//     name stays taken forever); ours fails with EINVAL. listen N with N not
//     a positive number: PW takes atol's value; ours EINVAL.
//   * When a listening socket goes, PW leaves the name taken until every
//     connection that reached it is gone, and leaves clients still in its
//     backlog waiting forever; ours frees the name and hangs them up.
//   * poll on data of a socket neither connected nor listening: PW fails the
//     whole poll with EINVAL; ours reports POLLERR for that entry.
#ifndef QUILT_ABI_NET_LOCAL_H
#define QUILT_ABI_NET_LOCAL_H

/* Each direction of a connection queues messages in a ring of this many bytes (PW LOCAL_BUFFER_SIZE). */
#define NET_LOCAL_RING_BYTES (4 * 4096)
/* A queued message costs its bytes plus this header (PW local_packet_header_t). */
#define NET_LOCAL_HEADER_BYTES 8
/* The largest message (PW LOCAL_MAX_PACKET_SIZE): a larger write fails with EMSGSIZE. */
#define NET_LOCAL_MAX_MSG (NET_LOCAL_RING_BYTES - NET_LOCAL_HEADER_BYTES)
/* Connections waiting to be accepted per listening socket (PW LOCAL_MAX_BACKLOG); beyond: ECONNREFUSED. */
#define NET_LOCAL_MAX_BACKLOG 128

/*
 * Limits (ours; PW has none): live sockets one process may have made through
 * seqpacket (EMFILE beyond; they count until they go, which may be after the
 * process ended), and live sockets of the whole
 * system, accepted connections included (ENOMEM beyond). Memory is bounded
 * by them: a connection's queues are 2 x NET_LOCAL_RING_BYTES, allocated at
 * connect (every connection has a client socket, so at most
 * NET_LOCAL_MAX_SOCKETS x 32 KiB = 32 MiB of queues in all).
 */
#define NET_LOCAL_MAX_OWNED 64
#define NET_LOCAL_MAX_SOCKETS 1024

#endif
