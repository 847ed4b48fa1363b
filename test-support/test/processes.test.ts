/** startProcess: a child that never prints its ready line is stopped, not left to outlive the test. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { startProcess } from '../src/processes.js';

/** Pids of running processes whose command line contains `marker`. */
const running = (marker: string) => {
  try {
    return execFileSync('pgrep', ['-f', marker]).toString().trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

describe('startProcess', () => {
  it('stops a process that never gets ready (SIGTERM, then SIGKILL) and reports what it printed', async () => {
    const marker = `llc-never-ready-${process.pid}-${Date.now()}`;
    // Ignores SIGTERM, so only the SIGKILL after the grace ends it.
    const script = `/* ${marker} */ process.on('SIGTERM', () => {}); console.log('booting'); setInterval(() => {}, 1000);`;
    await assert.rejects(
      startProcess(process.execPath, ['-e', script], { ready: /never printed/, timeoutMs: 500 }),
      /timed out waiting for \/never printed\/[\s\S]*booting/,
    );
    assert.equal(running(marker), '', 'the child is gone once startProcess has rejected');
  });
});
