#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"

static u256_t U(uint64_t v)
{
    return u256_from_u64(v);
}

TEST(tx, eip155_example)
{
    /* EIP-155's worked example. */
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.type = TX_LEGACY;
    tx.nonce = 9;
    tx.gas_price = U(20000000000ull);
    tx.gas_limit = 21000;
    tx.has_to = true;
    memset(tx.to.b, 0x35, 20);
    CHECK_OK(u256_from_dec("1000000000000000000", 19, &tx.value));
    tx.has_chain_id = true;
    tx.chain_id = U(1);
    hash_t h;
    CHECK_OK(tx_signing_hash(&tx, &h));
    char hex[67];
    hex_encode_0x(hex, h.b, 32);
    CHECK_STR_EQ(hex, "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    uint8_t sk[32];
    memset(sk, 0x46, 32);
    CHECK_OK(tx_sign(&tx, sk));
    buf_t b;
    buf_init(&b, 1024);
    CHECK_OK(tx_encode(&tx, &b));
    size_t n;
    uint8_t *want = test_unhex(
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0"
        "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb70330"
        "4b"
        "3800ccf555c9f3dc64214b297fb1966a3b6d83",
        &n);
    CHECK_MEM_EQ(b.p, b.n, want, n);
    addr_t from, expect;
    CHECK_OK(tx_recover_sender(&tx, &from));
    CHECK_OK(addr_from_seckey(&expect, sk));
    CHECK(addr_eq(&from, &expect));
    free(want);
    buf_deinit(&b);
}

TEST(tx, l1_message_encoding_matches_scroll_md)
{
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.type = TX_L1_MESSAGE;
    tx.queue_index = 0x0e7991;
    tx.gas_limit = 2000000;
    tx.has_to = true;
    CHECK_OK(addr_from_hex(&tx.to, "0x781e90f1c8Fc4611c9b7497C3B47F99Ef6969CbC", 42));
    uint8_t data[292]; /* 0x15a = 346 payload bytes: 4+4+21+1 + (3+292) + 21 */
    memset(data, 0xab, sizeof(data));
    tx.data = data;
    tx.data_len = sizeof(data);
    memset(tx.sender.b, 0x11, 20);
    buf_t b;
    buf_init(&b, 1024);
    CHECK_OK(tx_encode(&tx, &b));
    size_t n;
    uint8_t *prefix = test_unhex("7ef9015a830e7991831e848094781e90f1", &n);
    CHECK(b.n > n);
    CHECK_MEM_EQ(b.p, n, prefix, n);
    free(prefix);
    tx_t back;
    CHECK_OK(tx_decode(&back, buf_view(&b)));
    CHECK_EQ_U64(back.queue_index, 0x0e7991);
    CHECK(addr_eq(&back.sender, &tx.sender));
    addr_t from;
    CHECK_OK(tx_recover_sender(&back, &from));
    CHECK(addr_eq(&from, &tx.sender));
    buf_t b2;
    buf_init(&b2, 1024);
    CHECK_OK(tx_encode(&back, &b2));
    CHECK_MEM_EQ(b2.p, b2.n, b.p, b.n);
    hash_t h1, h2;
    CHECK_OK(tx_hash(&back, &h1));
    h2 = keccak256_hash(b.p, b.n);
    CHECK(hash_eq(&h1, &h2));
    tx_deinit(&back);
    buf_deinit(&b);
    buf_deinit(&b2);
}

TEST(tx, typed_roundtrips_and_recovery)
{
    static const tx_type_t types[] = { TX_LEGACY, TX_ACCESS_LIST, TX_DYNAMIC_FEE, TX_SET_CODE };
    for (int round = 0; round < 50; round++) {
        tx_t tx;
        memset(&tx, 0, sizeof(tx));
        tx.type = types[round % 4];
        tx.has_chain_id = true;
        tx.chain_id = U(534352);
        tx.nonce = test_rand() % 1000;
        tx.gas_price = U(test_rand() % 100000);
        tx.max_fee = U(test_rand());
        tx.max_priority_fee = U(test_rand() % 1000);
        tx.gas_limit = 21000 + test_rand() % 100000;
        tx.has_to = tx.type == TX_SET_CODE || (test_rand() & 1);
        test_rand_bytes(tx.to.b, 20);
        tx.value = U(test_rand());
        uint8_t data[64];
        test_rand_bytes(data, sizeof(data));
        tx.data = data;
        tx.data_len = (size_t)(test_rand() % 64);
        hash_t keys[2];
        test_rand_bytes(keys, sizeof(keys));
        access_tuple_t al = { .keys = keys, .nkeys = 2 };
        if (tx.type != TX_LEGACY) {
            tx.access_list = &al;
            tx.naccess = 1;
        }
        authorization_t auth = { .chain_id = U(0), .nonce = 7 };
        uint8_t sk[32];
        do {
            test_rand_bytes(sk, 32);
        } while (!secp_seckey_valid(sk));
        if (tx.type == TX_SET_CODE) {
            CHECK_OK(authorization_sign(&auth, sk));
            tx.auths = &auth;
            tx.nauths = 1;
        }
        CHECK_OK(tx_sign(&tx, sk));
        buf_t b;
        buf_init(&b, 4096);
        CHECK_OK(tx_encode(&tx, &b));
        tx_t back;
        CHECK_OK(tx_decode(&back, buf_view(&b)));
        buf_t b2;
        buf_init(&b2, 4096);
        CHECK_OK(tx_encode(&back, &b2));
        CHECK_MEM_EQ(b2.p, b2.n, b.p, b.n);
        addr_t want, got;
        CHECK_OK(addr_from_seckey(&want, sk));
        CHECK_OK(tx_recover_sender(&back, &got));
        CHECK(addr_eq(&want, &got));
        if (tx.type == TX_SET_CODE) {
            CHECK_OK(authorization_recover(&back.auths[0], &got));
            CHECK(addr_eq(&want, &got));
            CHECK_EQ_U64(tx_intrinsic_gas(&back, INTRINSIC_EIP7702) - tx_intrinsic_gas(&back, 0),
                         25000);
        }
        tx_deinit(&back);
        buf_deinit(&b);
        buf_deinit(&b2);
    }
}

TEST(tx, rejects_blob_unknown_and_malformed)
{
    tx_t tx;
    uint8_t blob[] = { 0x03, 0xc0 };
    CHECK_ERR(ERR_TX_TYPE_UNSUPPORTED, tx_decode(&tx, bview(blob, 2)));
    uint8_t unknown[] = { 0x05, 0xc0 };
    CHECK_ERR(ERR_TX_TYPE_UNSUPPORTED, tx_decode(&tx, bview(unknown, 2)));
    CHECK_ERR(ERR_TX_EMPTY, tx_decode(&tx, bview(NULL, 0)));
    uint8_t short_list[] = { 0x02, 0xc1, 0x01 };
    CHECK_ERR(ERR_TX_MALFORMED, tx_decode(&tx, bview(short_list, 3)));
    /* An L1 message without `to` (contract creation) is malformed. */
    uint8_t l1[] = {
        0x7e, 0xdc, 0x01, 0x82, 0x52, 0x08, 0x80, 0x80, 0x80, 0x94, 1,  2,  3,  4,  5,
        6,    7,    8,    9,    10,   11,   12,   13,   14,   15,   16, 17, 18, 19, 20
    };
    CHECK_ERR(ERR_TX_MALFORMED, tx_decode(&tx, bview(l1, sizeof(l1))));
}

TEST(tx, floor_gas_eip7623)
{
    tx_t tx;
    memset(&tx, 0, sizeof(tx));
    uint8_t data[10] = { 0, 0, 1, 2, 3 };
    tx.data = data;
    tx.data_len = 10; /* 7 zero bytes, 3 non-zero: tokens 7 + 12 = 19 */
    tx.has_to = true;
    CHECK_EQ_U64(tx_floor_gas(&tx), 21000 + 190);
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, 0), 21000 + 7 * 4 + 3 * 16);
    tx.has_to = false;
    CHECK_EQ_U64(tx_intrinsic_gas(&tx, INTRINSIC_EIP3860), 53000 + 76 + 2);
}

