// SPDX-License-Identifier: GPL-2.0
/* kernel_lock.c: the kernel integrity lock from Linux's side (part of
 * openvbs.ko, EL1 of VTL0; docs/linux.md, docs/kernel-integrity.md). Finds
 * the running kernel's layout from its System.map, describes the kernel's
 * and every loaded module's code, read-only data and jump tables to VTL1
 * (SC_KERNEL_LAYOUT), locks them (SC_KERNEL_LOCK), and from then on keeps
 * new modules out and the locked ones loaded.
 *
 * Why System.map: Debian builds without CONFIG_KALLSYMS_ALL, so
 * /proc/kallsyms lists text symbols only, and none of the section bounds
 * this needs (__start_rodata, __start___jump_table, ...) is exported. The
 * map gives link-time addresses; KASLR slides the whole image by one
 * offset, found from symbols whose address a module can take. */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel_read_file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <asm/cpufeature.h>
#include <asm/memory.h>
#include "openvbs_mod.h"

#define KL_MAP_MAX      (16u << 20) /* Debian's map is 4.7 MB; anything far bigger is not one */
#define KL_MAX_MODULES  512
#define KL_MAX_WALK     4096        /* list entries: a loop means a wrong list head */
#define KL_COMING_TRIES 250         /* 20 ms apart: a loading module gets 5 s to finish */
#define KL_BPF_JIT      "/proc/sys/net/core/bpf_jit_enable"

/* The symbols the lock reads from System.map, one KL_SYM each.
 * linux/initramfs/mkcpio.sh greps the KL_SYM(...) names out of this file to
 * ship a System.map with only these lines. schedule and kimage_voffset are
 * the anchors: the module takes their addresses directly. */
#define KL_SYMBOLS							\
	KL_SYM(_text) KL_SYM(_stext) KL_SYM(_etext)			\
	KL_SYM(__start_rodata) KL_SYM(__end_rodata)			\
	KL_SYM(__start___jump_table) KL_SYM(__stop___jump_table)	\
	KL_SYM(__entry_tramp_text_start) KL_SYM(__entry_tramp_text_end)	\
	KL_SYM(swapper_pg_dir) KL_SYM(__init_begin) KL_SYM(_end)	\
	KL_SYM(reserved_pg_dir) KL_SYM(tramp_pg_dir)			\
	KL_SYM(modules) KL_SYM(schedule) KL_SYM(kimage_voffset)

enum kl_sym {
#define KL_SYM(s) SYM_##s,
	KL_SYMBOLS
#undef KL_SYM
	SYM_COUNT
};

static const char *const kl_sym_name[SYM_COUNT] = {
#define KL_SYM(s) #s,
	KL_SYMBOLS
#undef KL_SYM
};

struct kl_map {
	u64 addr[SYM_COUNT]; /* link-time, then runtime once slid */
	bool seen[SYM_COUNT];
};

/* One lock attempt: what it staged and what it holds. */
struct kl_ctx {
	struct ovbs_ioc_lock_kernel *a;
	struct kl_map map;
	struct module *mods[KL_MAX_MODULES];
	unsigned int nmods;
};

static bool lock_kernel;
module_param(lock_kernel, bool, 0400);
MODULE_PARM_DESC(lock_kernel, "lock the kernel (integrity lock) right after loading");
static bool pin_el1;
module_param(pin_el1, bool, 0400);
MODULE_PARM_DESC(pin_el1, "with lock_kernel: also pin SCTLR_EL1, TCR_EL1 and TTBR1_EL1");
static char *system_map = "";
module_param(system_map, charp, 0400);
MODULE_PARM_DESC(system_map, "System.map for the lock (default /boot/System.map-RELEASE)");

/* One attempt at a time (the ioctl and the parameter's work). kl_veto
 * refuses new modules from the moment an attempt reads the module list;
 * kl_locked (under kl_mutex) says the references below are held for good. */
