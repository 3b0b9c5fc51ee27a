# Makefile: builds the OpenVBS images (hypervisor at EL2, VTL0 test kernel),
# the host unit tests, and runs everything in QEMU. `make help` lists targets.

CLANG    ?= clang
LD       := ld.lld
PYTHON   ?= /usr/bin/python3
B        := build
# Evaluated when used, so a first `make` can install clang before needing it.
RES       = $(shell $(CLANG) -print-resource-dir)
ARM64LIB := /usr/lib/aarch64-linux-gnu
DEPS_OK  := $(B)/.deps-ok

# Target code: freestanding C11 for AArch64, our own minimal libc headers,
# libfdt's and BearSSL's headers copied out of /usr/include (build/sysinc) so
# no glibc header can leak in.
TARGET_CFLAGS = --target=aarch64-none-elf -march=armv8.1-a -std=c11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -nostdinc -isystem $(RES)/include -Ilib/include -I$(B)/sysinc \
	-Iinclude -Ilib -Ilib/arm64 -mgeneral-regs-only -mstrict-align -fno-pic -fno-pie \
	-fstack-protector-strong -fno-omit-frame-pointer -MMD -MP
TARGET_ASFLAGS := --target=aarch64-none-elf -march=armv8.1-a -Ilib -MMD -MP
LDFLAGS  := -nostdlib -static --no-pie -z max-page-size=4096

LIB_SRC  := lib/libc.c lib/chk.c lib/fmt.c lib/pl011.c lib/elf.c lib/arm64/pgtable.c lib/arm64/esr.c \
	lib/arm64/smccc.c lib/arm64/pt_el1.c lib/arm64/fpsimd.S lib/evring.c lib/ratelimit.c