TEST(header, scroll_mainnet_genesis_hash)
{
    /* SCROLL.md §8.4: the genesis header with the zktrie root hashes to 0xbbc05efd…0a80. */
    header_t h;
    memset(&h, 0, sizeof(h));
    h.ommers_hash = KECCAK_EMPTY_LIST;
    h.tx_root = KECCAK_EMPTY_TRIE;
    h.receipts_root = KECCAK_EMPTY_TRIE;
    const char *root = "0x08d535cc60f40af5dd3b31e0998d7567c2d568b224bed2ba26070aeb078d1339";
    CHECK_OK(hash_from_hex(&h.state_root, root, strlen(root)));
    h.difficulty = U(1);
    h.gas_limit = 10000000;
    h.timestamp = 0x6524e860;
    size_t n;
    h.extra =
        test_unhex("4c61206573746f6e7465636f206573746173206d616c6665726d6974612e0000d2ACF5d16a983DB"
                   "0d909d9D761B8337Fabd6cBd1000000000000000000000000000000000000000000000000000000"
                   "0000000000000000000000000000000000000000000000000000000000000000000000000000",
                   &n);
    h.extra_len = n;
    CHECK_EQ_U64(n, 117);
    hash_t hash;
    CHECK_OK(header_hash(&h, &hash));
    char hex[67];
    hex_encode_0x(hex, hash.b, 32);
    CHECK_STR_EQ(hex, "0xbbc05efd412b7cd47a2ed0e5ddfcf87af251e414ea4c801d78b6784513180a80");
    /* Round trip through RLP, and the signing hash omits extraData. */
    buf_t b;
    buf_init(&b, 4096);
    CHECK_OK(header_encode(&h, &b));
    header_t back;
    CHECK_OK(header_decode(&back, buf_view(&b)));
    CHECK(!back.has_base_fee);
    hash_t h2, sig1, sig2;
    CHECK_OK(header_hash(&back, &h2));
    CHECK(hash_eq(&hash, &h2));
    CHECK_OK(header_signing_hash(&back, &sig1));
    back.extra_len = 0;
    CHECK_OK(header_signing_hash(&back, &sig2));
    CHECK(hash_eq(&sig1, &sig2));
    back.extra_len = n;
    header_deinit(&back);
    free(h.extra);
    buf_deinit(&b);
}

