#include <stdio.h>
#include <stdlib.h>

#include "chain/chain.h"
#include "harness.h"
#include "primitives/primitives.h"

static addr_t A(const char *hex)
{
    addr_t a;
    if (addr_from_hex(&a, hex, strlen(hex)))
        memset(&a, 0xee, sizeof(a));
    return a;
}

TEST(spec, mainnet_fork_schedule_and_levels)
{
    chain_spec_t *s;
    char diag[256];
    CHECK_OK(chain_spec_load(&s, "scroll-mainnet", diag, sizeof(diag)));
    CHECK_EQ_U64(s->chain_id, 534352);
    CHECK(!s->has_base_fee);
    CHECK_EQ_U64(s->gas_limit, 10000000);
    CHECK_EQ_U64(s->timestamp, 0x6524e860);
    CHECK_EQ_U64(s->extra_len, 117);
    CHECK(s->has_fee_vault);
    CHECK(addr_eq(&s->fee_vault, &(addr_t){ .b = { 0x53, [19] = 0x05 } }));
    CHECK(chain_fork_active(s, FORK_BERNOULLI, 5220340, 0));
    CHECK(!chain_fork_active(s, FORK_BERNOULLI, 5220339, 0));
    CHECK_EQ_INT(chain_spec_level(s, 7096835, 0), SCROLL_SPEC_BERNOULLI);
    CHECK_EQ_INT(chain_spec_level(s, 7096836, 0), SCROLL_SPEC_CURIE);
    /* Euclid phase 1 is DARWIN; EuclidV2 is the EUCLID spec (SCROLL.md §1.2). */
    CHECK_EQ_INT(chain_spec_level(s, 9000000, 1744815600), SCROLL_SPEC_DARWIN);
    CHECK_EQ_INT(chain_spec_level(s, 9000000, 1745305200), SCROLL_SPEC_EUCLID);
    CHECK_EQ_INT(chain_spec_level(s, 9000000, 1755576000), SCROLL_SPEC_FEYNMAN);
    CHECK_EQ_INT(chain_spec_level(s, 9000000, 1765868400), SCROLL_SPEC_GALILEO);
    CHECK(chain_fork_active(s, FORK_GALILEO_V2, 9000000, 1766041200));
    CHECK_EQ_U64(s->nalloc, 7);
    CHECK_EQ_U64(s->num_l1_messages_per_block, 10);
    char hex[67];
    hex_encode_0x(hex, s->canonical_genesis_hash.b, 32);
    CHECK_STR_EQ(hex, "0xbbc05efd412b7cd47a2ed0e5ddfcf87af251e414ea4c801d78b6784513180a80");
    chain_spec_free(s);
}

TEST(spec, sepolia)
{
    chain_spec_t *s;
    CHECK_OK(chain_spec_load(&s, "scroll-sepolia", NULL, 0));
    CHECK_EQ_U64(s->chain_id, 534351);
    CHECK_EQ_INT(chain_spec_level(s, 4740239, 0), SCROLL_SPEC_CURIE);
    CHECK_EQ_INT(chain_spec_level(s, 4740239, 1764054000), SCROLL_SPEC_GALILEO);
    CHECK_EQ_U64(s->gas_limit, 8000000);
    chain_spec_free(s);
}

