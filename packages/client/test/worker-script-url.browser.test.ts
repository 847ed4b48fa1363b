/**
 * Worker URLs under Trusted Types: made trusted through the `llc-worker` policy, same-origin only.
 */
import { expect } from '@open-wc/testing';
import { WORKER_POLICY, isTrustedTypesError, workerScriptUrl } from '@locallightchat/client/internal';

interface TrustedTypesLike {
  isScriptURL(value: unknown): boolean;
}

describe('workerScriptUrl', () => {
  it('returns a TrustedScriptURL for a same-origin script, resolved against the page', () => {
    const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes!;
    const url = workerScriptUrl('/packages/x/worker.js');
    expect(tt.isScriptURL(url)).to.equal(true);
    expect(String(url)).to.equal(new URL('/packages/x/worker.js', location.href).href);
    expect(WORKER_POLICY).to.equal('llc-worker');
  });

  it('refuses a cross-origin script', () => {
    expect(() => workerScriptUrl('https://evil.example/worker.js')).to.throw(TypeError, /cross-origin/);
  });

  it('recognises the constructor error Trusted Types raise, and nothing else', () => {
    expect(
      isTrustedTypesError(
        new TypeError("Failed to construct 'Worker': This document requires 'TrustedScriptURL' assignment."),
      ),
    ).to.equal(true);
    expect(isTrustedTypesError(new TypeError('Failed to construct Worker: invalid URL'))).to.equal(false);
    expect(isTrustedTypesError(new Error('TrustedScriptURL'))).to.equal(false);
  });
});
