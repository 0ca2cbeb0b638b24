#!/usr/bin/env node
// bench/intake.mjs — transaction intake, inclusion, start-up time and RSS of the node against anvil,
// in the same run (method: ../shared/docs/BENCHMARKS.md).
//
// Per run and per server (order alternates between runs; each run starts both from scratch):
//   1. start-up: time from spawn() to the first answered eth_blockNumber (a fresh TCP connection
//      is tried every ~1 ms; node's spawn() of this process is part of it: the harness floor
//      printed at the end), then idle RSS (VmRSS, VmHWM) after 1 s idle;
//   2. funding (not timed): 20 dev accounts send 1 ETH to each of SENDERS fresh senders;
//   3. intake (timed): TXS pre-signed EIP-1559 transfers (SENDERS senders x TXS/SENDERS nonces,
//      1 wei each to a fresh address, maxFee 10 gwei, tip 1 gwei, gas 21000) are POSTed with
//      eth_sendRawTransaction over CONNS keep-alive HTTP/1.1 connections (one request in flight per
//      connection, raw sockets, request bytes built before the clock starts; a sender's
//      transactions always go over the same connection, in nonce order). "accepted" = the last
//      answer arrived; every answer must be a transaction hash;
//   4. inclusion: new blocks are polled every 10 ms (eth_blockNumber + eth_getBlockByNumber);
//      "included" = the poll that saw the last of the TXS transactions in a block. Afterwards
//      every sender's nonce is checked (eth_getTransactionCount latest) to detect lost txs;
//   5. lookups: LOOKUPS eth_getTransactionReceipt and as many eth_getTransactionByHash calls, one
//      at a time, for transactions spread over the run's blocks (what a wallet polls after
//      sending; the blocks hold thousands of transactions each), microseconds per call; and
//      eth_getBlockReceipts of the run's largest block (an indexer's call), ms per call;
//   6. peak RSS (VmHWM) after inclusion.
// After the runs, start-up once more as BENCHMARKS.md defines it (exec to the first answer),
// measured by bench/startprobe.c (C, fork+exec, polls every 100 µs): several starts of each.
// Settings are equal: chain id 1337 on both (so the same signed bytes go to both), 1 s blocks
// (ours --sequencer.block-time 1000, anvil --block-time 1), block gas limit 1G on both
// (ours --builder.gaslimit, anvil --gas-limit), 20 dev accounts. Servers and this client are NOT
// pinned: they share the 2 cores, as in BENCHMARKS.md's intake figure.
//
// The node's pool limits are raised to fit the burst (--txpool.max-account-slots ≥ TXS/SENDERS,
// --txpool.pending-max-count ≥ TXS; anvil has none). Our chain caps a block's non-L1 payload at
// the chain config's maxTxPayloadBytesPerBlock (122 880 bytes ≈ 1 100 transfers, SCROLL.md §6);
// INTAKE_PAYLOAD_CAP=<bytes> runs ours on a dev genesis written by `rollup-node dump-genesis`
// with that cap instead (equal settings with anvil, which has no such cap). bench/ingest.mjs
// runs both.
//
// Before run 1, a warm-up run of each server that is not counted (INTAKE_WARMUP=0: none).
// The summary gives the ratio of the medians and, besides it, the median of the ratios within each
// run: a run's two servers run back to back, so the host's drift over minutes mostly cancels.
// Knobs: INTAKE_TXS (10000), INTAKE_SENDERS (200), INTAKE_CONNS (8), INTAKE_RUNS (3), LOOKUPS (200),
//        INTAKE_PAYLOAD_CAP (unset: the dev chain's 122 880),
//        NODE_BIN (target/release/rollup-node), ANVIL (tests/node_modules/.bin/anvil),
//        INTAKE_ONLY (ours|anvil: run one server only, no ratios),
//        INTAKE_CLIENT (c: the timed requests go out from bench/txload.c, a one-thread epoll client
//        built here with the system cc, which costs the shared cores a few us per request; node:
//        from this process, ~35 us per request; default c when cc is found). Both send the same
//        bytes in the same order; the client's CPU per transaction is printed either way.
//        INTAKE_CLIENT_SCHED (batch: txload runs as SCHED_BATCH, so an answer that wakes it does
//        not preempt the server thread that sent it (see bench/txload.c); normal: SCHED_OTHER).
//        The same for both servers. In a paired invocation on 2026-12-06, batch cut the client's
//        CPU per request from 21-26 to 12-17 us (ours) and from 32-39 to 25-26 us (anvil).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { ROOT, skip, loadViem, median, freePort } from './common.mjs';

