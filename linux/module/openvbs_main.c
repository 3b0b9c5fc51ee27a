// SPDX-License-Identifier: GPL-2.0
/* openvbs_main.c: Linux kernel module openvbs.ko, EL1 of VTL0. Finds the
 * OpenVBS hypervisor and gives root user space /dev/openvbs, whose ioctls
 * (ABI in include/openvbs/linux_ioctl.h) make hypercalls and secure calls
 * to VTL1. The kernel integrity lock is in kernel_lock.c.
 *
 * Two rules shape every call here:
 *  - VTL1 never sees a user pointer. Arguments are copied in and checked
 *    first; data goes into physically contiguous kernel memory (kmalloc,
 *    alloc_pages_exact), and VTL1 gets its physical address.
 *  - A secure call interrupted by a VTL0 interrupt comes back with the PC on
 *    its HVC and every register as it was, so taking the interrupt and
 *    re-executing the HVC resumes it; the hypervisor resumes a preempted
 *    call only on the same VP from the same PC. So a VTL call runs with
 *    preemption off (same CPU throughout) and interrupts on (they are taken
 *    at the HVC). */
#include <linux/arm-smccc.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/sysreg.h>
#include <asm/virt.h>
#include "openvbs_mod.h"

/* A hypercall that never enters VTL1: fast, needs no pinning. */
static struct arm_smccc_res hv_call(u32 fn, u64 a1, u64 a2, u64 a3)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(fn, a1, a2, a3, &res);
	return res;
}

/* A secure call (OVBS_VTL_CALL): x0 = status, x1..x3 = results. */
struct arm_smccc_res vtl_call(u64 service, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6)
{
	struct arm_smccc_res res;

	preempt_disable();
	arm_smccc_1_1_hvc(OVBS_VTL_CALL, service, a2, a3, a4, a5, a6, &res);
	preempt_enable();
	return res;
}

/* Every raw status becomes an errno (0 for success); the raw value goes
 * back to user space in head.status. */
long status_result(struct ovbs_ioc_head *head, u64 status)
{
	head->status = status;
	return -(long)ovbs_status_lookup(status)->err;
}

/* ---- The calls, each on its argument struct, already copied in ---------- */

static long do_info(struct ovbs_ioc_info *a)
{
	struct arm_smccc_res r;
	unsigned int i;

	if (a->reserved)
		return -EINVAL;
	r = hv_call(OVBS_CALL_REVISION, 0, 0, 0);
	a->rev_major = (u32)r.a0;
	a->rev_minor = (u32)r.a1;
	r = hv_call(OVBS_HV_INFO, 0, 0, 0);
	if (r.a0 != HV_STATUS_SUCCESS)
		return status_result(&a->head, r.a0);
	a->features = r.a1;
	a->ipa_bits = r.a2;
	a->s2_pages = r.a3;
	/* VPs are numbered from 0 with no gaps: the first index the hypervisor
	 * does not know ends the list. */
	memset(a->vp, 0, sizeof(a->vp));
	for (i = 0; i < OVBS_IOC_MAX_VPS; i++) {
		r = hv_call(OVBS_HV_VP_STATS, i, 0, 0);
		if (r.a0 != HV_STATUS_SUCCESS)
			break;
		a->vp[i].state = r.a1 & 0xff;
		a->vp[i].intercepts = (u32)(r.a1 >> 32);
		a->vp[i].preempted = (u32)r.a2;
		a->vp[i].yields = (u32)(r.a2 >> 32);
		a->vp[i].deferred = r.a3;
	}
	a->vp_count = i;
	return 0;
}

static long do_memmap(struct ovbs_ioc_memmap *a)
{
	struct arm_smccc_res r, n;
	u64 w[3];
	unsigned int i;

	if (a->reserved)
		return -EINVAL;
	r = hv_call(OVBS_HV_MEMMAP_ENTRY, a->index, OVBS_MEMMAP_RANGE, 0);
	if (r.a0 != HV_STATUS_SUCCESS)
		return status_result(&a->head, r.a0);
	a->base = r.a1;
	a->size = r.a2;
	a->owner = r.a3 & 0xff;
	a->access = (r.a3 >> 8) & 0xff;
	/* 24 bytes of NUL-padded ASCII in x1..x3, first character lowest. */
	memset(a->name, 0, sizeof(a->name));
	n = hv_call(OVBS_HV_MEMMAP_ENTRY, a->index, OVBS_MEMMAP_NAME, 0);
	if (n.a0 == HV_STATUS_SUCCESS) {
		w[0] = n.a1;
		w[1] = n.a2;
		w[2] = n.a3;
		for (i = 0; i < 24; i++)
			a->name[i] = (char)(w[i / 8] >> (8 * (i % 8)));
	}
	return 0;
}

