/* ium.h: the trustlet runtime's interface (EL0 of VTL1): Isolated User
 * Mode system calls and the helpers every trustlet may use. Include this,
 * write tl_main(), link with the runtime and trustlets/tl.ld, sign. */
#ifndef OVBS_IUM_H
#define OVBS_IUM_H
#include <stddef.h>
#include <stdint.h>
#include "openvbs/trustlet.h"

/* Each returns >= 0 on success or -TL_E* (see trustlet.h). */
_Noreturn void tl_exit(long code);
long tl_log(const char *text);
long tl_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wait for the next request: its bytes land in buf, its command in *cmd. */
long tl_receive(void *buf, size_t max, uint64_t *cmd);
long tl_reply(const void *buf, size_t len, uint64_t status);
long tl_random(void *buf, size_t len);
long tl_seal(const void *in, size_t len, void *out, size_t max);
long tl_unseal(const void *in, size_t len, void *out, size_t max);
long tl_report(struct tl_report *r);
void *tl_alloc(size_t pages);      /* NULL on failure */
long tl_free(void *p, size_t pages);
/* Raw system call, for tests of the kernel's refusals. */
long tl_syscall(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* The trustlet's entry point, called by the runtime's _start. */
int tl_main(void);
#endif