const NODE_BIN = process.env.NODE_BIN || path.join(ROOT, 'target/release/rollup-node');
const ANVIL = process.env.ANVIL || path.join(ROOT, 'tests/node_modules/.bin/anvil');
const TXS = +(process.env.INTAKE_TXS || 10000);
const SENDERS = +(process.env.INTAKE_SENDERS || 200);
const CONNS = +(process.env.INTAKE_CONNS || 8);
const RUNS = +(process.env.INTAKE_RUNS || 3);
const ONLY = process.env.INTAKE_ONLY || ''; // 'ours' or 'anvil': one server only (debugging)
const GASLIMIT = 1000000000;
const CHAIN_ID = 1337;
const DEV_ACCOUNTS = 20;
const LOOKUPS = +(process.env.LOOKUPS || 200);
const WARMUP = process.env.INTAKE_WARMUP !== '0';
const CLIENT = process.env.INTAKE_CLIENT || (hasCc() ? 'c' : 'node');
const CLIENT_SCHED = process.env.INTAKE_CLIENT_SCHED || 'batch';
if (CLIENT_SCHED !== 'batch' && CLIENT_SCHED !== 'normal') {
    console.error(`INTAKE_CLIENT_SCHED must be batch or normal, not ${CLIENT_SCHED}`);
    process.exit(2);
}

function hasCc() {
    try {
        execFileSync('cc', ['--version'], { stdio: 'ignore' });
        return true;
    } catch {
        return false;
    }
}

if (!fs.existsSync(NODE_BIN)) skip('intake', `no node binary at ${NODE_BIN} (run 'make' first)`);
if (!fs.existsSync(ANVIL)) skip('intake', `anvil not found at ${ANVIL} (run 'make deps')`);
const { viem, viemAccounts } = loadViem('intake');
const PER = Math.floor(TXS / SENDERS);
if (PER * SENDERS !== TXS) {
    console.error(`INTAKE_TXS (${TXS}) must be a multiple of INTAKE_SENDERS (${SENDERS})`);
    process.exit(2);
}

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stat = (a) => ({ med: median(a), min: Math.min(...a), max: Math.max(...a) });

// ---- minimal HTTP/1.1 keep-alive client on a raw socket (one request in flight) ----------------
function httpRequestBytes(body) {
    const b = Buffer.from(body);
    return Buffer.concat([
        Buffer.from(
            `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n`,
        ),
        b,
    ]);
}
class Conn {
    static open(port) {
        return new Promise((resolve, reject) => {
            const c = new Conn();
            c.sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
            c.sock.once('connect', () => resolve(c));
            c.sock.once('error', reject);
        });
    }
    constructor() {
        this.buf = Buffer.alloc(0);
        this.parts = []; // received chunks not yet joined
        this.have = 0; // their bytes
        this.need = 0; // bytes the answer being received needs (0: not known yet)
        this.waiting = null;
    }
    attach() {
        this.sock.removeAllListeners('error');
        this.sock.on('error', (e) => this.fail(e));
        this.sock.on('close', () => this.fail(new Error('connection closed by the server')));
        this.sock.on('data', (d) => this.onData(d));
        return this;
    }
    fail(e) {
        const w = this.waiting;
        this.waiting = null;
        if (w) w.reject(e);
        this.dead = e;
    }
    onData(d) {
        // Chunks of a large answer are joined once it is complete (joining on every chunk would
        // copy a 15 MB block of receipts hundreds of times).
        this.parts.push(d);
        this.have += d.length;
        if (this.need && this.have < this.need) return;
        this.buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.have);
        this.parts = [this.buf];
        const he = this.buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const head = this.buf.subarray(0, he).toString('latin1');
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!m) return this.fail(new Error(`response without Content-Length: ${head}`));
        const len = +m[1];
        this.need = he + 4 + len;
        if (this.buf.length < this.need) return;
        this.need = 0;
        const body = this.buf.subarray(he + 4, he + 4 + len).toString();
        this.buf = this.buf.subarray(he + 4 + len);
        this.parts = this.buf.length ? [this.buf] : [];
        this.have = this.buf.length;
        const w = this.waiting;
        this.waiting = null;
        if (w) w.resolve({ status: +head.split(' ')[1], body });
    }
    send(bytes) {
        if (this.dead) return Promise.reject(this.dead);
        return new Promise((resolve, reject) => {
            this.waiting = { resolve, reject };
            this.sock.write(bytes);
        });
    }
    async call(method, params = []) {
        const r = await this.send(httpRequestBytes(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })));
        const j = JSON.parse(r.body);
        if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
        return j.result;
    }
    close() {
        this.sock.removeAllListeners('close');
        this.sock.destroy();
    }
}
async function connect(port) {
    return (await Conn.open(port)).attach();
}

