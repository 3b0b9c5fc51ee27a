/* guestmem.c: the one place where the hypervisor reads or writes guest
 * memory on a guest's behalf (EL2). Every byte is checked against the
 * ownership map first: the range must belong to the VTL named, and for VTL0
 * the access VTL1 allows must include the read or write. Guest pointers are
 * never dereferenced before that check, and only through these functions.
 * For VTL0 the check and the copy are one step under prot_lock: VTL1 on
 * another CPU revoking VTL0's right to the buffer finishes before the
 * check or starts after the copy, never in between. */
#include <string.h>
#include "guestmem.h"
#include "hv.h"

static int check_range(enum vtl vtl, uint64_t ipa, uint64_t len, uint8_t need)
{
    if (len == 0 || len > GUESTMEM_MAX || ipa + len < ipa)
        return HV_STATUS_INVALID_PARAMETER;
    uint8_t owner = vtl == VTL0 ? OWNER_VTL0 : OWNER_VTL1;
    for (uint64_t page = ipa & ~(PAGE_SIZE - 1); page < ipa + len; page += PAGE_SIZE) {
        if (owner_of(&hv_owners, page) != owner)
            return HV_STATUS_INVALID_PARAMETER;
        if (vtl == VTL0 && (owner_vtl0_access(&hv_owners, page) & need) != need)
            return HV_STATUS_ACCESS_DENIED;
    }
    return HV_STATUS_SUCCESS;
}

int guest_read(enum vtl vtl, uint64_t ipa, void *dst, uint64_t len)
{
    if (vtl == VTL0)
        spin_lock(&prot_lock);
    int rc = check_range(vtl, ipa, len, OVBS_ACC_R);
    if (rc == HV_STATUS_SUCCESS)
        memcpy(dst, (const void *)(uintptr_t)ipa, len);
    if (vtl == VTL0)
        spin_unlock(&prot_lock);
    return rc;
}

int guest_write(enum vtl vtl, uint64_t ipa, const void *src, uint64_t len)
{
    if (vtl == VTL0)
        spin_lock(&prot_lock);
    int rc = check_range(vtl, ipa, len, OVBS_ACC_W);
    if (rc == HV_STATUS_SUCCESS)
        memcpy((void *)(uintptr_t)ipa, src, len);
    if (vtl == VTL0)
        spin_unlock(&prot_lock);
    return rc;
}