static DEFINE_MUTEX(kl_mutex);
static bool kl_veto;
static bool kl_locked;

/* ---- System.map ----------------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "ADDRESS TYPE NAME": the address in hex (at most 16 digits), one
 * letter, the name. 0 and the parts, or -EINVAL. */
static int map_line(const char *s, size_t len, u64 *addr, const char **name, size_t *name_len)
{
	size_t i = 0;
	int d;

	*addr = 0;
	for (; i < len && (d = hex_value(s[i])) >= 0; i++) {
		if (i == 16)
			return -EINVAL;
		*addr = *addr << 4 | d;
	}
	if (i == 0 || i + 3 > len || s[i] != ' ' || s[i + 1] == ' ' || s[i + 2] != ' ')
		return -EINVAL;
	*name = s + i + 3;
	*name_len = len - i - 3;
	return *name_len ? 0 : -EINVAL;
}

static void map_note(struct kl_map *m, u64 addr, const char *name, size_t len, bool *twice)
{
	unsigned int k;

	for (k = 0; k < SYM_COUNT; k++) {
		if (strlen(kl_sym_name[k]) != len || memcmp(kl_sym_name[k], name, len))
			continue;
		/* A static name can occur in several files: only one value will do. */
		if (m->seen[k] && m->addr[k] != addr)
			*twice = true;
		m->addr[k] = addr;
		m->seen[k] = true;
		return;
	}
}

static int map_parse(const char *path, const char *buf, size_t size, struct kl_map *m)
{
	const char *p = buf, *end = buf + size, *nl, *name;
	unsigned int line = 0, k;
	bool twice = false;
	size_t len, name_len;
	u64 addr;

	memset(m, 0, sizeof(*m));
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		len = nl - p;
		line++;
		if (len && p[len - 1] == '\r')
			len--;
		if (!len)
			continue;
		if (map_line(p, len, &addr, &name, &name_len)) {
			pr_err("openvbs: kernel lock: %s line %u is not \"ADDRESS TYPE NAME\": not a System.map\n",
			       path, line);
			return -EINVAL;
		}
		map_note(m, addr, name, name_len, &twice);
	}
	for (k = 0; k < SYM_COUNT; k++) {
		if (!m->seen[k]) {
			pr_err("openvbs: kernel lock: %s has no symbol %s\n", path, kl_sym_name[k]);
			return -ENOENT;
		}
	}
	if (twice) {
		pr_err("openvbs: kernel lock: %s gives a symbol the lock needs two addresses\n", path);
		return -EINVAL;
	}
	return 0;
}

static int map_read(const char *path, struct kl_map *m)
{
	size_t file_size = 0;
	void *buf = NULL;
	ssize_t n;
	int err;

	n = kernel_read_file_from_path(path, 0, &buf, KL_MAP_MAX, &file_size, READING_UNKNOWN);
	if (n < 0) {
		pr_err("openvbs: kernel lock: cannot read %s: error %zd%s\n", path, n,
		       n == -EFBIG ? " (larger than 16 MiB: not a System.map)" : "");
		return n;
	}
	err = map_parse(path, buf, n, m);
	vfree(buf);
	return err;
}

/* ---- The layout ------------------------------------------------------------ */

static bool ordered(const struct kl_map *m, const enum kl_sym *seq, unsigned int n)
{
	unsigned int i;

	for (i = 1; i < n; i++) {
		if (m->addr[seq[i - 1]] > m->addr[seq[i]]) {
			pr_err("openvbs: kernel lock: System.map puts %s after %s\n",
			       kl_sym_name[seq[i - 1]], kl_sym_name[seq[i]]);
			return false;
		}
	}
	return true;
}

/* The sections in the order arm64's vmlinux.lds.S lays them out, every
 * bound a range starts or ends at page-aligned, the jump table whole
 * entries inside the read-only data. */