// ---- keys and pre-signed transactions (outside every timed window) -----------------------------
const MNEMONIC = 'test test test test test test test test test test test junk';
const dev = Array.from({ length: DEV_ACCOUNTS }, (_, i) =>
    viemAccounts.mnemonicToAccount(MNEMONIC, { addressIndex: i }),
);
const senders = Array.from({ length: SENDERS }, (_, i) =>
    viemAccounts.privateKeyToAccount(viem.keccak256(viem.toHex(`rn-bench-intake-sender-${i}`))),
);
const FEE = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gas: 21000n };
const recipient = (i) => `0x${(0xbe00000000n + BigInt(i)).toString(16).padStart(40, '0')}`;
const t_sign = now();
const funding = []; // {from: dev index, raw}
for (let s = 0; s < SENDERS; s++) {
    const d = s % DEV_ACCOUNTS;
    const nonce = Math.floor(s / DEV_ACCOUNTS);
    const raw = await dev[d].signTransaction({
        chainId: CHAIN_ID, type: 'eip1559', nonce, to: senders[s].address, value: 10n ** 18n, ...FEE,
    });
    funding.push(raw);
}
// txs[c] = request bytes for connection c, in send order: nonce-major, sender-minor.
const txs = Array.from({ length: CONNS }, () => []);
const txHashes = []; // for the lookups, spread over the run
for (let n = 0; n < PER; n++) {
    for (let s = 0; s < SENDERS; s++) {
        const raw = await senders[s].signTransaction({
            chainId: CHAIN_ID, type: 'eip1559', nonce: n, to: recipient(n * SENDERS + s), value: 1n, ...FEE,
        });
        if ((n * SENDERS + s) % Math.max(1, Math.floor(TXS / LOOKUPS)) === 0) txHashes.push(viem.keccak256(raw));
        txs[s % CONNS].push(
            httpRequestBytes(`{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["${raw}"]}`),
        );
    }
}
const signSecs = (now() - t_sign) / 1000;

// ---- servers ---------------------------------------------------------------------------------------
function checkListener(port, pid) {
    // The node's listener uses SO_REUSEPORT: a second process on the same port would share it.
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString().trim().split('\n');
    const other = out.filter((l) => l && !l.includes(`pid=${pid},`));
    if (other.length) throw new Error(`another process also listens on port ${port}: ${other.join(' | ')}`);
}
// On-CPU time of every thread of a process, in ns (schedstat: precise, unlike utime's ticks).
function cpuNs(pid) {
    let t = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
            t += +fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0];
        } catch {
            // thread exited meanwhile
        }
    }
    return t;
}
// Page faults of the whole process so far (minor + major; /proc/<pid>/stat fields 10 and 12). On
// this project's VMs a 4 KiB fault costs ~13 us, so faults are a large part of a burst's CPU.
function faults(pid) {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return +f[7] + +f[9];
}
function procStatus(pid) {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => +new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)[1];
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rn-bench-intake.'));
const PAYLOAD_CAP = process.env.INTAKE_PAYLOAD_CAP ? +process.env.INTAKE_PAYLOAD_CAP : 0;
// The C client and its request file: u32 connections, then per connection u32 requests, then per
// request u32 length and bytes (little-endian), the same bytes the node client sends.
let TXLOAD = '';
const REQ_FILE = path.join(tmpRoot, 'requests.bin');
if (CLIENT === 'c') {
    TXLOAD = path.join(tmpRoot, 'txload');
    execFileSync('cc', ['-O2', '-std=c17', '-o', TXLOAD, path.join(ROOT, 'bench', 'txload.c')]);
    const u32 = (n) => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(n);
        return b;
    };
    const parts = [u32(CONNS)];
    for (const list of txs) {
        parts.push(u32(list.length));
        for (const req of list) parts.push(u32(req.length), Buffer.from(req));
    }
    fs.writeFileSync(REQ_FILE, Buffer.concat(parts));
} else if (CLIENT !== 'node') {
    console.error(`INTAKE_CLIENT must be c or node, not ${CLIENT}`);
    process.exit(2);
}

