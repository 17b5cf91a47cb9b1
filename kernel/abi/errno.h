// SPDX-License-Identifier: MIT
// Error numbers of the PatchworkOS system-call ABI (spec §3.4), shared by kernel and user space.
#ifndef QUILT_ABI_ERRNO_H
#define QUILT_ABI_ERRNO_H

/*
 * Values 1-132 follow the Linux/POSIX numbering, 133-139 are
 * PatchworkOS-specific. There is deliberately no code 41 or 58: the numbering
 * mirrors Linux, which leaves those holes, and user programs compare against
 * the numbers, so they must not be "compacted".
 *
 * Plain #defines (not an enum) so that they work in #if expressions and can
 * be re-exported by a libc <errno.h>. Kernel-internal functions return them
 * negated (-EINVAL); user space reads them positive from errno (§2.3).
 */

#define EOK                0 /* no error */
#define EPERM              1 /* operation not permitted */
#define ENOENT             2 /* no such file or directory / no such key */
#define ESRCH              3 /* no such process */
#define EINTR              4 /* wait interrupted by a note */
#define EIO                5 /* input/output error */
#define ENXIO              6 /* no such device or address */
#define E2BIG              7 /* argument list / request too long */
#define ENOEXEC            8 /* executable format error */
#define EBADF              9 /* bad file descriptor, or descriptor lacks the needed access */
#define ECHILD            10 /* no child processes */
#define EAGAIN            11 /* try again / would block / futex value mismatch */
#define ENOMEM            12 /* out of memory or address space */
#define EACCES            13 /* permission denied */
#define EFAULT            14 /* bad address */
#define ENOTBLK           15 /* block device required */
#define EBUSY             16 /* resource busy (e.g. pinned pages) */
#define EEXIST            17 /* already exists */
#define EXDEV             18 /* cross-filesystem link */
#define ENODEV            19 /* no such device */
#define ENOTDIR           20 /* not a directory */
#define EISDIR            21 /* is a directory */
#define EINVAL            22 /* invalid argument */
#define ENFILE            23 /* system file table overflow */
#define EMFILE            24 /* process descriptor table full */
#define ENOTTY            25 /* inappropriate ioctl */
#define ETXTBSY           26 /* text file busy */
#define EFBIG             27 /* file too large */
#define ENOSPC            28 /* no space left */
#define ESPIPE            29 /* illegal seek */
#define EROFS             30 /* read-only filesystem */
#define EMLINK            31 /* too many links */
#define EPIPE             32 /* broken pipe */
#define EDOM              33 /* math argument out of domain */
#define ERANGE            34 /* result out of range */
#define EDEADLK           35 /* deadlock would occur */
#define ENAMETOOLONG      36 /* name or path too long */
#define ENOLCK            37 /* no record locks */
#define ENOSYS            38 /* function not implemented */
#define ENOTEMPTY         39 /* directory not empty */
#define ELOOP             40 /* too many levels of traversal */
#define ENOMSG            42 /* no message of desired type */
#define EIDRM             43 /* identifier removed */
#define ECHRNG            44 /* channel number out of range */
#define EL2NSYNC          45 /* level 2 not synchronized */
#define EL3HLT            46 /* level 3 halted */
#define EL3RST            47 /* level 3 reset */
#define ELNRNG            48 /* link number out of range */
#define EUNATCH           49 /* protocol driver not attached */
#define ENOCSI            50 /* no CSI structure available */
#define EL2HLT            51 /* level 2 halted */
#define EBADE             52 /* invalid exchange */
#define EBADR             53 /* invalid request descriptor */
#define EXFULL            54 /* exchange full */
#define ENOANO            55 /* no anode */
#define EBADRQC           56 /* invalid request code */
#define EBADSLT           57 /* invalid slot */
#define EBFONT            59 /* bad font file format */
#define ENOSTR            60 /* device not a stream */
#define ENODATA           61 /* no data available */
#define ETIME             62 /* timer expired */
#define ENOSR             63 /* out of streams resources */
#define ENONET            64 /* machine not on the network */
#define ENOPKG            65 /* package not installed */
#define EREMOTE           66 /* object is remote */
#define ENOLINK           67 /* link severed */
#define EADV              68 /* advertise error */
#define ESRMNT            69 /* srmount error */
#define ECOMM             70 /* communication error on send */
#define EPROTO            71 /* protocol error */
#define EMULTIHOP         72 /* multihop attempted */
#define EDOTDOT           73 /* RFS specific error */
#define EBADMSG           74 /* not a data message */
#define EOVERFLOW         75 /* value too large / address range wraps around */
#define ENOTUNIQ          76 /* name not unique on network */
#define EBADFD            77 /* descriptor in bad state */
#define EREMCHG           78 /* remote address changed */
#define ELIBACC           79 /* cannot access shared library */
#define ELIBBAD           80 /* corrupted shared library */
#define ELIBSCN           81 /* .lib section corrupted */
#define ELIBMAX           82 /* too many shared libraries */
#define ELIBEXEC          83 /* cannot exec a shared library */
#define EILSEQ            84 /* illegal byte sequence */
#define ERESTART          85 /* call should be restarted */
#define ESTRPIPE          86 /* streams pipe error */
#define EUSERS            87 /* too many users */
#define ENOTSOCK          88 /* not a socket */
#define EDESTADDRREQ      89 /* destination address required */
#define EMSGSIZE          90 /* message too long */
#define EPROTOTYPE        91 /* wrong protocol type */
#define ENOPROTOOPT       92 /* protocol not available */
#define EPROTONOSUPPORT   93 /* protocol not supported */
#define ESOCKTNOSUPPORT   94 /* socket type not supported */
#define EOPNOTSUPP        95 /* operation not supported on endpoint */
#define EPFNOSUPPORT      96 /* protocol family not supported */
#define EAFNOSUPPORT      97 /* address family not supported */
#define EADDRINUSE        98 /* address in use */
#define EADDRNOTAVAIL     99 /* address not available */
#define ENETDOWN         100 /* network down */
#define ENETUNREACH      101 /* network unreachable */
#define ENETRESET        102 /* connection dropped by reset */
#define ECONNABORTED     103 /* connection aborted */
#define ECONNRESET       104 /* connection reset by peer */
#define ENOBUFS          105 /* no buffer space */
#define EISCONN          106 /* already connected */
#define ENOTCONN         107 /* not connected */
#define ESHUTDOWN        108 /* endpoint shut down */
#define ETOOMANYREFS     109 /* too many references */
#define ETIMEDOUT        110 /* timed out */
#define ECONNREFUSED     111 /* connection refused */
#define EHOSTDOWN        112 /* host down */
#define EHOSTUNREACH     113 /* no route to host */
#define EALREADY         114 /* already in progress */
#define EINPROGRESS      115 /* now in progress */
#define ESTALE           116 /* stale handle */
#define EUCLEAN          117 /* structure needs cleaning */
#define ENOTNAM          118 /* not a XENIX named type file */
#define ENAVAIL          119 /* no XENIX semaphores */
#define EISNAM           120 /* is a named type file */
#define EREMOTEIO        121 /* remote I/O error */
#define EDQUOT           122 /* quota exceeded */
#define ENOMEDIUM        123 /* no medium */
#define EMEDIUMTYPE      124 /* wrong medium type */
#define ECANCELED        125 /* operation cancelled */
#define ENOKEY           126 /* required key not available */
#define EKEYEXPIRED      127 /* key expired */
#define EKEYREVOKED      128 /* key revoked */
#define EKEYREJECTED     129 /* key rejected */
#define EOWNERDEAD       130 /* owner died */
#define ENOTRECOVERABLE  131 /* state not recoverable */
#define ERFKILL          132 /* blocked by RF-kill */
#define EUNKNOWNCTL      133 /* malformed or unknown control (ctl file) request */
#define EBADPATH         134 /* malformed path (defined; PW never returns it from these calls) */
#define EBADFLAG         135 /* unknown, malformed or forbidden path flag */
#define ENOTSUP          136 /* operation not supported (e.g. reading the write end of a pipe) */
#define EDISCONNECTED    137 /* peer/resource disconnected or freed */
#define ESPAWNFAIL       138 /* generic failure while loading a new program */
#define ENOLABEL         139 /* no such label */

/* An alias, not a separate code: POSIX allows both names to be equal. */
#define EWOULDBLOCK      EAGAIN

/* First PatchworkOS-specific code and one past the last code (§3.4). */
#define ERR_POSIX_MAX    133
#define ERR_MAX          140

#endif