TEST(spec, dev_chain_has_every_fork_and_the_predeploys)
{
    chain_spec_t *s;
    char diag[256];
    CHECK_OK(chain_spec_load(&s, "dev", diag, sizeof(diag)));
    CHECK_EQ_U64(s->chain_id, 1337);
    CHECK_EQ_INT(chain_spec_level(s, 0, 0), SCROLL_SPEC_GALILEO);
    CHECK(chain_fork_active(s, FORK_GALILEO_V2, 0, 0));
    CHECK(s->has_base_fee);
    CHECK_EQ_U64(s->gas_limit, 20000000);
    addr_t dev0 = A("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const genesis_account_t *a = chain_genesis_account(s, &dev0);
    CHECK(a != NULL);
    u256_t million;
    CHECK_OK(u256_from_dec("1000000000000000000000000", 25, &million));
    CHECK(u256_eq(a->balance, million));
    addr_t gpo = A("0x5300000000000000000000000000000000000002");
    a = chain_genesis_account(s, &gpo);
    CHECK(a && a->code_len == 3782);
    /* slot 1 (l1BaseFee) from dev.json, flags of every migration set. */
    int found = 0;
    for (size_t i = 0; i < a->nstorage; i++) {
        uint64_t k = u256_low64(a->storage[i].key);
        if (k == 1 && u256_eq(a->storage[i].value, u256_from_u64(0x3758e6b0)))
            found++;
        if ((k == 8 || k == 11 || k == 12) && u256_eq(a->storage[i].value, u256_from_u64(1)))
            found++;
        if ((k == 9 || k == 10) && u256_eq(a->storage[i].value, u256_from_u64(1000000000)))
            found++;
    }
    CHECK_EQ_INT(found, 6);
    addr_t hist = A("0x0000F90827F1C53a10cb7A02335B175320002935");
    a = chain_genesis_account(s, &hist);
    CHECK(a && a->nonce == 1 && a->code_len == 83);
    addr_t vault = A("0x5300000000000000000000000000000000000005");
    CHECK(chain_genesis_account(s, &vault) != NULL);
    CHECK_EQ_U64(s->nalloc, 20 + 1 + 4 + 1);
    chain_spec_free(s);
}

TEST(spec, duplicate_addresses_keep_the_last_entry)
{
    chain_spec_t *s;
    char path[512];
    snprintf(path, sizeof(path), "%s",
             test_shared_path("fixtures/scroll/genesis/l2reth-genesis-e2e.json"));
    CHECK_OK(chain_spec_load(&s, path, NULL, 0));
    CHECK_EQ_U64(s->chain_id, 938471);
    CHECK(s->has_base_fee);
    CHECK(u256_eq(s->base_fee, u256_from_u64(1)));
    addr_t dev0 = A("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const genesis_account_t *a = chain_genesis_account(s, &dev0);
    CHECK(a != NULL);
    u256_t million;
    CHECK_OK(u256_from_dec("1000000000000000000000000", 25, &million));
    CHECK(u256_eq(a->balance, million));
    CHECK(a->nonce == 0 && a->code_len == 0);
    CHECK_EQ_U64(s->timestamp, 0x689b3f30);
    chain_spec_free(s);
}

TEST(spec, unknown_chain_and_bad_files_are_clear_errors)
{
    chain_spec_t *s;
    char diag[256];
    CHECK_ERR(ERR_NOT_FOUND, chain_spec_load(&s, "scroll-mainet", diag, sizeof(diag)));
    CHECK(strstr(diag, "unknown chain 'scroll-mainet'"));
    CHECK_ERR(ERR_JSON_INVALID, chain_spec_from_json(&s, "{", 1, diag, sizeof(diag)));
    const char *bad = "{\"alloc\":{\"0x12\":{}}}";
    CHECK_ERR(ERR_CONFIG_INVALID, chain_spec_from_json(&s, bad, strlen(bad), diag, sizeof(diag)));
    CHECK(strstr(diag, "0x12"));
    const char *bad2 = "{\"gasLimit\":\"0xzz\",\"alloc\":{}}";
    CHECK_ERR(ERR_CONFIG_INVALID, chain_spec_from_json(&s, bad2, strlen(bad2), diag, sizeof(diag)));
    CHECK(strstr(diag, "gasLimit"));
}

static void check_genesis_hash(const char *chain, const char *want)
{
    chain_spec_t *s;
    char diag[256];
    if (chain_spec_load(&s, chain, diag, sizeof(diag)) != ERR_OK) {
        harness_fail(__FILE__, __LINE__, "cannot load %s: %s", chain, diag);
        return;
    }
    header_t h;
    hash_t got, computed;
    char hex[67];
    if (chain_genesis_header(s, &h, &got) != ERR_OK) {
        harness_fail(__FILE__, __LINE__, "%s: genesis header failed", chain);
    } else {
        hex_encode_0x(hex, got.b, 32);
        if (strcmp(hex, want) != 0)
            harness_fail(__FILE__, __LINE__, "%s: genesis hash %s, want %s", chain, hex, want);
        /* Where the header carries the real root, its hash is the genesis hash. */
        if (header_hash(&h, &computed) == ERR_OK && strcmp(chain, "scroll-sepolia") != 0 &&
            !hash_eq(&computed, &got))
            harness_fail(__FILE__, __LINE__, "%s: header does not hash to the genesis hash", chain);
        header_deinit(&h);
    }
    chain_spec_free(s);
}

TEST(genesis, hashes_of_scroll_md)
{
    check_genesis_hash("scroll-mainnet",
                       "0xbbc05efd412b7cd47a2ed0e5ddfcf87af251e414ea4c801d78b6784513180a80");
    check_genesis_hash("scroll-sepolia",
                       "0xaa62d1a8b2bffa9e5d2368b63aae0d98d54928bd713125e3fd9e5c896c68592c");
    /* SCROLL.md §8.5: dev.json has no fork config → 15 fields; the e2e genesis has Curie at 0
     * → 16 fields with its base fee 1. */
    char path[512];
    snprintf(path, sizeof(path), "%s", test_shared_path("fixtures/scroll/genesis/dev.json"));
    check_genesis_hash(path, "0x36777f11ea59cc21675e6c66d3b415c08895aba928e2427838b3b75a1a43d154");
    snprintf(path, sizeof(path), "%s",
             test_shared_path("fixtures/scroll/genesis/l2reth-genesis-e2e.json"));
    check_genesis_hash(path, "0x664fc6d263697001b33a9fd9b72ab27e7cc83f4b02f0313454845c8b8fada153");
}