static int layout_check(const struct kl_map *m)
{
	static const enum kl_sym seq[] = {
		SYM__text, SYM__stext, SYM__etext, SYM___start_rodata, SYM___start___jump_table,
		SYM___stop___jump_table, SYM___end_rodata, SYM___entry_tramp_text_start,
		SYM___entry_tramp_text_end, SYM_swapper_pg_dir, SYM___init_begin, SYM_modules,
		SYM__end,
	};
	static const enum kl_sym aligned[] = {
		SYM__text, SYM__stext, SYM__etext, SYM___entry_tramp_text_start,
		SYM___entry_tramp_text_end, SYM_swapper_pg_dir,
	};
	u64 jt = m->addr[SYM___stop___jump_table] - m->addr[SYM___start___jump_table];
	unsigned int i;

	if (!ordered(m, seq, ARRAY_SIZE(seq)))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(aligned); i++) {
		if (!PAGE_ALIGNED(m->addr[aligned[i]])) {
			pr_err("openvbs: kernel lock: %s at 0x%llx is not page-aligned\n",
			       kl_sym_name[aligned[i]], m->addr[aligned[i]]);
			return -EINVAL;
		}
	}
	if (m->addr[SYM__stext] == m->addr[SYM__etext] ||
	    m->addr[SYM___entry_tramp_text_start] == m->addr[SYM___entry_tramp_text_end]) {
		pr_err("openvbs: kernel lock: System.map gives an empty text section\n");
		return -EINVAL;
	}
	if (!IS_ALIGNED(m->addr[SYM___start___jump_table], 8) ||
	    jt % sizeof(struct ovbs_jump_entry) || jt / sizeof(struct ovbs_jump_entry) > KL_MAX_JUMP_SITES) {
		pr_err("openvbs: kernel lock: the jump table [0x%llx, 0x%llx) is not an array of entries\n",
		       m->addr[SYM___start___jump_table], m->addr[SYM___stop___jump_table]);
		return -EINVAL;
	}
	return 0;
}

/* KASLR's offset: runtime minus link-time address of two symbols, a
 * function and a variable, which must agree (a map of another build of
 * the kernel moves at least one of them). */
static int layout_slide(struct kl_map *m, u64 *slide)
{
	u64 s1 = (u64)&schedule - m->addr[SYM_schedule];
	u64 s2 = (u64)&kimage_voffset - m->addr[SYM_kimage_voffset];
	unsigned int k;

	if (s1 != s2) {
		pr_err("openvbs: kernel lock: the System.map is not this kernel's (schedule slides by 0x%llx, kimage_voffset by 0x%llx)\n",
		       s1, s2);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(s1)) {
		pr_err("openvbs: kernel lock: KASLR offset 0x%llx is not page-aligned\n", s1);
		return -EINVAL;
	}
	for (k = 0; k < SYM_COUNT; k++)
		m->addr[k] += s1;
	*slide = s1;
	return 0;
}

/* ---- Staging ---------------------------------------------------------------- */

static const char *const kl_kind_name[] = {
	"reset", "kernel text", "kernel rodata", "module text", "module rodata", "jump table",
};

static long stage(struct kl_ctx *c, u32 kind, u64 va, u64 gpa, u64 pages)
{
	struct arm_smccc_res r = vtl_call(SC_KERNEL_LAYOUT, kind, va, gpa, pages, 0);

	if (r.a0 != HV_STATUS_SUCCESS) {
		pr_err("openvbs: kernel lock: VTL1 refused %s VA 0x%llx GPA 0x%llx x%llu: status 0x%llx %s\n",
		       kl_kind_name[kind], va, gpa, pages, (u64)r.a0, ovbs_status_lookup(r.a0)->name);
		return status_result(&c->a->head, r.a0);
	}
	if (kind != KL_RESET && kind != KL_JUMP_TABLE)
		c->a->ranges++;
	return 0;
}