TEST(header, base_fee_field_and_rejections)
{
    header_t h;
    memset(&h, 0, sizeof(h));
    h.has_base_fee = true;
    h.base_fee = U(15680000);
    h.number = 5;
    buf_t b;
    buf_init(&b, 4096);
    CHECK_OK(header_encode(&h, &b));
    header_t back;
    CHECK_OK(header_decode(&back, buf_view(&b)));
    CHECK(back.has_base_fee && u256_eq(back.base_fee, U(15680000)));
    header_deinit(&back);
    /* A 17th field (withdrawalsRoot) is not Scroll. */
    rlp_item_t list;
    CHECK_OK(rlp_decode_one(buf_view(&b), &list));
    buf_t c;
    buf_init(&c, 4096);
    size_t m;
    CHECK_OK(rlp_list_begin(&c, &m));
    CHECK_OK(rlp_encode_raw(&c, list.payload.p, list.payload.n));
    CHECK_OK(rlp_encode_hash(&c, &KECCAK_EMPTY_TRIE));
    CHECK_OK(rlp_list_end(&c, m));
    CHECK_ERR(ERR_HEADER_MALFORMED, header_decode(&back, buf_view(&c)));
    buf_deinit(&c);
    buf_deinit(&b);
}

TEST(block, roundtrip_with_mixed_transactions)
{
    block_t blk;
    memset(&blk, 0, sizeof(blk));
    blk.header.has_base_fee = true;
    blk.txs = calloc(2, sizeof(tx_t));
    blk.ntxs = 2;
    uint8_t sk[32];
    memset(sk, 7, 32);
    for (int i = 0; i < 2; i++) {
        tx_t *t = &blk.txs[i];
        t->type = i ? TX_DYNAMIC_FEE : TX_LEGACY;
        t->has_chain_id = true;
        t->chain_id = U(1337);
        t->gas_limit = 21000;
        t->has_to = true;
        CHECK_OK(tx_sign(t, sk));
    }
    buf_t b;
    buf_init(&b, 4096);
    CHECK_OK(block_encode(&blk, &b));
    block_t back;
    CHECK_OK(block_decode(&back, buf_view(&b)));
    CHECK_EQ_U64(back.ntxs, 2);
    CHECK_EQ_INT(back.txs[0].type, TX_LEGACY);
    CHECK_EQ_INT(back.txs[1].type, TX_DYNAMIC_FEE);
    buf_t b2;
    buf_init(&b2, 4096);
    CHECK_OK(block_encode(&back, &b2));
    CHECK_MEM_EQ(b2.p, b2.n, b.p, b.n);
    block_deinit(&back);
    free(blk.txs);
    buf_deinit(&b);
    buf_deinit(&b2);
}

