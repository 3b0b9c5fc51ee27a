/* trustlet.h: the trustlet ABI. The signed image format (made by
 * tools/tlsign.py on the build host, checked by the secure kernel), the
 * Isolated User Mode system calls (trustlet at EL0 of VTL1 <-> secure
 * kernel), and the secure calls VTL0 uses to load and call trustlets.
 * Shared by sk/, trustlets/, tools/ and VTL0 kernels; no code. */
#ifndef OPENVBS_TRUSTLET_H
#define OPENVBS_TRUSTLET_H
#include <stdint.h>

/* ---- Signed image ---------------------------------------------------------
 *
 *   +---------------------------+  offset 0
 *   | struct tl_header          |  signature covers bytes [0, 96)
 *   +---------------------------+  offset TL_HEADER_SIZE (160)
 *   | ELF64 executable          |  image_size bytes, SHA-256 in the header
 *   +---------------------------+
 *
 * All integers little-endian. The signature is ECDSA over NIST P-256 with
 * SHA-256, raw r||s (32 bytes each), by the project's signing key; the
 * secure kernel carries the public key and a table of known trustlet IDs
 * with their minimum versions. */
#define TL_MAGIC          "OVBSTLT1"
#define TL_FORMAT_VERSION 1
#define TL_HEADER_SIZE    160
#define TL_SIGNED_BYTES   96
#define TL_MAX_IMAGE      (256u * 1024) /* ELF bytes */
/* Each run of a trustlet (one invoke) may use this much of its VP's time,
 * not counting the time the call spends preempted for VTL0; then the
 * secure kernel kills it. Generous because under QEMU's TCG the host may
 * keep a vCPU thread off its core for tens of milliseconds, which the
 * guest's counter cannot tell from the trustlet's own time (a P-256 key
 * generation takes about 20 ms of it on an idle host). */
#define TL_RUN_BUDGET_MS  500

struct tl_header {
    char magic[8];            /* TL_MAGIC, no NUL */
    uint32_t format_version;  /* TL_FORMAT_VERSION */
    uint32_t header_size;     /* TL_HEADER_SIZE */
    uint64_t trustlet_id;
    uint32_t version;         /* refused if below the minimum for this ID */
    uint32_t policy;          /* TL_SYS_* bits the trustlet may use */
    uint32_t quota_pages;     /* heap pages it may allocate */
    uint32_t reserved;        /* 0 */
    uint64_t image_size;      /* bytes of ELF after the header */
    uint8_t image_sha256[32];
    uint8_t reserved2[16];    /* 0; pads the signed part to 96 bytes */
    uint8_t signature[64];    /* r || s over SHA-256 of bytes [0, 96) */
};
_Static_assert(sizeof(struct tl_header) == TL_HEADER_SIZE, "tl_header layout");

/* ---- IUM system calls (svc #0 from EL0 of VTL1) ----------------------------
 * x8 = number, x0..x5 = arguments, x0 = result (negative = -TL_E*). A number
 * not in this table, or one the trustlet's policy does not grant, kills the
 * trustlet with a logged reason. */
#define TL_SYS_EXIT       0  /* x0 = code: never returns */
#define TL_SYS_LOG        1  /* x0 = buf, x1 = len (<= 200) */
#define TL_SYS_RECEIVE    2  /* x0 = buf, x1 = max: waits for a request;
                              * x0 = length, x1 = command */
#define TL_SYS_REPLY      3  /* x0 = buf, x1 = len, x2 = status: answers it */
#define TL_SYS_RANDOM     4  /* x0 = buf, x1 = len (<= 256): bytes from RNDR */
#define TL_SYS_SEAL       5  /* x0 = in, x1 = len, x2 = out, x3 = max: x0 = out len */
#define TL_SYS_UNSEAL     6  /* x0 = in, x1 = len, x2 = out, x3 = max: x0 = out len */
#define TL_SYS_REPORT     7  /* x0 = buf, x1 = max: struct tl_report */
#define TL_SYS_ALLOC      8  /* x0 = pages: x0 = address of zeroed pages */
#define TL_SYS_FREE       9  /* x0 = address, x1 = pages */
#define TL_SYS_COUNT      10
#define TL_POLICY(sys)    (1u << (sys))
#define TL_POLICY_BASE    (TL_POLICY(TL_SYS_EXIT) | TL_POLICY(TL_SYS_LOG) | \
                           TL_POLICY(TL_SYS_RECEIVE) | TL_POLICY(TL_SYS_REPLY))

