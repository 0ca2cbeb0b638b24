// bench/common.mjs — what the node benches against anvil share: the repo root, skipping with a
// message, loading the pinned test tools' viem, medians, and a free TCP port.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Print why `bench` did not run and exit 0 (a missing tool is not a failure). */
export function skip(bench, why) {
    console.log(`${bench} bench skipped: ${why}`);
    process.exit(0);
}

/** viem and viem/accounts from tests/node_modules, or skip(bench). */
export function loadViem(bench) {
    try {
        const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
        return { viem: require('viem'), viemAccounts: require('viem/accounts') };
    } catch (e) {
        return skip(bench, `viem not installed in tests/node_modules (run 'make deps'): ${e.message}`);
    }
}

export const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** A TCP port nothing listens on (ss), below the kernel's ephemeral range: polling a port in
 *  that range before its server listens can connect a socket to itself (the kernel picks the
 *  same port as the source; simultaneous open), which then reads its own request. */
export function freePort() {
    const [lo] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const top = Math.max(2000, (lo || 32768) - 20000);
    for (let i = 0; i < 200; i++) {
        const p = 20000 + Math.floor(Math.random() * top);
        if (!execFileSync('ss', ['-Hltn', `sport = :${p}`]).toString().trim()) return p;
    }
    throw new Error('no free port');
}
