#!/usr/bin/env node
// bench/block.mjs — the time to build one block of queued transfers, state root included, for
// rollup-node and for anvil in the same run (method: ../shared/docs/BENCHMARKS.md).
//
// Sizes: 952 transfers (a full Scroll block: 20 M gas / 21 000) and 20 000 transfers (BENCHMARKS.md's
// peer figure). Rounds alternate between the two servers, so both see the same hour of this host.
//
// anvil: `anvil --silent --no-mining --accounts 20 --gas-limit 1000000000 --chain-id 1337`. Per round, N
// pre-signed EIP-1559 transfers (200 senders, sequential nonces, 1 wei each to a fresh address)
// are sent with eth_sendRawTransaction (untimed; txpool_status must then show N pending), and the
// timed window is one `evm_mine` call: from the request to its answer over a kept-alive
// connection. The block must then hold all N. anvil keeps its state in memory: nothing goes to
// disk.
// rollup-node: target/release/bench_state in its profile mode (BENCH_STATE_ACCOUNTS=0: the dev
// genesis, every transfer to a fresh address, as here): the same block built in-process from
// pre-signed transactions queued in a transaction pool (added untimed, as anvil's are) — taken
// from the pool best first and decoded as the sequencer does, executed, state and tries written,
// root computed, block, receipts and indexes stored and the LMDB transaction committed (no
// fsync; a commit survives kill -9). The time is exec + root + commit as bench_state prints
// them, per block.
// Ratio = anvil's median / ours (higher is better). BENCHMARKS.md: 20 000 transfers in
// <= 120 ms (2x anvil); a full Scroll block in <= 10 ms.
//
// Knobs: BLOCK_ROUNDS (5), BLOCK_SIZES (952,20000), BLOCK_SENDERS (200), NODE_BENCH (target/release/bench_state),
//        ANVIL (tests/node_modules/.bin/anvil).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';

import { ROOT, skip, loadViem, median, freePort } from './common.mjs';

const BENCH = process.env.NODE_BENCH || path.join(ROOT, 'target/release/bench_state');
const ANVIL = process.env.ANVIL || path.join(ROOT, 'tests/node_modules/.bin/anvil');
const ROUNDS = +(process.env.BLOCK_ROUNDS || 5);
const SIZES = (process.env.BLOCK_SIZES || '952,20000').split(',').map(Number);
const SENDERS = +(process.env.BLOCK_SENDERS || 200);
const CHAIN_ID = 1337;
const GASLIMIT = 1000000000;

if (!fs.existsSync(BENCH)) skip('block', `no ${BENCH} (run 'ninja -C target/release bench_state' or 'make bench')`);
if (!fs.existsSync(ANVIL)) skip('block', `anvil not found at ${ANVIL} (run 'make deps')`);
const { viem, viemAccounts } = loadViem('block');

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (a) => `${median(a).toFixed(2)} (${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)})`;

// ---- JSON-RPC over one kept-alive connection ---------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let port = 0;
function rpcRaw(body) {
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: '127.0.0.1', port, method: 'POST', agent, headers: { 'content-type': 'application/json' } },
            (res) => {
                const parts = [];
                res.on('data', (d) => parts.push(d));
                res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString())));
            },
        );
        req.on('error', reject);
        req.end(body);
    });
}
async function rpc(method, params = []) {
    const r = await rpcRaw(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
    if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
    return r.result;
}
async function sendAll(raws) {
    for (let i = 0; i < raws.length; i += 500) {
        const batch = raws.slice(i, i + 500).map((raw, k) => ({
            jsonrpc: '2.0', id: i + k, method: 'eth_sendRawTransaction', params: [raw],
        }));
        const out = await rpcRaw(JSON.stringify(batch));
        const bad = out.find((r) => r.error);
        if (bad) throw new Error(`eth_sendRawTransaction: ${JSON.stringify(bad.error)}`);
    }
}

// ---- keys ----------------------------------------------------------------------------------------
const MNEMONIC = 'test test test test test test test test test test test junk';
const dev = Array.from({ length: 20 }, (_, i) => viemAccounts.mnemonicToAccount(MNEMONIC, { addressIndex: i }));
const senders = Array.from({ length: SENDERS }, (_, i) =>
    viemAccounts.privateKeyToAccount(viem.keccak256(viem.toHex(`rn-bench-block-sender-${i}`))),
);
const FEE = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gas: 21000n };
let nextRecipient = 0xbe00000000n;
const nonces = new Array(SENDERS).fill(0);
async function signBlock(n) {
    const raws = [];
    for (let i = 0; i < n; i++) {
        const s = i % SENDERS;
        raws.push(
            await senders[s].signTransaction({
                chainId: CHAIN_ID, type: 'eip1559', nonce: nonces[s]++,
                to: `0x${(nextRecipient++).toString(16).padStart(40, '0')}`, value: 1n, ...FEE,
            }),
        );
    }
    return raws;
}

