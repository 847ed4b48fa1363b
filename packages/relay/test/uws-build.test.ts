/**
 * The uWebSockets.js loader: the newest build that loads natively wins, the repack's `ws` shim is never used, and
 * when nothing loads the failure is one line that says what to use.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { chooseUwsBuild, isNativeUws, UWS_BUILDS, uwsBuildDescription, type UwsBuild } from '@locallightchat/relay';

const require = createRequire(import.meta.url);
const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
const abi = Number(process.versions.modules);
const atLeast = (version: string | undefined, min: [number, number]) => {
  const [major = 0, minor = 0] = (version ?? '0.0').split('.').map(Number);
  return major > min[0] || (major === min[0] && minor >= min[1]);
};

/** What each build's published binaries need (their READMEs and file names), independent of the loader. */
function expectedPackage(): string | undefined {
  if (process.platform === 'linux' && process.arch === 'x64') {
    if ([115, 127, 137, 141].includes(abi) && atLeast(glibc, [2, 38])) return '@btc-vision/uwebsockets.js';
    if ([93, 108, 115].includes(abi)) return '@trufflesuite/uws-js-unofficial';
  }
  return undefined;
}

const throwing = (pkg: string, message: string): UwsBuild => ({
  package: pkg,
  version: '1.0.0',
  needs: 'something',
  load: () => {
    throw new Error(message);
  },
});

describe('uWebSockets.js loader', () => {
  it('uses the newest build whose native binary loads on this host', { skip: expectedPackage() === undefined }, () => {
    const chosen = chooseUwsBuild(UWS_BUILDS);
    assert.ok(chosen.ok, `a build loads on ${process.version}, glibc ${glibc}`);
    assert.equal(chosen.build.package, expectedPackage());
    assert.ok(isNativeUws(chosen.module));
    assert.match(uwsBuildDescription(), new RegExp(`from ${expectedPackage()} on Node ${process.version}`));
  });

  it('prefers the first of two builds that both load, and skips one that fails', () => {
    const native = { package: 'b', version: '2.0.0', needs: '', load: () => ({ App: Math.max }) };
    const alsoNative = { package: 'c', version: '1.0.0', needs: '', load: () => ({ App: Math.min }) };
    const both = chooseUwsBuild([throwing('a', 'boom'), native, alsoNative]);
    assert.ok(both.ok);
    assert.equal(both.build.package, 'b');
  });

  it('never accepts a JavaScript stand-in (the repack ws shim) as native', () => {
    // The repack's fallback: its App is a JavaScript function.
    const shim = require('uWebSockets.js/dist/index') as unknown;
    assert.equal(isNativeUws(shim), false);
    const result = chooseUwsBuild([{ package: 'shim', version: '0', needs: 'x', load: () => shim }]);
    assert.equal(result.ok, false);
  });

  it('fails with one line naming the host, each build and its need, and what to use', () => {
    const result = chooseUwsBuild([
      throwing(
        'new-build',
        "/x/uws.node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found (required by …)",
      ),
      throwing('old-build', "Cannot find module '../binaries/uws_linux_x64_137.node'\nRequire stack:\n- x"),
    ]);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.doesNotMatch(result.message, /\n/);
    assert.match(result.message, new RegExp(`^no native uWebSockets.js build loads on Node ${process.version} \\(`));
    assert.match(result.message, /new-build 1\.0\.0 needs something \(version `GLIBC_2\.38' not found\)/);
    assert.match(result.message, /old-build 1\.0\.0 needs something \(no binary for uws_/);
    assert.match(result.message, /Use Node 24 LTS \(or 22\) on glibc ≥ 2\.38/);
  });

  it('names the known builds when LLC_UWS_BUILD pins an unknown one', () => {
    const result = chooseUwsBuild(UWS_BUILDS, 'uws-nope');
    assert.ok(!result.ok);
    assert.match(result.message, /LLC_UWS_BUILD="uws-nope" names no known uWebSockets.js build \(known: @btc-vision/);
  });
});