static long do_measurement(struct ovbs_ioc_measurement *a)
{
	struct ovbs_measurement *m;
	struct arm_smccc_res r;

	if (a->reserved)
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	r = hv_call(OVBS_HV_MEASUREMENT, a->index, virt_to_phys(m), sizeof(*m));
	if (r.a0 == HV_STATUS_SUCCESS) {
		/* The name is NUL-padded but need not end in a NUL. */
		memcpy(a->name, m->name, sizeof(a->name));
		a->name[sizeof(a->name) - 1] = '\0';
		a->base = m->base;
		a->size = m->size;
		memcpy(a->sha256, m->sha256, sizeof(a->sha256));
	}
	kfree(m);
	return status_result(&a->head, r.a0);
}

static long do_protect(struct ovbs_ioc_protect *a)
{
	if (a->op > OVBS_IOC_PROTECT_LOCK || (a->mask & ~OVBS_ACC_RWX) ||
	    !IS_ALIGNED(a->gpa, PAGE_SIZE) || !a->pages || a->pages > OVBS_IOC_MAX_PAGES)
		return -EINVAL;
	return status_result(&a->head, vtl_call(a->op == OVBS_IOC_PROTECT_LOCK ? SC_LOCK : SC_PROTECT,
						a->gpa, a->pages, a->mask, 0, 0).a0);
}

static long do_query(struct ovbs_ioc_query *a)
{
	struct arm_smccc_res r;
	u8 *buf;

	if (a->reserved || !IS_ALIGNED(a->gpa, PAGE_SIZE) || !a->pages || a->pages > OVBS_IOC_QUERY_MAX)
		return -EINVAL;
	buf = kzalloc(OVBS_IOC_QUERY_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	r = vtl_call(SC_QUERY_RANGE, a->gpa, a->pages, virt_to_phys(buf), 0, 0);
	memcpy(a->prot, buf, OVBS_IOC_QUERY_MAX);
	kfree(buf);
	return status_result(&a->head, r.a0);
}

static long do_stats(struct ovbs_ioc_stats *a)
{
	struct arm_smccc_res r;
	unsigned int k, kinds;

	memset((u8 *)a + sizeof(a->head), 0, sizeof(*a) - sizeof(a->head));
	r = vtl_call(SC_STATS, 0, 0, 0, 0, 0);
	if (r.a0 != HV_STATUS_SUCCESS)
		return status_result(&a->head, r.a0);
	a->sc_intercepts = r.a1;
	a->sc_timer_irqs = r.a2;
	a->sc_own_irq_entries = r.a3;

	/* Kind 0 exists in both layers and tells how many kinds there are. */
	r = hv_call(OVBS_HV_EVENT_COUNT, 0, 0, 0);
	if (r.a0 != HV_STATUS_SUCCESS)
		return status_result(&a->head, r.a0);
	kinds = min_t(u64, r.a3, OVBS_IOC_MAX_KINDS);
	a->hv_kinds = kinds;
	a->hv_next_seq = r.a2;
	for (k = 0; k < kinds; k++)
		a->hv_count[k] = hv_call(OVBS_HV_EVENT_COUNT, k, 0, 0).a1;

	r = vtl_call(SC_EVENT_COUNT, 0, 0, 0, 0, 0);
	if (r.a0 != HV_STATUS_SUCCESS)
		return status_result(&a->head, r.a0);
	kinds = min_t(u64, r.a3, OVBS_IOC_MAX_KINDS);
	a->sk_kinds = kinds;
	a->sk_next_seq = r.a2;
	for (k = 0; k < kinds; k++)
		a->sk_count[k] = vtl_call(SC_EVENT_COUNT, k, 0, 0, 0, 0).a1;
	ovbs_kl_stats(a);
	return 0;
}

static long do_tl_load(struct ovbs_ioc_tl_load *a)
{
	struct arm_smccc_res r;
	void *img;

	if (!a->image_len || a->image_len > OVBS_IOC_TL_MAX_IMAGE)
		return -EINVAL;
	/* Up to 256 KiB: alloc_pages_exact keeps it physically contiguous
	 * without rounding up to the next power of two. */
	img = alloc_pages_exact(a->image_len, GFP_KERNEL);
	if (!img)
		return -ENOMEM;
	if (copy_from_user(img, u64_to_user_ptr(a->image_ptr), a->image_len)) {
		free_pages_exact(img, a->image_len);
		return -EFAULT;
	}
	/* The secure kernel copies the image into VTL1 before checking it, so
	 * the buffer can go as soon as the call returns. */
	r = vtl_call(SC_TL_LOAD, virt_to_phys(img), a->image_len, 0, 0, 0);
	free_pages_exact(img, a->image_len);
	a->handle = r.a0 == HV_STATUS_SUCCESS ? r.a1 : 0;
	return status_result(&a->head, r.a0);
}

static long do_tl_handle(unsigned int cmd, struct ovbs_ioc_tl_handle *a)
{
	static const struct { unsigned int cmd; u64 service; } map[] = {
		{ OVBS_IOC_TL_OPEN, SC_TL_OPEN },
		{ OVBS_IOC_TL_CLOSE, SC_TL_CLOSE },
		{ OVBS_IOC_TL_UNLOAD, SC_TL_UNLOAD },
	};
	struct arm_smccc_res r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map) && map[i].cmd != cmd; i++)
		;
	if (i == ARRAY_SIZE(map))
		return -ENOTTY;
	r = vtl_call(map[i].service, a->in, 0, 0, 0, 0);
	a->out = (cmd == OVBS_IOC_TL_OPEN && r.a0 == HV_STATUS_SUCCESS) ? r.a1 : 0;
	return status_result(&a->head, r.a0);
}