TEST(receipt, typed_roundtrip_and_bloom)
{
    log_t lg;
    memset(&lg, 0, sizeof(lg));
    memset(lg.addr.b, 0x11, 20);
    lg.ntopics = 1;
    memset(lg.topics[0].b, 0x22, 32);
    uint8_t data[3] = { 1, 2, 3 };
    lg.data = data;
    lg.data_len = 3;
    receipt_t r;
    memset(&r, 0, sizeof(r));
    r.type = TX_L1_MESSAGE;
    r.status = true;
    r.cumulative_gas = 50000;
    r.logs = &lg;
    r.nlogs = 1;
    bloom_add_log(r.bloom, &lg);
    int bits = 0;
    for (int i = 0; i < 256; i++)
        bits += __builtin_popcount(r.bloom[i]);
    CHECK(bits >= 1 && bits <= 6);
    buf_t b;
    buf_init(&b, 4096);
    CHECK_OK(receipt_encode(&r, &b));
    CHECK_EQ_U64(b.p[0], 0x7e);
    receipt_t back;
    CHECK_OK(receipt_decode(&back, buf_view(&b)));
    CHECK(back.status && back.cumulative_gas == 50000 && back.nlogs == 1);
    CHECK_MEM_EQ(back.logs[0].data, back.logs[0].data_len, data, 3);
    CHECK_MEM_EQ(back.bloom, 256, r.bloom, 256);
    receipt_deinit(&back);
    buf_deinit(&b);
}

TEST(bloom, known_vector)
{
    /* Bloom of the single value 0x00…00 (20 bytes): keccak = 5380c7b7…; bits from pairs
     * 0x5380, 0xc7b7, 0xae81 (each & 2047). */
    uint8_t bloom[256] = { 0 };
    uint8_t zero[20] = { 0 };
    bloom_add(bloom, zero, 20);
    uint8_t h[32];
    keccak256(h, zero, 20);
    for (int i = 0; i < 6; i += 2) {
        unsigned bit = ((unsigned)h[i] << 8 | h[i + 1]) & 2047u;
        CHECK(bloom[255 - bit / 8] & (1u << (bit % 8)));
    }
}

/* The stored receipt form: without logs the all-zero bloom is the empty string (256 bytes
 * fewer), with logs it is the consensus encoding. receipt_decode_stored reads both forms and any
 * other bloom length is malformed; the consensus decoder refuses the empty bloom. */
TEST(receipt, stored_form_drops_only_an_all_zero_bloom)
{
    receipt_t r;
    memset(&r, 0, sizeof(r));
    r.type = TX_DYNAMIC_FEE;
    r.status = true;
    r.cumulative_gas = 21000;
    buf_t full, st;
    buf_init(&full, 4096);
    buf_init(&st, 4096);
    CHECK_OK(receipt_encode(&r, &full));
    CHECK_OK(receipt_encode_stored(&r, &st));
    CHECK_EQ_U64(full.n - st.n, 260); /* 256 bytes, 2 of the string's header, 2 of the list's */
    receipt_t back;
    CHECK_OK(receipt_decode_stored(&back, buf_view(&st)));
    CHECK(back.type == TX_DYNAMIC_FEE && back.status && back.cumulative_gas == 21000);
    CHECK(back.nlogs == 0);
    static const uint8_t zero[256];
    CHECK_MEM_EQ(back.bloom, 256, zero, 256);
    receipt_deinit(&back);
    CHECK_OK(receipt_decode_stored(&back, buf_view(&full))); /* stored before: full bloom */
    receipt_deinit(&back);
    CHECK_ERR(ERR_RECEIPT_MALFORMED, receipt_decode(&back, buf_view(&st)));
    uint64_t cum;
    size_t nlogs;
    CHECK_OK(receipt_counts(buf_view(&st), &cum, &nlogs));
    CHECK(cum == 21000 && nlogs == 0);
    /* A one-byte bloom is neither form. */
    buf_t bad;
    buf_init(&bad, 4096);
    CHECK_OK(buf_push(&bad, 2));
    size_t m, ml;
    CHECK_OK(rlp_list_begin(&bad, &m));
    CHECK_OK(rlp_encode_u64(&bad, 1));
    CHECK_OK(rlp_encode_u64(&bad, 21000));
    CHECK_OK(rlp_encode_bytes(&bad, zero, 1));
    CHECK_OK(rlp_list_begin(&bad, &ml));
    CHECK_OK(rlp_list_end(&bad, ml));
    CHECK_OK(rlp_list_end(&bad, m));
    CHECK_ERR(ERR_RECEIPT_MALFORMED, receipt_decode_stored(&back, buf_view(&bad)));
    /* With a log the bloom is not zero: the stored form is the consensus encoding. */
    log_t lg;
    memset(&lg, 0, sizeof(lg));
    memset(lg.addr.b, 0x33, 20);
    r.logs = &lg;
    r.nlogs = 1;
    bloom_add_log(r.bloom, &lg);
    buf_reset(&full);
    buf_reset(&st);
    CHECK_OK(receipt_encode(&r, &full));
    CHECK_OK(receipt_encode_stored(&r, &st));
    CHECK_MEM_EQ(st.p, st.n, full.p, full.n);
    buf_deinit(&bad);
    buf_deinit(&full);
    buf_deinit(&st);
}