// Send every transaction with bench/txload.c; resolves on its "start" line to { done }, a promise
// of its result ({ accepted, errors, elapsedMs, cpuUs }).
async function startTxload(port) {
    const args = [String(port), REQ_FILE, ...(CLIENT_SCHED === 'batch' ? ['batch'] : [])];
    const child = spawn(TXLOAD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    let started;
    const startedP = new Promise((resolve) => { started = resolve; });
    child.stdout.on('data', (d) => {
        out += d;
        if (out.startsWith('start\n')) started();
    });
    const result = new Promise((resolve, reject) => {
        child.on('close', (code) => {
            started();
            const line = out.split('\n').find((l) => l.startsWith('{'));
            if (code !== 0 || !line) return reject(new Error(`txload exited ${code}: ${err.trim()}`));
            const j = JSON.parse(line);
            resolve({ accepted: j.accepted, errors: new Map(Object.entries(j.errors)),
                elapsedMs: j.elapsed_ns / 1e6, cpuUs: j.cpu_us });
        });
    });
    await startedP;
    return { done: result };
}
let CHAIN = 'dev';
if (PAYLOAD_CAP) {
    const g = JSON.parse(execFileSync(NODE_BIN, ['dump-genesis', '--chain', 'dev']).toString());
    g.config.scroll.maxTxPayloadBytesPerBlock = PAYLOAD_CAP;
    CHAIN = path.join(tmpRoot, 'genesis.json');
    fs.writeFileSync(CHAIN, JSON.stringify(g));
}
const POOL_ARGS = ['--txpool.max-account-slots', `${Math.max(64, Math.ceil(TXS / SENDERS))}`,
    '--txpool.pending-max-count', `${Math.max(10000, TXS)}`];
let FLOOR_BIN = null;
const SERVERS = {
    ours: (port, dir) => ({
        cmd: NODE_BIN,
        args: ['node', '--chain', CHAIN, '--datadir', dir, '--test', ...POOL_ARGS, '--sequencer.enabled',
            '--sequencer.auto-start', '--sequencer.block-time', '1000', '--builder.gaslimit', `${GASLIMIT}`,
            '--http', '--http.addr', '127.0.0.1', '--http.port', `${port}`, '--http.api', 'eth,net,web3,txpool'],
        env: { ...process.env, RUST_LOG: process.env.INTAKE_RUST_LOG || 'warn,reth::cli=info' },
    }),
    // The harness's own start-up floor: a C server that answers at once (bench/fixed_reply_server.c).
    floor: (port) => ({ cmd: FLOOR_BIN, args: [`${port}`], env: process.env }),
    anvil: (port) => ({
        cmd: ANVIL,
        args: ['--silent', '--host', '127.0.0.1', '--port', `${port}`, '--accounts', `${DEV_ACCOUNTS}`,
            '--chain-id', `${CHAIN_ID}`, '--gas-limit', `${GASLIMIT}`, '--block-time', '1'],
        env: process.env,
    }),
};
const probe = httpRequestBytes('{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}');
async function tryOnce(port) {
    let c;
    try {
        c = await connect(port);
        const r = await c.send(probe);
        return r.body.includes('"result"');
    } catch {
        return false;
    } finally {
        if (c) c.close();
    }
}
async function start(name, run) {
    const port = freePort();
    const dir = path.join(tmpRoot, `${name}-${run}`);
    fs.mkdirSync(dir, { recursive: true });
    const spec = SERVERS[name](port, dir);
    const log = fs.openSync(path.join(tmpRoot, `${name}-${run}.log`), 'w');
    const t0 = now();
    const child = spawn(spec.cmd, spec.args, { env: spec.env, stdio: ['ignore', log, log] });
    let exited = null;
    child.on('exit', (code, sig) => (exited = { code, sig }));
    for (;;) {
        if (await tryOnce(port)) break;
        if (exited) throw new Error(`${name} exited during start-up (${JSON.stringify(exited)}); log ${dir}.log`);
        if (now() - t0 > 20000) throw new Error(`${name} did not answer within 20 s`);
        await new Promise((r) => setTimeout(r, 0.2));
    }
    const startupMs = now() - t0;
    checkListener(port, child.pid);
    return { name, port, child, startupMs, logPath: path.join(tmpRoot, `${name}-${run}.log`), exited: () => exited };
}
async function stop(srv) {
    if (srv.exited()) return;
    const done = new Promise((r) => srv.child.once('exit', r));
    srv.child.kill('SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (!srv.exited()) {
        srv.child.kill('SIGKILL');
        await done;
    }
}

const hex = (n) => `0x${n.toString(16)}`;
async function waitNonces(c, addrs, want, timeoutMs) {
    const t0 = now();
    for (;;) {
        let ok = true;
        for (const a of addrs) {
            if (+(await c.call('eth_getTransactionCount', [a, 'latest'])) < want(a)) {
                ok = false;
                break;
            }
        }
        if (ok) return;
        if (now() - t0 > timeoutMs) throw new Error('timeout waiting for nonces');
        await sleep(50);
    }
}

async function runOne(name, run) {
    const srv = await start(name, run);
    const r = { startupMs: srv.startupMs };
    let phase = 'idle';
    try {
        await sleep(1000);
        const idle = procStatus(srv.child.pid);
        r.idleRss = idle.rss;
        r.idleHwm = idle.hwm;
        const c = await connect(srv.port);
        const chainId = await c.call('eth_chainId');
        if (+chainId !== CHAIN_ID) throw new Error(`${name}: chain id ${chainId}, want ${CHAIN_ID}`);
        // funding (not timed)
        phase = 'funding';
        for (const raw of funding) await c.call('eth_sendRawTransaction', [raw]);
        await waitNonces(c, dev.map((a) => a.address), (a) => {
            const i = dev.findIndex((d) => d.address === a);
            return Math.floor(SENDERS / DEV_ACCOUNTS) + (i < SENDERS % DEV_ACCOUNTS ? 1 : 0);
        }, 30000);
        phase = 'intake';
        const startBlock = +(await c.call('eth_blockNumber'));
        const conns = CLIENT === 'node' ? await Promise.all(Array.from({ length: CONNS }, () => connect(srv.port))) : [];
        const poller = await connect(srv.port);
        const blocks = [];
        let included = 0;
        let tIncluded = 0;
        let submitting = true;
        let accepted = 0;
        let errors = new Map();
        let tAccepted = 0;
        let cpuAccepted = 0;
        let fltAccepted = 0;
        let ccpuAccepted = null;
        let subError = null;
        let clientUs = 0; // CPU of the C client (the node client's is in ccpuAccepted)
        const loaded = CLIENT === 'c' ? await startTxload(srv.port) : null;
        const cpu0 = cpuNs(srv.child.pid);
        const flt0 = faults(srv.child.pid);
        const ccpu0 = process.cpuUsage();
        const tStart = now();
        const senderTasks = conns.map(async (conn, ci) => {
            for (const req of txs[ci]) {
                const res = await conn.send(req);
                if (res.status === 200 && res.body.includes('"result":"0x')) accepted++;
                else {
                    const k = `${res.status} ${res.body}`.replace(/"id":\d+,?/, '');
                    errors.set(k, (errors.get(k) || 0) + 1);
                }
            }
        });
        const subDone = (loaded ? loaded.done : Promise.all(senderTasks)).then((l) => {
            tAccepted = now();
            cpuAccepted = cpuNs(srv.child.pid);
            fltAccepted = faults(srv.child.pid);
            ccpuAccepted = process.cpuUsage(ccpu0);
            if (loaded) { // the client's own clock: from its first send to its last answer
                accepted = l.accepted;
                errors = l.errors;
                clientUs = l.cpuUs;
                tAccepted = tStart + l.elapsedMs;
            }
            submitting = false;
        }, (e) => {
            subError = e;
            submitting = false;
        });
        let seen = startBlock;
        let lastProgress = now();
        const deadline = tStart + 60000 + TXS * 5;
        for (;;) {
            const bn = +(await poller.call('eth_blockNumber'));
            while (seen < bn) {
                seen++;
                const b = await poller.call('eth_getBlockByNumber', [hex(seen), false]);
                blocks.push({ n: seen, txs: b.transactions.length, gas: +b.gasUsed, t: now() - tStart });
                included += b.transactions.length;
                if (b.transactions.length) lastProgress = now();
            }
            if (!submitting && included >= accepted) {
                tIncluded = blocks.length ? tStart + blocks[blocks.length - 1].t : now();
                break;
            }
            // accepted transactions that stop being included (e.g. queued behind a rejected nonce)
            if (now() > deadline || (!submitting && now() - Math.max(lastProgress, tAccepted) > 5000)) break;
            if (srv.exited()) throw new Error(`${name} exited during the intake run (${JSON.stringify(srv.exited())})`);
            await sleep(10);
        }
        await subDone;
        if (subError) throw new Error(`submitting: ${subError.message} after ${accepted} accepted, ${[...errors.values()].reduce((a, b) => a + b, 0)} rejected`);
        r.accepted = accepted;
        r.errors = errors;
        r.intakeTps = accepted / ((tAccepted - tStart) / 1000);
        r.acceptMs = tAccepted - tStart;
        r.cpuPerTx = (cpuAccepted - cpu0) / 1000 / Math.max(1, accepted);
        r.clientCpuPerTx = (ccpuAccepted.user + ccpuAccepted.system + clientUs) / Math.max(1, accepted);
        r.cpuPerIncluded = (cpuNs(srv.child.pid) - cpu0) / 1000 / Math.max(1, included);
        r.faultsPerTx = (fltAccepted - flt0) / Math.max(1, accepted);
        r.faultsPerIncluded = (faults(srv.child.pid) - flt0) / Math.max(1, included);
        r.included = included;
        r.includeMs = tIncluded ? tIncluded - tStart : NaN;
        r.notIncluded = accepted - included;
        r.includedTps = tIncluded ? included / ((tIncluded - tStart) / 1000) : NaN;
        r.blocks = blocks.filter((b) => b.txs > 0);
        // lost transactions: every sender's nonce must be PER now
        let nonceSum = 0;
        for (const s of senders) nonceSum += +(await c.call('eth_getTransactionCount', [s.address, 'latest']));
        r.lost = TXS - nonceSum;
        phase = 'lookups';
        for (const [m, key] of [['eth_getTransactionReceipt', 'receiptUs'], ['eth_getTransactionByHash', 'txByHashUs']]) {
            const t0 = now();
            for (const h of run ? txHashes : []) { // none in the warm-up run
                if (!(await c.call(m, [h]))) throw new Error(`${m}(${h}) answered null`);
            }
            r[key] = ((now() - t0) * 1000) / Math.max(1, txHashes.length);
        }
        const biggest = blocks.reduce((a, b) => (b.txs > a.txs ? b : a), blocks[0]);
        const t0 = now();
        for (let k = 0; k < (run ? 3 : 0); k++) {
            const all = await c.call('eth_getBlockReceipts', [hex(biggest.n)]);
            if (!all || all.length !== biggest.txs) throw new Error(`eth_getBlockReceipts(${biggest.n}): ${all && all.length} receipts, want ${biggest.txs}`);
        }
        r.blockReceiptsMs = (now() - t0) / 3;
        phase = 'after';
        const pool = name === 'ours' ? await c.call('txpool_status').catch(() => null) : null;
        r.pool = pool;
        r.peakHwm = procStatus(srv.child.pid).hwm;
        for (const x of [c, poller, ...conns]) x.close();
    } catch (e) {
        const alive = srv.exited() ? `exited ${JSON.stringify(srv.exited())}` : 'still running';
        await stop(srv);
        const log = fs.readFileSync(srv.logPath, 'utf8').trim().split('\n').slice(-10).join('\n      ');
        throw new Error(`${e.message} (phase ${phase}; server ${alive}; log tail: ${log || '(empty)'})`);
    }
    await stop(srv);
    // warnings and errors only (reth::cli=info adds the start line and "Received SIGTERM": an
    // unexpected exit with that line means something else on the machine killed the node)
    const log = fs.readFileSync(srv.logPath, 'utf8').split('\n').filter((l) => /WARN|ERROR/.test(l)).join('\n');
    r.log = log;
    return r;
}

const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`intake bench: ${TXS} pre-signed EIP-1559 transfers (${SENDERS} senders x ${PER}), ${CONNS} keep-alive` +
    ` connections (${CLIENT === 'c' ? `bench/txload.c client, ${CLIENT_SCHED === 'batch' ? 'SCHED_BATCH' : 'SCHED_OTHER'}` : 'node.js client'}), ${RUNS} runs; block gas limit raised to ${GASLIMIT} on both, 1 s blocks, chain id ${CHAIN_ID};` +
    ` servers and client unpinned on ${os.cpus().length} CPUs (signing took ${signSecs.toFixed(1)} s, not timed)`);
