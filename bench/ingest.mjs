#!/usr/bin/env node
// bench/ingest.mjs — issue #6's ingest benchmark: 20 000 pre-signed transfers from 200 senders sent
// as fast as the client can (one per request, 8 keep-alive connections), accepted tx/s, included
// tx/s and time until all are included, for rollup-node and anvil (--block-time 1) in the same
// run, plus start-up time and idle RSS. The method is bench/intake.mjs's (read its header); this
// runs it twice:
//   1. Scroll's rules as they are: ours caps a block's transactions at 122 880 encoded bytes
//      (maxTxPayloadBytesPerBlock, SCROLL.md §6) — ~1 100 transfers per 1 s block, whatever the
//      node's speed; anvil has no such cap;
//   2. equal settings: ours on a dev genesis (rollup-node dump-genesis) whose payload cap is
//      raised to 64 MiB, so included tx/s measures the node, as BENCHMARKS.md asks.
// Both use a 1G block gas limit. Knobs: INGEST_RUNS (3), and intake.mjs's.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const runs = process.env.INGEST_RUNS || '3';
let status = 0;
for (const [title, cap] of [['Scroll payload cap (122 880 bytes per block)', ''],
    ['equal settings: payload cap raised to 64 MiB', String(64 << 20)]]) {
    console.log(`=== ingest, ${title}`);
    const r = spawnSync(process.execPath, [path.join(here, 'intake.mjs')], {
        stdio: 'inherit',
        env: { ...process.env, INTAKE_TXS: '20000', INTAKE_SENDERS: '200', INTAKE_RUNS: runs,
            INTAKE_PAYLOAD_CAP: cap },
    });
    if (r.status !== 0) status = 1;
}
process.exit(status);