// ---- anvil -----------------------------------------------------------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rn-bench-block.'));
port = freePort();
const anvil = spawn(
    ANVIL,
    ['--silent', '--no-mining', '--accounts', '20', '--port', `${port}`, '--chain-id', `${CHAIN_ID}`, '--gas-limit', `${GASLIMIT}`],
    { stdio: ['ignore', fs.openSync(path.join(tmp, 'anvil.log'), 'w'), 'inherit'] },
);
process.on('exit', () => anvil.kill('SIGKILL'));
for (let t0 = now(); ; ) {
    try {
        await rpc('eth_blockNumber');
        break;
    } catch {
        if (now() - t0 > 20000) throw new Error('anvil did not answer within 20 s');
        await sleep(20);
    }
}
{ // fund the senders (untimed)
    const raws = [];
    for (let s = 0; s < SENDERS; s++) {
        raws.push(
            await dev[s % 20].signTransaction({
                chainId: CHAIN_ID, type: 'eip1559', nonce: Math.floor(s / 20), to: senders[s].address,
                value: 10n ** 18n, ...FEE,
            }),
        );
    }
    await sendAll(raws);
    await rpc('evm_mine');
}

async function anvilBlock(n) {
    const raws = await signBlock(n);
    await sendAll(raws);
    const st = await rpc('txpool_status');
    if (+st.pending !== n) throw new Error(`anvil: ${+st.pending} pending, want ${n}`);
    const t0 = now();
    await rpc('evm_mine');
    const ms = now() - t0;
    const b = await rpc('eth_getBlockByNumber', ['latest', false]);
    if (b.transactions.length !== n) throw new Error(`anvil: block holds ${b.transactions.length}, want ${n}`);
    return ms;
}

function oursBlocks(n, blocks) {
    const out = execFileSync(BENCH, {
        env: { ...process.env, BENCH_STATE_ACCOUNTS: '0', BENCH_STATE_PROFILE: `${blocks}`, BENCH_STATE_TXS: `${n}` },
    }).toString();
    const ms = [];
    for (const m of out.matchAll(/^exec ([\d.]+) root ([\d.]+) commit ([\d.]+)/gm)) ms.push(+m[1] + +m[2] + +m[3]);
    if (ms.length !== blocks) throw new Error(`bench_state printed ${ms.length} blocks, want ${blocks}`);
    return ms;
}

console.log(`block bench: ${ROUNDS} rounds per size, ${os.cpus().length} cores, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
const res = {};
for (const n of SIZES) {
    res[n] = { anvil: [], ours: [] };
    // bench_state's first blocks in a process grow its caches and allocator, as a node's first
    // blocks do: 6 blocks per run, the first two not counted.
    for (let r = 0; r < ROUNDS; r++) {
        res[n].anvil.push(await anvilBlock(n));
        res[n].ours.push(...oursBlocks(n, 6).slice(2));
    }
}
anvil.kill('SIGTERM');
console.log(`\n${'transfers'.padEnd(10)}  ${'rollup-node ms'.padEnd(22)}  ${'anvil ms'.padEnd(22)}  ratio (anvil/ours)`);
for (const n of SIZES) {
    const a = res[n].anvil, o = res[n].ours;
    console.log(`${String(n).padEnd(10)}  ${fmt(o).padEnd(22)}  ${fmt(a).padEnd(22)}  ${(median(a) / median(o)).toFixed(2)}x`);
}
console.log('ms: median (min–max). ours: bench_state (execute + state and root + store and commit, no fsync);');
console.log('anvil: one evm_mine of that many queued transfers. Goals (BENCHMARKS.md): 20 000 in <= 120 ms (2x anvil),');
console.log('a full Scroll block (952) in <= 10 ms.');
fs.rmSync(tmp, { recursive: true, force: true });