/* A piece of the kernel image [from, to) (runtime VAs): physically
 * contiguous, its PA is the VA minus kimage_voffset (__pa_symbol). */
static long stage_image(struct kl_ctx *c, u32 kind, enum kl_sym from, enum kl_sym to)
{
	u64 va = c->map.addr[from], end = c->map.addr[to];

	if (end == va)
		return 0;
	return stage(c, kind, va, va - kimage_voffset, (end - va) >> PAGE_SHIFT);
}

/* [_stext, swapper_pg_dir): text and the KPTI trampoline (run through a
 * fixmap alias on every EL0 exception) as text, everything else read-only:
 * rodata with __ro_after_init and the jump table,
 * hyp rodata, the hibernate/kexec page (copied before use, never run in
 * place) and the idmap, tramp and reserved page tables. swapper_pg_dir
 * onwards stays writable: Linux writes it through FIX_PGD. [_text, _stext)
 * is not the kernel's after boot: arm64_memblock_init reserves the image
 * from _stext, and the rest of the header's 64 KiB segment is free memory
 * (a process ran from it once that page was locked). */
static long stage_kernel(struct kl_ctx *c)
{
	const struct kl_map *m = &c->map;
	long err;

	err = stage_image(c, KL_KERNEL_TEXT, SYM__stext, SYM__etext);
	if (!err)
		err = stage_image(c, KL_KERNEL_RODATA, SYM__etext, SYM___entry_tramp_text_start);
	if (!err)
		err = stage_image(c, KL_KERNEL_RODATA, SYM___entry_tramp_text_end, SYM_swapper_pg_dir);
	if (!err)
		err = stage_image(c, KL_KERNEL_TEXT, SYM___entry_tramp_text_start,
				  SYM___entry_tramp_text_end);
	if (!err)
		err = stage(c, KL_JUMP_TABLE, m->addr[SYM___start___jump_table], 0,
			    (m->addr[SYM___stop___jump_table] - m->addr[SYM___start___jump_table]) /
			    sizeof(struct ovbs_jump_entry));
	return err;
}

/* Module memory is vmalloc'ed: one range per physically contiguous run. */
static long stage_vmalloc(struct kl_ctx *c, u32 kind, const struct module *mod, u64 va, u64 size)
{
	u64 run = va, end = va + size, p;
	unsigned long first = 0, pfn;
	long err;

	for (p = va; p < end; p += PAGE_SIZE) {
		pfn = vmalloc_to_pfn((void *)p);
		if (!pfn) {
			pr_err("openvbs: kernel lock: module %s: no page behind 0x%llx\n", mod->name, p);
			return -EFAULT;
		}
		if (p == va)
			first = pfn;
		else if (pfn != first + ((p - run) >> PAGE_SHIFT)) {
			err = stage(c, kind, run, PFN_PHYS(first), (p - run) >> PAGE_SHIFT);
			if (err)
				return err;
			run = p;
			first = pfn;
		}
	}
	return size ? stage(c, kind, run, PFN_PHYS(first), (end - run) >> PAGE_SHIFT) : 0;
}

/* core_layout: [0, text_size) code, [text_size, ro_size) rodata,
 * [ro_size, ro_after_init_size) ro_after_init with the module's
 * __jump_table, page-aligned under STRICT_MODULE_RWX. Init memory is freed
 * after init and not locked. */