/* The request, the reply and the tl_out descriptor all live in one kernel
 * allocation: [0, MAX) request, [MAX, 2 MAX) reply, then the descriptor. */
struct invoke_buf {
	u8 in[OVBS_IOC_TL_MAX_DATA];
	u8 out[OVBS_IOC_TL_MAX_DATA];
	struct tl_out desc;
};

static long do_tl_invoke(struct ovbs_ioc_tl_invoke *a)
{
	struct arm_smccc_res r;
	struct invoke_buf *b;
	long ret;

	if (a->in_len > OVBS_IOC_TL_MAX_DATA || a->out_max > OVBS_IOC_TL_MAX_DATA ||
	    a->tl_status || a->out_len)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(b->in, u64_to_user_ptr(a->in_ptr), a->in_len))
		goto out;
	b->desc.buf = virt_to_phys(b->out);
	b->desc.max = a->out_max;
	r = vtl_call(SC_TL_INVOKE, a->session, a->command, virt_to_phys(b->in), a->in_len,
		     virt_to_phys(&b->desc));
	ret = status_result(&a->head, r.a0);
	if (r.a0 != HV_STATUS_SUCCESS)
		goto out;
	a->tl_status = r.a1;
	/* VTL1 is trusted, but a length past what was offered would make this
	 * copy read past the reply buffer: clamp it rather than believe it. */
	a->out_len = min_t(u64, r.a2, a->out_max);
	if (copy_to_user(u64_to_user_ptr(a->out_ptr), b->out, a->out_len))
		ret = -EFAULT;
out:
	kfree(b);
	return ret;
}

/* ---- OVBS_IOC_BENCH: the null secure call timed as vtl0/bench.c does --- */

/* The same loop twice, one with the HVC, one with a nop in its place, so
 * the loop's own instructions cancel. Registers as in the VTL0 test
 * kernel's loops (x0, x1 in; x0..x3 back). Each read of a counter is
 * preceded by an ISB so it cannot be taken early. */