console.log(`  ours : ${NODE_BIN} node --chain ${PAYLOAD_CAP ? `<dev genesis, maxTxPayloadBytesPerBlock ${PAYLOAD_CAP}>` : 'dev'}` +
    ` --test ${POOL_ARGS.join(' ')} --sequencer.enabled --sequencer.auto-start` +
    ` --sequencer.block-time 1000 --builder.gaslimit ${GASLIMIT} --http ... (RUST_LOG=warn,reth::cli=info)`);
console.log(`  anvil: ${execFileSync(ANVIL, ['--version']).toString().split('\n')[0]} --silent --accounts ${DEV_ACCOUNTS}` +
    ` --chain-id ${CHAIN_ID} --gas-limit ${GASLIMIT} --block-time 1`);
console.log(`  load average at start: ${load()}`);
const results = { ours: [], anvil: [] };
let failed = false;
// Run 0 warms the machine up and is not counted: the first server this process starts after
// signing ran ~15% slower than later ones (ours, 4 of 5 invocations), which alternation alone
// does not even out.
for (let run = WARMUP ? 0 : 1; run <= RUNS; run++) {
    const order = (run % 2 ? ['ours', 'anvil'] : ['anvil', 'ours']).filter((n) => !ONLY || n === ONLY);
    for (const name of order) {
        let r;
        try {
            r = await runOne(name, run);
        } catch (e) {
            console.log(`  run ${run} ${name}: FAILED: ${e.message}`);
            failed = true;
            continue;
        }
        if (run === 0) {
            console.log(`  run 0 ${name.padEnd(5)}: warm-up, not counted (accepted ${r.intakeTps.toFixed(0)} tx/s)`);
            continue;
        }
        r.run = run;
        results[name].push(r);
        const maxBlock = Math.max(0, ...r.blocks.map((b) => b.txs));
        console.log(`  run ${run} ${name.padEnd(5)}: start ${r.startupMs.toFixed(1)} ms, idle RSS ${r.idleRss.toFixed(1)} MB` +
            ` (HWM ${r.idleHwm.toFixed(1)}); accepted ${r.accepted}/${TXS} in ${r.acceptMs.toFixed(0)} ms =` +
            ` ${r.intakeTps.toFixed(0)} tx/s; included ${r.included} in ${r.includeMs.toFixed(0)} ms =` +
            ` ${r.includedTps.toFixed(0)} tx/s over ${r.blocks.length} blocks (max ${maxBlock} tx/block);` +
            ` not included ${r.notIncluded}, sender nonces short of ${TXS}: ${r.lost}; server CPU ${r.cpuPerTx.toFixed(0)} us/tx until accepted, ${r.cpuPerIncluded.toFixed(0)} us/tx until included;` +
            ` page faults ${r.faultsPerTx.toFixed(2)}/tx until accepted, ${r.faultsPerIncluded.toFixed(2)}/tx until included;` +
            ` client CPU ${r.clientCpuPerTx.toFixed(0)} us/tx; lookups ${r.receiptUs.toFixed(0)} us per receipt,` +
            ` ${r.txByHashUs.toFixed(0)} us per transaction, ${r.blockReceiptsMs.toFixed(0)} ms per block's receipts;` +
            ` peak RSS ${r.peakHwm.toFixed(1)} MB`);
        for (const [k, n] of r.errors) console.log(`      ${n} x rejected: ${k.slice(0, 200)}`);
        if (r.lost !== 0 || r.accepted !== TXS || r.notIncluded !== 0) failed = true;
        if (r.pool && (+r.pool.pending || +r.pool.queued)) console.log(`      txpool_status after: ${JSON.stringify(r.pool)}`);
        if (r.log) console.log(`      ${name} log: ${r.log.split('\n').slice(0, 5).join('\n      ')}`);
    }
}
// What spawning a process and polling it costs this harness: the same start() against a server
// with nothing to set up. The node's and anvil's start-up figures include it.
let floorMs = null;
if (hasCc() && !process.env.INTAKE_NO_FLOOR) {
    FLOOR_BIN = path.join(tmpRoot, 'fixed_reply_server');
    execFileSync('cc', ['-O2', '-o', FLOOR_BIN, path.join(ROOT, 'bench', 'fixed_reply_server.c')]);
    const ms = [];
    for (let i = 0; i < Math.max(5, RUNS); i++) {
        const srv = await start('floor', i);
        ms.push(srv.startupMs);
        await stop(srv);
    }
    floorMs = stat(ms);
    console.log(`  start-up floor of this harness (spawn and poll a C server that answers at once): median` +
        ` ${floorMs.med.toFixed(1)} ms (${floorMs.min.toFixed(1)}-${floorMs.max.toFixed(1)}), ${ms.length} starts`);
}
// Start-up as BENCHMARKS.md defines it, exec to the first answered RPC, without node's spawn:
// bench/startprobe.c forks and execs each server (a fresh datadir for ours), polls every 100 µs
// and stops it; starts of ours, anvil and the fixed-reply server are interleaved.
const probeMs = { ours: [], anvil: [], floor: [] };
if (hasCc() && !process.env.INTAKE_NO_FLOOR) {
    const PROBE = path.join(tmpRoot, 'startprobe');
    execFileSync('cc', ['-O2', '-o', PROBE, path.join(ROOT, 'bench', 'startprobe.c')]);
    const names = ['floor', ...['ours', 'anvil'].filter((n) => !ONLY || n === ONLY)];
    for (let i = 0; i < Math.max(7, RUNS); i++) {
        for (const name of names) {
            const port = freePort();
            const dir = path.join(tmpRoot, `probe-${name}-${i}`);
            fs.mkdirSync(dir, { recursive: true });
            const spec = SERVERS[name](port, dir);
            const out = execFileSync(PROBE, [`${port}`, '20000', `${dir}.log`, spec.cmd, ...spec.args],
                { env: spec.env }).toString();
            probeMs[name].push(+out.trim());
        }
    }
    const f = (a) => { const x = stat(a); return `${x.med.toFixed(1)} ms (${x.min.toFixed(1)}-${x.max.toFixed(1)})`; };
    console.log(`  start-up, exec to first answer (bench/startprobe.c, ${probeMs.floor.length} starts each):` +
        ` fixed-reply C server ${f(probeMs.floor)}` +
        names.filter((n) => n !== 'floor').map((n) => `, ${n} ${f(probeMs[n])}`).join(''));
}
console.log(`  load average at end: ${load()}`);
const rows = [
    ['start-up to first eth_blockNumber (ms)', 'startupMs', 1, 'lower is better'],
    ['idle RSS, VmRSS 1 s after start (MB)', 'idleRss', 1, 'lower is better'],
    ['idle VmHWM 1 s after start (MB)', 'idleHwm', 1, 'lower is better'],
    ['intake: eth_sendRawTransaction accepted (tx/s)', 'intakeTps', 0, 'higher is better'],
    ['server CPU per tx until all accepted (us)', 'cpuPerTx', 0, 'lower is better'],
    ['server page faults per tx until all accepted', 'faultsPerTx', 2, 'lower is better'],
    ['included tx/s (submit start -> last in block)', 'includedTps', 0, 'higher is better'],
    ['server CPU per tx until all included (us)', 'cpuPerIncluded', 0, 'lower is better'],
    ['receipt by hash after the run (us per call)', 'receiptUs', 0, 'lower is better'],
    ['transaction by hash after the run (us per call)', 'txByHashUs', 0, 'lower is better'],
    ['receipts of the largest block (ms per call)', 'blockReceiptsMs', 1, 'lower is better'],
    ['peak RSS after the run, VmHWM (MB)', 'peakHwm', 1, 'lower is better'],
];
if (results.ours.length && results.anvil.length) {
    console.log('');
    console.log(`${'metric'.padEnd(48)} | ${'ours median (min-max)'.padEnd(24)} | ${'anvil median (min-max)'.padEnd(24)} | ours/anvil`);
    for (const [label, key, dp, note] of rows) {
        const o = stat(results.ours.map((r) => r[key]));
        const a = stat(results.anvil.map((r) => r[key]));
        const f = (s) => `${s.med.toFixed(dp)} (${s.min.toFixed(dp)}-${s.max.toFixed(dp)})`.padEnd(24);
        console.log(`${label.padEnd(48)} | ${f(o)} | ${f(a)} | ${(o.med / a.med).toFixed(2)}x (${note})`);
    }
    if (probeMs.ours.length && probeMs.anvil.length) {
        const o = stat(probeMs.ours), a = stat(probeMs.anvil);
        const f = (x) => `${x.med.toFixed(1)} (${x.min.toFixed(1)}-${x.max.toFixed(1)})`.padEnd(24);
        console.log(`${'start-up, exec to first answer (startprobe, ms)'.padEnd(48)} | ${f(o)} | ${f(a)} |` +
            ` ${(o.med / a.med).toFixed(2)}x (lower is better; ${probeMs.ours.length} starts each)`);
    }
    console.log(`(medians of ${results.ours.length}/${results.anvil.length} runs)`);
    // The host's speed drifts within minutes, for both servers alike. A run's two servers ran back
    // to back, so the ratio within a run cancels most of that drift; shown besides the ratio of
    // the medians above, not instead of it.
    const pairs = results.ours.map((o) => [o, results.anvil.find((a) => a.run === o.run)]).filter((p) => p[1]);
    if (pairs.length) {
        for (const [label, key] of [['accepted', 'intakeTps'], ['included', 'includedTps']]) {
            const q = stat(pairs.map(([o, a]) => o[key] / a[key]));
            console.log(`ours/anvil ${label} tx/s within each run: median ${q.med.toFixed(2)}x` +
                ` (${q.min.toFixed(2)}-${q.max.toFixed(2)}), ${pairs.length} runs`);
        }
    }
}
fs.rmSync(tmpRoot, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