static long stage_module(struct kl_ctx *c, const struct module *mod)
{
	const struct module_layout *l = &mod->core_layout;
	u64 base = (u64)l->base;
	u64 jt = (u64)mod->jump_entries;
	long err;

	if (!PAGE_ALIGNED(base) || !PAGE_ALIGNED(l->text_size) || !PAGE_ALIGNED(l->ro_after_init_size) ||
	    !l->text_size || l->text_size > l->ro_size || l->ro_size > l->ro_after_init_size) {
		pr_err("openvbs: kernel lock: module %s: core layout not page-aligned (text %u, ro %u, ro_after_init %u)\n",
		       mod->name, l->text_size, l->ro_size, l->ro_after_init_size);
		return -EINVAL;
	}
	err = stage_vmalloc(c, KL_MODULE_TEXT, mod, base, l->text_size);
	if (!err)
		err = stage_vmalloc(c, KL_MODULE_RODATA, mod, base + l->text_size,
				    l->ro_after_init_size - l->text_size);
	if (err || !mod->num_jump_entries)
		return err;
	if (jt < base + l->text_size ||
	    jt + (u64)mod->num_jump_entries * sizeof(struct jump_entry) > base + l->ro_after_init_size) {
		pr_err("openvbs: kernel lock: module %s: jump table outside its read-only data\n", mod->name);
		return -EINVAL;
	}
	return stage(c, KL_JUMP_TABLE, jt, 0, mod->num_jump_entries);
}

/* ---- The module list ---------------------------------------------------------- */

static void put_modules(struct kl_ctx *c)
{
	while (c->nmods)
		module_put(c->mods[--c->nmods]);
}

/* One pass over `modules`: a reference on every live module (so none can
 * be unloaded and its locked pages reused), or the name of one still
 * running its init (its ro_after_init is not final yet): 1 then. */
static int walk_modules(struct kl_ctx *c, struct list_head *head, char *busy)
{
	unsigned int walked = 0;
	struct module *mod;
	int ret = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(mod, head, list) {
		if (++walked > KL_MAX_WALK) {
			ret = -ELOOP;
			break;
		}
		if (mod->state == MODULE_STATE_UNFORMED)
			continue;
		if (mod->state == MODULE_STATE_COMING) {
			strscpy(busy, mod->name, MODULE_NAME_LEN);
			ret = 1;
			break;
		}
		if (c->nmods == KL_MAX_MODULES) {
			ret = -E2BIG;
			break;
		}
		if (try_module_get(mod)) /* fails only for a module going away */
			c->mods[c->nmods++] = mod;
	}
	rcu_read_unlock();
	return ret;
}

static bool holds(const struct kl_ctx *c, const struct module *mod)
{
	unsigned int i;

	for (i = 0; i < c->nmods; i++) {
		if (c->mods[i] == mod)
			return true;
	}
	return false;
}

/* The loaded modules, with references, once none is still loading. New
 * ones are already refused (kl_veto), so the wait ends. */
static int collect_modules(struct kl_ctx *c)
{
	struct list_head *head = (struct list_head *)c->map.addr[SYM_modules];
	char busy[MODULE_NAME_LEN];
	unsigned int tries;
	int ret = 1;

	if (head->next->prev != head) {
		pr_err("openvbs: kernel lock: no module list at 0x%px\n", head);
		return -EINVAL;
	}
	for (tries = 0; tries < KL_COMING_TRIES && ret == 1; tries++) {
		if (tries)
			msleep(20);
		put_modules(c);
		ret = walk_modules(c, head, busy);
	}
	if (ret == 1) {
		pr_err("openvbs: kernel lock: module %s is still loading\n", busy);
		ret = -EBUSY;
	} else if (ret == 0 && !holds(c, THIS_MODULE)) {
		pr_err("openvbs: kernel lock: the module list at 0x%px does not hold openvbs\n", head);
		ret = -EINVAL;
	} else if (ret) {
		pr_err("openvbs: kernel lock: the module list at 0x%px is not usable (%d)\n", head, ret);
	}
	if (ret)
		put_modules(c);
	return ret;
}

/* Refuses a module that would run after the lock (its code would not be
 * kernel-executable; approving it is not built): from the moment a lock
 * attempt reads the module list, so none slips in between. */
static int kl_module_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;

	if (action != MODULE_STATE_COMING || !READ_ONCE(kl_veto))
		return NOTIFY_DONE;
	pr_warn("openvbs: module %s refused: the kernel is locked (no new kernel code)\n", mod->name);
	return notifier_from_errno(-EPERM);
}