#define BENCH_LOOP(name, insn)							\
static void name(u32 rounds, u64 *cycles, u64 *ticks)				\
{										\
	u64 c0, t0;								\
	u32 i;									\
										\
	isb();									\
	t0 = read_sysreg(cntvct_el0);						\
	c0 = read_sysreg(pmccntr_el0);						\
	for (i = 0; i < rounds; i++) {						\
		register u64 x0 asm("x0") = OVBS_VTL_CALL;			\
		register u64 x1 asm("x1") = SC_NULL;				\
		asm volatile(insn : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory"); \
	}									\
	isb();									\
	*cycles = read_sysreg(pmccntr_el0) - c0;				\
	*ticks = read_sysreg(cntvct_el0) - t0;					\
}
BENCH_LOOP(bench_calls, "hvc #0")
BENCH_LOOP(bench_nops, "nop")

static long do_bench(struct ovbs_ioc_bench *a)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 pmcr, filter, enabled, count, cycles, ticks;
	unsigned long flags;
	u32 r;

	if (!a->rounds || a->rounds > OVBS_IOC_BENCH_MAX_ROUNDS ||
	    !a->repeats || a->repeats > OVBS_IOC_BENCH_MAX_REPEATS)
		return -EINVAL;
	/* ID_AA64DFR0_EL1.PMUVer (bits 11:8): 0 none, 0xf not architected. */
	if (((dfr0 >> 8) & 0xf) == 0 || ((dfr0 >> 8) & 0xf) == 0xf)
		return -EOPNOTSUPP;
	a->call_cycles = a->nop_cycles = a->call_ticks = U64_MAX;
	a->cntfrq = read_sysreg(cntfrq_el0);
	/* Interrupts masked, not only preemption: a Linux interrupt handler
	 * taken inside a timed loop would be counted as part of the calls. A
	 * VTL0 interrupt that arrives while VTL1 runs still preempts the call;
	 * the HVC is re-executed and resumes it (the interrupt stays pending in
	 * VTL0 until the loop ends). The cycle counter is borrowed from perf
	 * and given back as it was: this CPU cannot reprogram it meanwhile. */
	local_irq_save(flags);
	pmcr = read_sysreg(pmcr_el0);
	filter = read_sysreg(pmccfiltr_el0);
	enabled = read_sysreg(pmcntenset_el0) & BIT(31);
	count = read_sysreg(pmccntr_el0);
	write_sysreg(BIT(27), pmccfiltr_el0); /* NSH: count at EL2 too */
	write_sysreg(BIT(31), pmcntenset_el0);
	write_sysreg((pmcr | BIT(0) | BIT(6)) & ~BIT(3), pmcr_el0); /* E, LC; D (every 64th) off */
	isb();
	bench_calls(a->rounds, &cycles, &ticks); /* warm-up, not counted */
	for (r = 0; r < a->repeats; r++) {
		bench_calls(a->rounds, &cycles, &ticks);
		if (cycles < a->call_cycles) {
			a->call_cycles = cycles;
			a->call_ticks = ticks;
		}
		bench_nops(a->rounds, &cycles, &ticks);
		a->nop_cycles = min(a->nop_cycles, cycles);
	}
	write_sysreg(pmcr, pmcr_el0);
	write_sysreg(count, pmccntr_el0);
	write_sysreg(filter, pmccfiltr_el0);
	if (!enabled)
		write_sysreg(BIT(31), pmcntenclr_el0);
	isb();
	local_irq_restore(flags);
	return 0;
}

/* ---- The device ------------------------------------------------------- */

union ioc_arg {
	struct ovbs_ioc_head head;
	struct ovbs_ioc_info info;
	struct ovbs_ioc_memmap memmap;
	struct ovbs_ioc_measurement measurement;
	struct ovbs_ioc_protect protect;
	struct ovbs_ioc_query query;
	struct ovbs_ioc_stats stats;
	struct ovbs_ioc_bench bench;
	struct ovbs_ioc_lock_kernel lock_kernel;
	struct ovbs_ioc_tl_load tl_load;
	struct ovbs_ioc_tl_handle tl_handle;
	struct ovbs_ioc_tl_invoke tl_invoke;
};

static long ovbs_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	void __user *up = (void __user *)uarg;
	size_t size = _IOC_SIZE(cmd);
	union ioc_arg *a;
	long ret;

	/* The command number carries the struct's size, so a struct of the
	 * wrong size is an unknown command, never a short copy. */
	switch (cmd) {
	case OVBS_IOC_INFO: case OVBS_IOC_MEMMAP: case OVBS_IOC_MEASUREMENT:
	case OVBS_IOC_PROTECT: case OVBS_IOC_QUERY: case OVBS_IOC_STATS: case OVBS_IOC_BENCH:
	case OVBS_IOC_LOCK_KERNEL:
	case OVBS_IOC_TL_LOAD: case OVBS_IOC_TL_OPEN: case OVBS_IOC_TL_INVOKE:
	case OVBS_IOC_TL_CLOSE: case OVBS_IOC_TL_UNLOAD:
		break;
	default:
		return -ENOTTY;
	}
	if (size > sizeof(*a))
		return -ENOTTY;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	if (copy_from_user(a, up, size)) {
		kfree(a);
		return -EFAULT;
	}
	if (a->head.version != OVBS_IOCTL_VERSION || a->head.flags || a->head.status) {
		kfree(a);
		return -EINVAL;
	}
	switch (cmd) {
	case OVBS_IOC_INFO: ret = do_info(&a->info); break;
	case OVBS_IOC_MEMMAP: ret = do_memmap(&a->memmap); break;
	case OVBS_IOC_MEASUREMENT: ret = do_measurement(&a->measurement); break;
	case OVBS_IOC_PROTECT: ret = do_protect(&a->protect); break;
	case OVBS_IOC_QUERY: ret = do_query(&a->query); break;
	case OVBS_IOC_STATS: ret = do_stats(&a->stats); break;
	case OVBS_IOC_BENCH: ret = do_bench(&a->bench); break;
	case OVBS_IOC_LOCK_KERNEL: ret = ovbs_lock_kernel(&a->lock_kernel); break;
	case OVBS_IOC_TL_LOAD: ret = do_tl_load(&a->tl_load); break;
	case OVBS_IOC_TL_INVOKE: ret = do_tl_invoke(&a->tl_invoke); break;
	default: ret = do_tl_handle(cmd, &a->tl_handle); break;
	}
	/* Copied back on a refusal too: head.status says what VTL1 or the
	 * hypervisor answered. Not after the module's own EINVAL (nothing ran). */
	if ((ret == 0 || a->head.status) && copy_to_user(up, a, size))
		ret = -EFAULT;
	kfree(a);
	return ret;
}

static int ovbs_open(struct inode *inode, struct file *file)
{
	/* Mode 0600 already keeps others out; a root process that dropped its
	 * capabilities should not get in either. */
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static const struct file_operations ovbs_fops = {
	.owner = THIS_MODULE,
	.open = ovbs_open,
	.unlocked_ioctl = ovbs_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice ovbs_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "openvbs",
	.fops = &ovbs_fops,
	.mode = 0600,
};

/* Why there can be no OpenVBS below us, or NULL if an HVC is safe to try.
 * An HVC with no EL2 is an undefined instruction (an oops in a module), and
 * a kernel running at EL2 itself would be calling its own vectors. */
static const char *no_hypervisor_reason(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);

	if (!((pfr0 >> ID_AA64PFR0_EL1_EL2_SHIFT) & 0xf))
		return "this CPU has no EL2";
	if (is_kernel_in_hyp_mode())
		return "Linux itself runs at EL2";
	return NULL;
}

static int __init ovbs_init(void)
{
	const char *why = no_hypervisor_reason();
	struct arm_smccc_res r;
	int err;

	if (!why) {
		/* SMCCC vendor-hypervisor UID: four 32-bit words in w0..w3. */
		r = hv_call(OVBS_CALL_UID, 0, 0, 0);
		if ((u32)r.a0 != OVBS_UID_0 || (u32)r.a1 != OVBS_UID_1 ||
		    (u32)r.a2 != OVBS_UID_2 || (u32)r.a3 != OVBS_UID_3)
			why = "the hypervisor's SMCCC UID is not OpenVBS's";
	}
	if (why) {
		pr_err("openvbs: no OpenVBS hypervisor (%s); not loading\n", why);
		return -ENODEV;
	}
	r = hv_call(OVBS_CALL_REVISION, 0, 0, 0);
	err = misc_register(&ovbs_misc);
	if (err) {
		pr_err("openvbs: cannot register /dev/openvbs: %d\n", err);
		return err;
	}
	pr_info("openvbs: OpenVBS hypervisor %u.%u found; /dev/openvbs ready\n",
		(u32)r.a0, (u32)r.a1);
	/* Last: with lock_kernel=1 this starts the lock, which must find the
	 * module whole. */
	err = ovbs_kl_init();
	if (err) {
		pr_err("openvbs: cannot register the module notifier: %d\n", err);
		misc_deregister(&ovbs_misc);
	}
	return err;
}

static void __exit ovbs_exit(void)
{
	ovbs_kl_exit();
	misc_deregister(&ovbs_misc);
}

module_init(ovbs_init);
module_exit(ovbs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("OpenVBS: hypercalls and secure calls from Linux in VTL0");
