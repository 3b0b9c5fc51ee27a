/* keyholder.c: the key-holder trustlet (EL0 of VTL1), Credential Guard in
 * miniature. It makes an ECDSA P-256 key inside VTL1 and signs challenges
 * for VTL0 with it; VTL0 gets public keys, signatures and sealed blobs that
 * only this trustlet can open, never the private key. Crypto: BearSSL. */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rand.h>
#include <string.h>
#include "ium.h"

enum {
    KEYGEN = 0,        /* new key: reply = public key (65 bytes, 04||X||Y) */
    SIGN = 1,          /* input = challenge: reply = signature r||s (64 bytes) */
    EXPORT_SEALED = 2, /* reply = the private key sealed to this trustlet */
    IMPORT_SEALED = 3, /* input = a sealed key: reply = its public key */
    PUBLIC_KEY = 4,    /* reply = the current public key */
};

#define ST_OK        0
#define ST_NO_KEY    1
#define ST_FAILED    2

static uint8_t request[1100];
static uint8_t reply_buf[1100];
static uint8_t secret[BR_EC_KBUF_PRIV_MAX_SIZE];
static uint8_t public[BR_EC_KBUF_PUB_MAX_SIZE];
static br_ec_private_key priv;
static br_ec_public_key pub;
static int have_key;

static long make_public(void)
{
    size_t n = br_ec_compute_pub(&br_ec_p256_m31, &pub, public, &priv);
    return n == 65 ? tl_reply(public, 65, ST_OK) : tl_reply(public, 0, ST_FAILED);
}

static long keygen(void)
{
    uint8_t seed[32];
    br_hmac_drbg_context rng;
    if (tl_random(seed, sizeof(seed)) < 0)
        return tl_reply(seed, 0, ST_FAILED);
    br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
    memset(seed, 0, sizeof(seed));
    if (!br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &priv, secret, BR_EC_secp256r1))
        return tl_reply(seed, 0, ST_FAILED);
    have_key = 1;
    tl_log("new P-256 key generated inside VTL1");
    return make_public();
}

static long sign(long len)
{
    uint8_t hash[32], sig[64];
    if (!have_key)
        return tl_reply(sig, 0, ST_NO_KEY);
    br_sha256_context h;
    br_sha256_init(&h);
    br_sha256_update(&h, request, (size_t)len);
    br_sha256_out(&h, hash);
    size_t n = br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, hash, &priv, sig);
    return tl_reply(sig, n, n == 64 ? ST_OK : ST_FAILED);
}

static long export_sealed(void)
{
    if (!have_key)
        return tl_reply(reply_buf, 0, ST_NO_KEY);
    long n = tl_seal(priv.x, priv.xlen, reply_buf, sizeof(reply_buf));
    return tl_reply(reply_buf, n < 0 ? 0 : (size_t)n, n < 0 ? ST_FAILED : ST_OK);
}

static long import_sealed(long len)
{
    uint8_t key[64];
    long n = tl_unseal(request, (size_t)len, key, sizeof(key));
    if (n != 32)
        return tl_reply(key, 0, ST_FAILED);
    memcpy(secret, key, 32);
    memset(key, 0, sizeof(key));
    priv.curve = BR_EC_secp256r1;
    priv.x = secret;
    priv.xlen = 32;
    have_key = 1;
    return make_public();
}

int tl_main(void)
{
    tl_log("key holder ready");
    for (;;) {
        uint64_t cmd;
        long len = tl_receive(request, sizeof(request), &cmd);
        switch (cmd) {
        case KEYGEN: keygen(); break;
        case SIGN: sign(len); break;
        case EXPORT_SEALED: export_sealed(); break;
        case IMPORT_SEALED: import_sealed(len); break;
        case PUBLIC_KEY:
            if (have_key)
                make_public();
            else
                tl_reply(public, 0, ST_NO_KEY);
            break;
        default: tl_reply(reply_buf, 0, ST_FAILED); break;
        }
    }
}