static struct notifier_block kl_module_nb = {
	.notifier_call = kl_module_notify,
};

/* ---- The lock ------------------------------------------------------------------ */

/* A JIT-compiled BPF program would be EL1 code outside the locked text: it
 * faults when run (a socket filter in softirq would panic the machine).
 * Debian leaves BPF_JIT_ALWAYS_ON unset, so the interpreter takes over. */
static int bpf_jit_off(void)
{
	struct file *f = filp_open(KL_BPF_JIT, O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f)) {
		pr_err("openvbs: kernel lock: cannot open %s (%ld): the BPF JIT must be off first\n",
		       KL_BPF_JIT, PTR_ERR(f));
		return PTR_ERR(f);
	}
	n = kernel_write(f, "0\n", 2, &pos);
	filp_close(f, NULL);
	if (n != 2) {
		pr_err("openvbs: kernel lock: cannot turn the BPF JIT off (%zd)\n", n);
		return n < 0 ? n : -EIO;
	}
	return 0;
}

/* After a failed SC_KERNEL_LOCK: new modules may load again only if VTL1
 * says nothing is locked (or knows no kernel lock at all). A lock that
 * failed halfway stays in KLS_LOCKING for good, so the veto stays too. */
static bool vtl1_unlocked(void)
{
	struct arm_smccc_res r = vtl_call(SC_KERNEL_STATUS, 0, 0, 0, 0, 0);

	if (r.a0 == HV_STATUS_INVALID_HYPERCALL_CODE)
		return true;
	return r.a0 == HV_STATUS_SUCCESS && r.a1 == KLS_OPEN;
}

static long describe_and_lock(struct kl_ctx *c)
{
	/* The page directories TTBR1_EL1 holds besides swapper_pg_dir, which
	 * VTL1 then allows for it: reserved_pg_dir, set for a moment whenever
	 * Linux replaces TTBR1 (idmap_cpu_replace_ttbr1, CPU bring-up), and
	 * under KPTI tramp_pg_dir, which the trampoline switches to on every
	 * exit to EL0. Both are locked read-only with the rodata. */
	u64 reserved = c->map.addr[SYM_reserved_pg_dir] - kimage_voffset;
	u64 tramp = cpus_have_cap(ARM64_UNMAP_KERNEL_AT_EL0) ?
		    c->map.addr[SYM_tramp_pg_dir] - kimage_voffset : 0;
	struct ovbs_ioc_lock_kernel *a = c->a;
	struct arm_smccc_res r;
	unsigned int i;
	long err;

	err = stage(c, KL_RESET, 0, 0, 0);
	if (!err)
		err = stage_kernel(c);
	for (i = 0; !err && i < c->nmods; i++)
		err = stage_module(c, c->mods[i]);
	if (err)
		return err;
	r = vtl_call(SC_KERNEL_LOCK, (a->options & OVBS_LOCK_PIN_EL1) ? KL_LOCK_PIN_EL1 : 0,
		     reserved, tramp, 0, 0);
	if (r.a0 != HV_STATUS_SUCCESS) {
		pr_err("openvbs: kernel lock: VTL1 refused the lock of %u ranges: status 0x%llx %s\n",
		       a->ranges, (u64)r.a0, ovbs_status_lookup(r.a0)->name);
		return status_result(&a->head, r.a0);
	}
	a->text_pages = r.a1;
	a->ro_pages = r.a2;
	a->jump_sites = r.a3;
	return 0;
}

static const char *map_path(const char *given, char *buf, size_t size)
{
	if (given[0])
		return given;
	snprintf(buf, size, "/boot/System.map-%s", init_utsname()->release);
	return buf;
}