# SHA-256 on the Armv8 instructions measures the boot images (hv/measure.c).
HV_SRC   := $(wildcard hv/*.c) $(wildcard hv/*.S) lib/sha256.c lib/arm64/sha256_ce.S
VTL0_SRC := $(wildcard vtl0/*.c) $(wildcard vtl0/*.S)
# The secure kernel hashes the kernel text it locks (sk/kernel_lock.c) the same way.
SK_SRC   := $(wildcard sk/*.c) $(wildcard sk/*.S) lib/sha256.c lib/arm64/sha256_ce.S

obj = $(patsubst %,$(B)/$(1)/%.o,$(basename $(2)))
HV_OBJ   := $(call obj,hv,$(HV_SRC) $(LIB_SRC))
VTL0_OBJ := $(call obj,vtl0,$(VTL0_SRC) $(LIB_SRC))
SK_OBJ   := $(call obj,sk,$(SK_SRC) $(LIB_SRC))

QEMU_ARGS = -M virt,virtualization=on,gic-version=3,its=on,iommu=smmuv3 \
	-cpu max,pauth-impdef=on -smp 4 -m 512M -display none -nic none \
	-device pvpanic-pci -action panic=exit-failure -no-reboot -kernel $(B)/hv.elf \
	$(DMA_DEVICES)
# Devices that can DMA (docs/dma.md): the edu PCIe device, a virtio-pci device behind
# a root port that goes through the SMMU, and a virtio-mmio device that would not.
DMA_DEVICES = -device edu,dma_mask=0xffffffffff \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 \
	-device virtio-rng-pci,bus=rp0,iommu_platform=on,disable-legacy=on \
	-device virtio-rng-device

.PHONY: all deps run test bench debug clean help host-tests count fuzz mutate print-qemu-args verify linux linux-check
all: $(B)/hv.elf

help:
	@echo "make run     build and boot in QEMU; console in VTL0 (stdin not a tty: run its lines)"
	@echo "make test    host unit tests + QEMU integration tests, ends with 'N passed, N failed'"
	@echo "make bench   deterministic instruction counts -> build/bench.json"
	@echo "make debug   QEMU halted, waiting for gdb-multiarch on :1234"
	@echo "make count   line counts of the trusted computing base"
	@echo "make fuzz    libFuzzer on the trustlet image verifier (FUZZ_SECONDS=60)"
	@echo "make mutate  mutation testing of the trusted code (ONLY=name,... for some)"
	@echo "make verify  spin model checks of the SMP protocols, their mutants, the table check"

deps: $(DEPS_OK)
$(DEPS_OK): scripts/install-deps.sh
	@./scripts/install-deps.sh
	@mkdir -p $(B) && touch $@

$(B)/sysinc/libfdt.h: | $(DEPS_OK)
	@mkdir -p $(dir $@)
	cp /usr/include/fdt.h /usr/include/libfdt.h /usr/include/libfdt_env.h \
		/usr/include/bearssl/*.h $(dir $@)

# ---- target images ------------------------------------------------------
$(B)/hv/%.o: %.c $(B)/sysinc/libfdt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_CFLAGS) -Ihv -c $< -o $@

$(B)/hv/%.o: %.S
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_ASFLAGS) -Ihv -c $< -o $@

# The hypervisor carries (and measures) the images without debug sections;
# build/*.elf keep them for gdb.
$(B)/%.stripped.elf: $(B)/%.elf
	llvm-objcopy --strip-debug $< $@

$(B)/hv/hv/payload.o: hv/payload.S $(B)/vtl0.stripped.elf $(B)/sk.stripped.elf
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_ASFLAGS) -DVTL0_IMAGE='"$(B)/vtl0.stripped.elf"' \
		-DSK_IMAGE='"$(B)/sk.stripped.elf"' -c $< -o $@

$(B)/sk/%.o: %.c $(B)/sysinc/libfdt.h $(B)/gen/tl_pubkey.h
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_CFLAGS) -Isk -I$(B)/gen -c $< -o $@

$(B)/sk/%.o: %.S
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_ASFLAGS) -Iinclude -Isk -c $< -o $@

$(B)/sk/sk/payload.o: sk/payload.S $(B)/trustlets/runtime.stripped.elf
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_ASFLAGS) -I$(B)/trustlets -c $< -o $@

$(B)/sk.elf: $(SK_OBJ) sk/sk.ld
	$(LD) $(LDFLAGS) -T sk/sk.ld $(SK_OBJ) $(ARM64LIB)/libbearssl.a -o $@

# ---- trustlets ------------------------------------------------------------
# The development signing key is made on the first build (keys/, not in git);
# the secure kernel embeds its public half.
SIGN_KEY := keys/trustlet-signing.pem
TLSIGN   := $(PYTHON) tools/tlsign.py
$(B)/gen/tl_pubkey.h: tools/tlsign.py | $(DEPS_OK)
	$(TLSIGN) keygen --key $(SIGN_KEY) --header $@

# The shared runtime: one read-only copy in VTL1, mapped into every trustlet
# (no stack protector there: the canary is per trustlet, in lib/chk.c).
RUNTIME_SRC := trustlets/runtime/ium.c lib/libc.c lib/fmt.c
RUNTIME_OBJ := $(call obj,tl/runtime,$(RUNTIME_SRC))
$(B)/tl/runtime/%.o: %.c $(B)/sysinc/libfdt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_CFLAGS) -fno-stack-protector -Itrustlets/runtime -c $< -o $@
$(B)/trustlets/runtime.elf: $(RUNTIME_OBJ) trustlets/runtime.ld
	@mkdir -p $(dir $@)
	$(LD) $(LDFLAGS) -T trustlets/runtime.ld $(RUNTIME_OBJ) -o $@

# A trustlet: its code, the start-up stub, its own canary; calls into the
# runtime resolve to the runtime's fixed addresses (--just-symbols).
tl_objs = $(call obj,tl/$(1),$(wildcard trustlets/$(1)/*.c) $(wildcard trustlets/$(1)/*.S) \
	$(TL_EXTRA_$(1)) trustlets/runtime/crt0.S lib/chk.c)
# The register spy saves and loads FP/SIMD with the library's own routines.
TL_EXTRA_regspy := lib/arm64/fpsimd.S

# Trustlets are built like the kernels (freestanding C at EL0) and may link
# Debian's BearSSL; each gets its own object directory.
define trustlet_rules
$$(B)/tl/$(1)/%.o: %.c $$(B)/sysinc/libfdt.h
	@mkdir -p $$(dir $$@)
	$$(CLANG) $$(TARGET_CFLAGS) -Itrustlets/runtime -c $$< -o $$@
$$(B)/tl/$(1)/%.o: %.S
	@mkdir -p $$(dir $$@)
	$$(CLANG) $$(TARGET_ASFLAGS) -c $$< -o $$@
$$(B)/trustlets/$(1).elf: $$(call tl_objs,$(1)) trustlets/tl.ld $$(B)/trustlets/runtime.elf
	@mkdir -p $$(dir $$@)
	$$(LD) $$(LDFLAGS) -T trustlets/tl.ld $$(call tl_objs,$(1)) \
		--just-symbols=$$(B)/trustlets/runtime.elf $$(ARM64LIB)/libbearssl.a -o $$@
endef
$(eval $(call trustlet_rules,echo))
$(eval $(call trustlet_rules,keyholder))
$(eval $(call trustlet_rules,regspy))

# $(call tl_sign,ID,VERSION,POLICY,QUOTA[,EXTRA]): the recipe that signs the
# trustlet ELF $< into the image $@ (tools/tlsign.py, the build's key).
tl_sign = $(TLSIGN) sign --key $(SIGN_KEY) --elf $< --out $@ --id $(1) --version $(2) \
	--policy $(3) --quota $(4) $(5)
TL_SIGN_DEPS = $(B)/gen/tl_pubkey.h
ECHO_ELF := $(B)/trustlets/echo.stripped.elf
KEYHOLDER_ELF := $(B)/trustlets/keyholder.stripped.elf

# echo: ID 0x0ec40001, version 3 (the secure kernel's minimum is 2), no
# sealing in its policy. The variants exist for the refusal tests.
ECHO_POLICY := 0x39f
$(B)/trustlets/echo.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,3,$(ECHO_POLICY),8)
$(B)/trustlets/echo-rollback.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,1,$(ECHO_POLICY),8)
$(B)/trustlets/echo-v2.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,2,$(ECHO_POLICY),8)
$(B)/trustlets/echo-unknown.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec4ffff,3,$(ECHO_POLICY),8)
$(B)/trustlets/echo-badelf.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,3,$(ECHO_POLICY),8,--mutate-elf segment-outside-file)
$(B)/trustlets/echo-wx.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,3,$(ECHO_POLICY),8,--mutate-elf writable-code)
# A data segment below, above, or running past the end of the trustlet
# address window; and a policy with the first bit no system call has.
$(B)/trustlets/echo-seg-%.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,3,$(ECHO_POLICY),8,--mutate-elf segment-$*-image)
$(B)/trustlets/echo-policy.tl: $(ECHO_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40001,3,0x79f,8)
# keyholder: ID 0x0ec40002, may draw random bytes and seal (policy 0xff).
$(B)/trustlets/keyholder.tl: $(KEYHOLDER_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40002,1,0xff,4)
# The same code as a second credential holder, ID 0x0ec40003: it must not be
# able to open what the first one sealed.
$(B)/trustlets/keyholder-b.tl: $(KEYHOLDER_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40003,1,0xff,4)
# regspy: a hostile trustlet for the register-isolation tests, under two IDs
# (0x0ec40004, 0x0ec40005) so two instances can spy on each other; only the
# base calls (exit, log, receive, reply).
REGSPY_ELF := $(B)/trustlets/regspy.stripped.elf
$(B)/trustlets/regspy-a.tl: $(REGSPY_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40004,1,0xf,0)
$(B)/trustlets/regspy-b.tl: $(REGSPY_ELF) $(TL_SIGN_DEPS)
	$(call tl_sign,0x0ec40005,1,0xf,0)
TL_IMAGES := $(addprefix $(B)/trustlets/,echo.tl echo-rollback.tl echo-v2.tl echo-unknown.tl \
	echo-badelf.tl echo-wx.tl echo-seg-below.tl echo-seg-above.tl echo-seg-past.tl \
	echo-policy.tl keyholder.tl keyholder-b.tl regspy-a.tl regspy-b.tl)

$(B)/vtl0/%.o: %.c $(B)/sysinc/libfdt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_CFLAGS) -Ivtl0 -c $< -o $@

$(B)/vtl0/%.o: %.S
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_ASFLAGS) -Ivtl0 -c $< -o $@

$(B)/hv.elf: $(HV_OBJ) hv/hv.ld
	$(LD) $(LDFLAGS) -T hv/hv.ld $(HV_OBJ) $(ARM64LIB)/libfdt.a $(ARM64LIB)/libbearssl.a -o $@

$(B)/vtl0/vtl0/payload.o: vtl0/payload.S $(TL_IMAGES)
	@mkdir -p $(dir $@)
	$(CLANG) $(TARGET_ASFLAGS) -I$(B)/trustlets -c $< -o $@

$(B)/vtl0.elf: $(VTL0_OBJ) vtl0/vtl0.ld
	$(LD) $(LDFLAGS) -T vtl0/vtl0.ld $(VTL0_OBJ) $(ARM64LIB)/libfdt.a $(ARM64LIB)/libbearssl.a -o $@

# ---- host unit tests (cmocka) -------------------------------------------
HOST_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O1 -g -Wall -Wextra -Werror -Iinclude -Ilib -Ilib/arm64 -Ihv \
	-fsanitize=address,undefined -fno-omit-frame-pointer
HOST_TESTS  := $(B)/host/test_pgtable $(B)/host/test_owner $(B)/host/test_platform \
	$(B)/host/test_elf $(B)/host/test_fmt $(B)/host/test_pl011 $(B)/host/test_events \
	$(B)/host/test_devpolicy $(B)/host/test_smmu $(B)/host/test_vpstate $(B)/host/test_linux_image \
	$(B)/host/test_kl_layout

$(B)/host/test_pgtable: tests/host/test_pgtable.c lib/arm64/pgtable.c | $(DEPS_OK)
$(B)/host/test_owner: tests/host/test_owner.c hv/owner.c | $(DEPS_OK)
$(B)/host/test_platform: tests/host/test_platform.c hv/platform.c hv/devpolicy.c | $(DEPS_OK)
$(B)/host/test_devpolicy: tests/host/test_devpolicy.c hv/devpolicy.c | $(DEPS_OK)
$(B)/host/test_elf: tests/host/test_elf.c lib/elf.c | $(DEPS_OK)
$(B)/host/test_fmt: tests/host/test_fmt.c lib/fmt.c | $(DEPS_OK)
$(B)/host/test_pl011: tests/host/test_pl011.c lib/pl011.c | $(DEPS_OK)
$(B)/host/test_events: tests/host/test_events.c lib/evring.c lib/ratelimit.c | $(DEPS_OK)
$(B)/host/test_smmu: tests/host/test_smmu.c hv/smmu_desc.c | $(DEPS_OK)
$(B)/host/test_vpstate: tests/host/test_vpstate.c hv/vpstate.c | $(DEPS_OK)
$(B)/host/test_linux_image: tests/host/test_linux_image.c hv/linux_image.c | $(DEPS_OK)
$(B)/host/test_kl_layout: tests/host/test_kl_layout.c sk/kl_layout.c | $(DEPS_OK)
$(HOST_TESTS):
	@mkdir -p $(dir $@)
	gcc $(HOST_CFLAGS) -Isk $(filter %.c,$^) -o $@ -lcmocka -l:libfdt.so.1

# The host tests parse QEMU's own tree, dumped with the ITS on: one more
# device the hypervisor must keep from VTL0 (hv/platform.c).
$(B)/host/virt.dtb: | $(DEPS_OK)
	@mkdir -p $(dir $@)
	qemu-system-aarch64 $(subst its=off,its=on,$(subst -kernel $(B)/hv.elf,,$(QEMU_ARGS))) \
		-machine dumpdtb=$@ >/dev/null 2>&1 || test -s $@

# The SHA-256 instructions' routine is aarch64 code: its test is a static
# aarch64 Linux program (Debian's arm64 cross libc and arm64 BearSSL) run
# under qemu-aarch64, behind a wrapper that run_all.py runs like the rest.
SHA_TEST_SRC := tests/host/test_sha256.c lib/sha256.c lib/arm64/sha256_ce.S
$(B)/host/sha256_arm64: $(SHA_TEST_SRC) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CLANG) --target=aarch64-linux-gnu -fuse-ld=lld -static -std=c11 -D_DEFAULT_SOURCE -O1 -g \
		-Wall -Wextra -Werror -Ilib -Ilib/arm64 -I/usr/include/bearssl $(SHA_TEST_SRC) \
		$(ARM64LIB)/libbearssl.a -o $@
$(B)/host/test_sha256: $(B)/host/sha256_arm64
	printf '#!/bin/sh\nexec qemu-aarch64 -cpu max "$$(dirname "$$0")/sha256_arm64" "$$@"\n' >$@
	chmod +x $@

host-tests: $(HOST_TESTS) $(B)/host/test_sha256 $(B)/host/virt.dtb

# ---- front door ----------------------------------------------------------
# VTL0=linux (the default): Debian's kernel from the initramfs (linux/,
# docs/linux.md); VTL0=test: the VTL0 test kernel's console.
VTL0 ?= linux
ifeq ($(VTL0),linux)
run: $(DEPS_OK) $(B)/hv.elf linux
	@$(PYTHON) scripts/ovbs_qemu.py run --timeout 600 \
		--linux $(LINUX_B)/Image $(LINUX_B)/initramfs.cpio -- $(QEMU_ARGS)
else ifeq ($(VTL0),test)
run: $(DEPS_OK) $(B)/hv.elf
	@$(PYTHON) scripts/ovbs_qemu.py run -- $(QEMU_ARGS)
else
run:
	@echo "make run: VTL0 must be linux or test, not '$(VTL0)'" >&2; exit 2
endif

debug: $(DEPS_OK) $(B)/hv.elf
	@echo "QEMU waits for gdb: gdb-multiarch $(B)/hv.elf -ex 'target remote :1234'"
	@echo "(add-symbol-file $(B)/vtl0.elf for the VTL0 kernel)"
	qemu-system-aarch64 $(QEMU_ARGS) -serial mon:stdio -s -S

test: $(DEPS_OK) $(B)/hv.elf host-tests linux
	@$(PYTHON) tests/run_all.py --build $(B) -- $(QEMU_ARGS)

bench: $(DEPS_OK) $(B)/hv.elf linux
	@$(PYTHON) scripts/ovbs_qemu.py bench --out $(B)/bench.json \
		--linux $(LINUX_B)/Image $(LINUX_B)/initramfs.cpio -- $(QEMU_ARGS)

count:
	@$(PYTHON) scripts/count_tcb.py

# ---- stress (docs/stress.md) ------------------------------------------------
# The seeded multiprocessor mix of vtl0/stress.c on four CPUs, STRESS_OPS
# operations in all (`make test` runs 4,000 of them in test_smp.py).
STRESS_OPS     ?= 1000000
STRESS_SEED    ?= 0x5eed
STRESS_TIMEOUT ?= 7200
STRESS_QEMU_ARGS = $(subst -smp 2 ,-smp 4 ,$(QEMU_ARGS))
.PHONY: stress
stress: $(DEPS_OK) $(B)/hv.elf
	@printf 'stress $(STRESS_OPS) $(STRESS_SEED)\npoweroff\n' | $(PYTHON) scripts/ovbs_qemu.py run \
		--timeout $(STRESS_TIMEOUT) -- $(STRESS_QEMU_ARGS)
# ---- end of stress ------------------------------------------------------------

# ---- mutation testing (tools/mutate.py, tests/mutations/) ---------------------
# Every listed mutation of trusted code applied alone to a scratch copy, and
# the tests it names run against it: too slow for `make test`, which only
# checks that the list is current (test_mutations.py).
mutate: $(DEPS_OK) $(B)/hv.elf host-tests
	@$(PYTHON) tools/mutate.py $(if $(ONLY),--only $(ONLY))

print-qemu-args:
	@echo $(QEMU_ARGS)

# ---- model checking (spin; model/, docs/smp-model.md) ------------------------
# The Promela models of the protection change and the per-VP state machine:
# 2- and 3-CPU checks, every mutant (spin must find its violation) and the
# comparison with hv/vpstate.c's table; pan is built under build/model/.
# `make test` runs the 2-CPU subset (tests/qemu/test_model.py); LONG=1 adds
# 3 CPUs with 2 changes each (5-7 minutes and 2.5 GB).
verify: $(DEPS_OK)
	@$(PYTHON) model/verify.py --build $(B)/model $(if $(LONG),--long)
# ---- end of model checking ---------------------------------------------------

# ---- fuzzing (libFuzzer, host) ----------------------------------------------
# The trustlet image verifier and ELF checks, with ASan/UBSan, for a bounded
# time from the checked-in seed corpus (copied: the fuzzer adds to its copy).
# The key is made per checkout, so no checked-in image can carry a valid
# signature: the signed seeds are made here from the checked-in ELF with
# this checkout's key, and the first must verify, or the fuzzer would only
# ever exercise the refusals.
FUZZ_SECONDS ?= 60
# tiny.elf is a hand-made 256-byte trustlet ELF (three segments, one
# instruction): its headers are most of it, so mutations land there.
FUZZ_ELF     := tests/fuzz/corpus/echo.elf
FUZZ_SEEDS   := $(addprefix $(B)/fuzz/seeds/,echo.tl echo-rollback.tl echo-unknown.tl tiny.tl)
$(B)/fuzz/seeds/echo.tl: $(FUZZ_ELF) $(TL_SIGN_DEPS)
	@mkdir -p $(dir $@)
	@$(call tl_sign,0x0ec40001,3,$(ECHO_POLICY),8)
$(B)/fuzz/seeds/echo-rollback.tl: $(FUZZ_ELF) $(TL_SIGN_DEPS)
	@mkdir -p $(dir $@)
	@$(call tl_sign,0x0ec40001,1,$(ECHO_POLICY),8)
$(B)/fuzz/seeds/echo-unknown.tl: $(FUZZ_ELF) $(TL_SIGN_DEPS)
	@mkdir -p $(dir $@)
	@$(call tl_sign,0x0ec4ffff,3,$(ECHO_POLICY),8)
$(B)/fuzz/seeds/tiny.tl: tests/fuzz/corpus/tiny.elf $(TL_SIGN_DEPS)
	@mkdir -p $(dir $@)
	@$(call tl_sign,0x0ec40002,1,0xff,4)

$(B)/fuzz/fuzz_tlimage: tests/fuzz/fuzz_tlimage.c sk/tlimage.c lib/elf.c $(B)/gen/tl_pubkey.h
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Ilib -Isk -I$(B)/gen -I/usr/include/bearssl \
		tests/fuzz/fuzz_tlimage.c sk/tlimage.c lib/elf.c -l:libbearssl.so.0 -o $@

fuzz: $(DEPS_OK) $(B)/fuzz/fuzz_tlimage $(FUZZ_SEEDS)
	@rm -rf $(B)/fuzz/corpus && mkdir -p $(B)/fuzz/corpus && \
		cp tests/fuzz/corpus/* $(FUZZ_SEEDS) $(B)/fuzz/corpus/
	OVBS_FUZZ_MUST_VERIFY=1 $(B)/fuzz/fuzz_tlimage $(B)/fuzz/seeds/echo.tl $(B)/fuzz/seeds/tiny.tl
	$(B)/fuzz/fuzz_tlimage -max_total_time=$(FUZZ_SECONDS) -max_len=262304 -timeout=10 \
		-print_final_stats=1 $(B)/fuzz/corpus

# ---- Linux in VTL0 (linux/) ----
# Debian's own arm64 kernel, unmodified, with our module, vbsctl and a
# busybox initramfs (docs/linux.md). scripts/fetch-linux.sh downloads and
# unpacks the packages once (a stamp file makes reruns free).
LINUX_B     := $(B)/linux
LINUX_CROSS := aarch64-linux-gnu-
LINUX_INC   := include/openvbs/hvcall.h include/openvbs/vsm.h include/openvbs/trustlet.h \
	include/openvbs/linux_ioctl.h
LINUX_TLS   := $(B)/trustlets/echo.tl $(B)/trustlets/keyholder.tl

linux: $(LINUX_B)/Image $(LINUX_B)/System.map $(LINUX_B)/openvbs.ko $(LINUX_B)/vbsctl \
	$(LINUX_B)/initramfs.cpio

$(LINUX_B)/Image: | $(DEPS_OK)
	./scripts/fetch-linux.sh $(B)

# The kernel's System.map, from Debian's -dbg package (the same script; it
# fetches only what is missing).
$(LINUX_B)/System.map: | $(LINUX_B)/Image
	./scripts/fetch-linux.sh $(B)

# Kbuild writes its objects next to the sources: build a copy under build/.
$(LINUX_B)/openvbs.ko: linux/module/openvbs_main.c linux/module/kernel_lock.c linux/module/openvbs_mod.h \
		linux/module/Kbuild linux/module/shim/stdint.h \
		$(LINUX_INC) $(LINUX_B)/Image
	rm -rf $(LINUX_B)/module && mkdir -p $(LINUX_B)/module && cp -r linux/module/. $(LINUX_B)/module/
	$(MAKE) -C $(LINUX_B)/root/usr/src/linux-headers-$$(cat $(LINUX_B)/kernel-release.txt) \
		M=$(abspath $(LINUX_B)/module) ARCH=arm64 CROSS_COMPILE=$(LINUX_CROSS) \
		OVBS_INCLUDE=$(abspath include) modules
	$(LINUX_CROSS)strip --strip-debug -o $@ $(LINUX_B)/module/openvbs.ko

# The test-only attack module (tests/qemu/test_linux_attacks.py): in the
# initramfs, never loaded by /init. It shares openvbs.ko's <stdint.h> shim.
$(LINUX_B)/openvbs_attack.ko: linux/attack/openvbs_attack.c linux/attack/Kbuild \
		linux/module/shim/stdint.h $(LINUX_INC) $(LINUX_B)/Image
	rm -rf $(LINUX_B)/attack && mkdir -p $(LINUX_B)/attack && cp -r linux/attack/. $(LINUX_B)/attack/
	$(MAKE) -C $(LINUX_B)/root/usr/src/linux-headers-$$(cat $(LINUX_B)/kernel-release.txt) \
		M=$(abspath $(LINUX_B)/attack) ARCH=arm64 CROSS_COMPILE=$(LINUX_CROSS) \
		OVBS_INCLUDE=$(abspath include) OVBS_SHIM=$(abspath linux/module/shim) modules
	$(LINUX_CROSS)strip --strip-debug -o $@ $(LINUX_B)/attack/openvbs_attack.ko

$(LINUX_B)/vbsctl: linux/vbsctl/vbsctl.c linux/vbsctl/kernel_checks.c linux/vbsctl/kernel_checks.h \
		$(LINUX_INC) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(LINUX_CROSS)gcc -static -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Iinclude \
		$(filter %.c,$^) -o $@

# A trustlet image with one byte of its ELF flipped: the secure kernel must
# refuse it (its hash no longer matches the signed one).
$(LINUX_B)/echo-tampered.tl: $(B)/trustlets/echo.tl
	@mkdir -p $(dir $@)
	$(PYTHON) -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 1; \
		open(sys.argv[2], "wb").write(d)' $< $@

$(LINUX_B)/initramfs.cpio: linux/initramfs/init linux/initramfs/ovbs-script linux/initramfs/mkcpio.sh \
		$(LINUX_B)/Image $(LINUX_B)/System.map linux/module/kernel_lock.c \
		$(LINUX_B)/openvbs.ko $(LINUX_B)/openvbs_attack.ko $(LINUX_B)/vbsctl $(LINUX_TLS) \
		$(LINUX_B)/echo-tampered.tl
	linux/initramfs/mkcpio.sh $(LINUX_B) $@ $(LINUX_TLS) $(LINUX_B)/echo-tampered.tl

# Debian's kernel booted bare in QEMU, without the hypervisor: the init
# marker, the module's clean ENODEV, vbsctl's help and exit codes.
linux-check: linux
	@$(PYTHON) scripts/linux_bare_check.py --build $(B)
# ---- end of Linux in VTL0 ----

clean:
	rm -rf $(B)

# build/linux/ holds Debian's unpacked packages (and their *.d directories), no dependency files.
-include $(shell find $(B) -path $(B)/linux -prune -o -type f -name '*.d' -print 2>/dev/null)
