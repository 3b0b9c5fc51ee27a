/* vsm_tests.h: the VTL tests of the VTL0 test kernel (EL1 of VTL0). */
#ifndef OVBS_VTL0_VSM_TESTS_H
#define OVBS_VTL0_VSM_TESTS_H
#include <stdbool.h>
#include <stdint.h>

bool note(bool ok, const char *msg); /* tests.c: record the detail line */
/* tests.c: base (and size) of the first or last memory range of an owner. */
uint64_t owned_base(unsigned owner, bool last, uint64_t *size);
/* tests.c: read a physical address from EL1; true if stage 2 blocked it. */
bool read_blocked(uint64_t pa);

bool t_vtl_call_null(void);
bool t_measurement_log(void);
bool t_execute_only(void);
bool t_interrupt_preempts_vtl1(void);
bool t_nested_intercept(void);
bool t_nested_call_while_preempted(void);
bool a_reissue_preempted_call(void);
bool a_pmu_count_vtl1(void);
bool t_vtl1_watchdog(void);
bool t_vtl1_timer_entry(void);
bool a_gic_forge_timer(void);     /* gic_tests.c */
bool a_virtio_mmio_kept(void);    /* devices_tests.c */
bool a_pci_hidden(void);
bool a_msi_absent(void);
bool a_pci_renumber(void);
bool a_gic_disable_hv_ppis(void);
bool a_gic_redistributor_sleep(void);
bool t_gic_vtimer_copy(void);
bool a_gic_group0(void);
bool a_gic_smmu_spis(void);
bool t_vtl1_selftest(void);
bool t_intercepts_reach_vtl1(void);
bool a_write_readonly_page(void);
bool a_stale_tlb(void);
bool a_exec_nx_el1(void);
bool a_exec_nx_el0(void);
bool a_unlock_locked(void);
bool a_protect_foreign_memory(void);
bool a_vsm_calls_from_vtl0(void);
bool a_vtl_call_from_el0(void);
bool a_confused_deputy(void);
bool a_hv_buffer_checks(void);
bool a_toctou_buffer(void);
bool a_vtl1_register_leak(void);
bool a_hypercall_fuzz(void);
bool fuzz_hypercalls(uint64_t seed, unsigned count);
bool t_tl_load_and_echo(void);
bool t_tl_services(void);
bool a_tl_bad_signature(void);
bool a_tl_tampered_image(void);
bool a_tl_unknown_id(void);
bool a_tl_rollback(void);
bool a_tl_malformed(void);
bool a_tl_misbehaving(void);
bool a_tl_bad_buffers(void);
bool a_tl_isolation(void);
bool t_tl_canary(void);
bool a_tl_image_toctou(void);
bool tl_command(char *arg);
/* tl_tests.c: a session to a loaded trustlet (0 if none), and a call into
 * it whose reply lands in tl_reply_buf. */
uint64_t tl_open_session(uint64_t id);
struct hv_result tl_invoke(uint64_t session, uint64_t cmd, const void *in, uint64_t len);
extern uint8_t tl_reply_buf[4096];
bool t_tl_keyholder(void);
bool t_tl_shared_runtime(void);
bool a_tl_register_spy(void);
bool a_tl_forbidden_registers(void);
bool a_vtl1_shared_registers(void);
bool a_log_flood(void);
bool a_log_ring_bad_reads(void);
bool t_log_suppressed_counted(void);
bool events_command(const char *arg); /* the console's `events [N]` */
bool t_dma_vtl0_works(void);      /* dma_tests.c */
bool a_dma_read_hv(void);
bool a_dma_write_hv(void);
bool a_dma_read_vtl1(void);
bool a_dma_write_vtl1(void);
bool a_dma_write_readonly(void);
bool a_dma_write_locked(void);
bool a_dma_hole(void);
bool a_dma_invalidation(void);
bool a_dma_msi_vtl1(void);
bool a_dma_virtio_blocked(void);
bool t_dma_smmu_enforced(void);
extern bool fuzz_trace;
#endif