static long lock_locked(struct kl_ctx *c, const char *path)
{
	long err;

	err = map_read(path, &c->map);
	if (!err)
		err = layout_check(&c->map);
	if (!err)
		err = layout_slide(&c->map, &c->a->slide);
	if (!err)
		err = bpf_jit_off();
	if (err)
		return err;
	WRITE_ONCE(kl_veto, true);
	smp_mb(); /* a module's COMING notifier after this sees the veto */
	err = collect_modules(c);
	if (!err)
		err = describe_and_lock(c);
	if (!err) {
		/* The references stay: rmmod of a locked module is EBUSY. */
		c->a->modules = c->nmods;
		kl_locked = true;
		return 0;
	}
	put_modules(c);
	if (!kl_locked && vtl1_unlocked()) {
		vtl_call(SC_KERNEL_LAYOUT, KL_RESET, 0, 0, 0, 0);
		WRITE_ONCE(kl_veto, false);
	}
	return err;
}

/* OVBS_IOC_LOCK_KERNEL, and the lock_kernel parameter's work. Logs the
 * outcome either way. */
long ovbs_lock_kernel(struct ovbs_ioc_lock_kernel *a)
{
	char def[sizeof(a->system_map) + 64];
	const char *path;
	struct kl_ctx *c;
	long err;

	if (!memchr(a->system_map, '\0', sizeof(a->system_map)) ||
	    (a->options & ~OVBS_LOCK_PIN_EL1) || a->reserved)
		return -EINVAL;
	a->text_pages = a->ro_pages = a->jump_sites = a->slide = 0;
	a->modules = a->ranges = 0;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->a = a;
	path = map_path(a->system_map, def, sizeof(def));
	mutex_lock(&kl_mutex);
	err = lock_locked(c, path);
	mutex_unlock(&kl_mutex);
	kfree(c);
	if (err)
		pr_err("openvbs: kernel lock failed (error %ld, status 0x%llx)\n", err, a->head.status);
	else
		pr_info("openvbs: kernel locked: %llu text pages, %llu read-only pages, %llu jump sites, %u modules\n",
			a->text_pages, a->ro_pages, a->jump_sites, a->modules);
	return err;
}

/* The lock_kernel parameter: not from module init itself, which returns
 * into .init.text, code the lock leaves without kernel-execute. The work
 * waits (collect_modules) until this module is live. */
static void kl_work_fn(struct work_struct *w)
{
	struct ovbs_ioc_lock_kernel *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a) {
		pr_err("openvbs: kernel lock failed (no memory)\n");
		return;
	}
	strscpy(a->system_map, system_map ? system_map : "", sizeof(a->system_map));
	a->options = pin_el1 ? OVBS_LOCK_PIN_EL1 : 0;
	ovbs_lock_kernel(a);
	kfree(a);
}

static DECLARE_WORK(kl_work, kl_work_fn);

void ovbs_kl_stats(struct ovbs_ioc_stats *a)
{
	struct arm_smccc_res r = vtl_call(SC_KERNEL_STATUS, 0, 0, 0, 0, 0);

	/* A secure kernel without the lock says INVALID_HYPERCALL_CODE: zeros. */
	if (r.a0 != HV_STATUS_SUCCESS)
		return;
	a->kernel_state = r.a1;
	a->kernel_refusals = r.a2;
	a->kernel_patches = r.a3;
}

int ovbs_kl_init(void)
{
	int err = register_module_notifier(&kl_module_nb);

	if (err)
		return err;
	if (lock_kernel) {
		if (system_map && strlen(system_map) >= OVBS_IOC_MAP_PATH)
			pr_err("openvbs: kernel lock failed (system_map longer than %u)\n",
			       OVBS_IOC_MAP_PATH - 1);
		else
			schedule_work(&kl_work);
	}
	return 0;
}

void ovbs_kl_exit(void)
{
	cancel_work_sync(&kl_work);
	unregister_module_notifier(&kl_module_nb);
}