/* Errors returned to trustlets (negated) and to VTL0 (positive, in x0 of a
 * secure call, beside the HV_STATUS_* values). */
#define TL_EINVAL         0x100 /* bad argument: not the trustlet's memory... */
#define TL_ENOMEM         0x101 /* quota or VTL1 memory exhausted */
#define TL_EAUTH          0x102 /* sealed data does not authenticate */

/* Measurement report a trustlet can ask for (TL_SYS_REPORT). */
struct tl_report {
    uint64_t trustlet_id;
    uint32_t version;
    uint32_t reserved;
    uint8_t image_sha256[32];   /* this trustlet's signed image */
    uint8_t sk_sha256[32];      /* the secure kernel, from the hypervisor's log */
};

/* ---- Secure calls for trustlets (VTL0 -> secure kernel) --------------------
 * Continue the SC_* numbering of vsm.h. */
#define SC_TL_LOAD        16 /* x2 GPA of a signed image, x3 its size:
                              * x1 = instance handle */
#define SC_TL_OPEN        17 /* x2 trustlet ID: x1 = session handle */
#define SC_TL_INVOKE      18 /* x2 session, x3 command, x4 in GPA, x5 in len,
                              * x6 = GPA of struct tl_out: x1 = status the
                              * trustlet replied, x2 = bytes written */
#define SC_TL_CLOSE       19 /* x2 session */
#define SC_TL_UNLOAD      20 /* x2 instance handle */
#define SC_TL_INFO        21 /* x2 instance: x1 = state, x2 = pages it uses,
                              * x3 = runtime pages shared by all trustlets;
                              * instance 0: x2 = free pages of VTL1 memory */

/* Where an invocation's reply goes (in VTL0 memory, read by the SK). */
struct tl_out {
    uint64_t buf;   /* GPA */
    uint64_t max;   /* bytes available */
};

/* Refusals of SC_TL_LOAD, each its own status. */
#define TL_ST_BAD_HEADER     0x200 /* magic, format, sizes, reserved fields */
#define TL_ST_BAD_SIGNATURE  0x201 /* not signed by the project key */
#define TL_ST_BAD_HASH       0x202 /* image bytes differ from the signed hash */
#define TL_ST_UNKNOWN_ID     0x203 /* not in the secure kernel's table */
#define TL_ST_ROLLBACK       0x204 /* version below the ID's minimum, or below one already loaded */
#define TL_ST_BAD_ELF        0x205 /* malformed or unsafe ELF */
#define TL_ST_TOO_LARGE      0x206
#define TL_ST_NO_MEMORY      0x207
/* Errors of sessions and invocations. */
#define TL_ST_NO_SUCH        0x210 /* no such trustlet (or handle) */
#define TL_ST_DEAD           0x211 /* the trustlet was killed */
#define TL_ST_BUFFER         0x212 /* buffer invalid */
#define TL_ST_BUSY           0x213 /* session table full, or already serving */

/* Address-space layout of every trustlet (EL0 of VTL1). */
#define TL_VA_RUNTIME     0x00100000ull /* the shared runtime (read-only, X) */
#define TL_VA_IMAGE_MIN   0x00400000ull /* trustlet segments must lie in */
#define TL_VA_IMAGE_MAX   0x00c00000ull /*   [MIN, MAX) */
#define TL_VA_HEAP        0x01000000ull /* TL_SYS_ALLOC pages */
#define TL_VA_STACK_TOP   0x02000000ull /* 16 KiB stack below, guard page below it */
#define TL_STACK_PAGES    4

#endif
