import { expect } from '@open-wc/testing';
import * as entities from 'entities/lib/decode.js';
import { decodeHTML, decodeHTMLStrict } from '../src/markdown/browser-entity-decoder.js';

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Every named reference `entities` knows, read from its own decode trie: `&name;` for all of them and `&name`
 * for the legacy ones HTML also accepts without the semicolon.
 */
function namedReferences(): { terminated: string[]; legacy: string[] } {
  const tree = entities.htmlDecodeTree;
  const terminated: string[] = [];
  const legacy: string[] = [];
  const walk = (node: number, name: string): void => {
    const current = tree[node]!;
    const valueLength = (current & entities.BinTrieFlags.VALUE_LENGTH) >> 14;
    for (const c of NAME_CHARS + ';') {
      const next = entities.determineBranch(tree, current, node + Math.max(1, valueLength), c.charCodeAt(0));
      if (next < 0) continue;
      if (c === ';') {
        terminated.push(`&${name};`);
        continue;
      }
      if ((tree[next]! & entities.BinTrieFlags.VALUE_LENGTH) !== 0) legacy.push(`&${name}${c}`);
      walk(next, name + c);
    }
  };
  walk(0, '');
  return { terminated, legacy };
}

/** The inputs on which ours and `entities` disagree, with both answers. */
function mismatches(inputs: string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    const pairs: [string, string, string][] = [
      ['decodeHTML', decodeHTML(input), entities.decodeHTML(input)],
      ['decodeHTMLStrict', decodeHTMLStrict(input), entities.decodeHTMLStrict(input)],
    ];
    for (const [fn, ours, theirs] of pairs)
      if (ours !== theirs)
        out.push(`${fn}(${JSON.stringify(input)}): ${JSON.stringify(ours)} ≠ ${JSON.stringify(theirs)}`);
  }
  return out;
}

describe('browser entity decoder (the bundle’s stand-in for `entities`)', () => {
  const { terminated, legacy } = namedReferences();

  it('reads all of the named references from the entities trie', () => {
    // HTML defines 2,231 named references, 106 of which also work without the semicolon.
    expect(terminated.length + legacy.length).to.equal(2231);
    expect(legacy).to.include('&copy');
    expect(terminated).to.include.members(['&copy;', '&semi;', '&NotNestedGreaterGreater;', '&fjlig;']);
  });

  it('decodes every named reference exactly as entities does, with and without the semicolon', () => {
    expect(mismatches([...terminated, ...legacy])).to.deep.equal([]);
  });

  it('leaves malformed and unknown references exactly as entities does', () => {
    const altered = terminated.flatMap((ref) => {
      const name = ref.slice(1, -1);
      return [`&${name}x;`, `&${name.toUpperCase()};`, `&${name.slice(0, -1)};`, `&${name}`, `&${name}2;`];
    });
    expect(mismatches(altered)).to.deep.equal([]);
  });

  it('decodes numeric references as entities does, out-of-range and C1 ones included', () => {
    const numeric = [
      '&#65;',
      '&#x41;',
      '&#X41;',
      '&#0;',
      '&#128;',
      '&#x80;',
      '&#150;',
      '&#xD800;',
      '&#x10FFFF;',
      '&#x110000;',
      '&#99999999;',
      '&#65',
      '&#abc;',
      '&#;',
      '&#x;',
      '&#xZ;',
    ];
    expect(mismatches(numeric)).to.deep.equal([]);
  });

  it('decodes references inside longer text and leaves the rest alone', () => {
    const texts = [
      'a &copy; b &amp c &#65; &bogus; & d',
      'x&lt;script&gt;y',
      'plain',
      '&&&;;',
      'AT&T; R&D',
      '&notit; &not &notin;',
    ];
    expect(mismatches(texts)).to.deep.equal([]);
    expect(decodeHTML('x&lt;script&gt;y')).to.equal('x<script>y');
  });
});
