/** The benchmarks' answer: shared by markdown-stream.mjs and throttled-stream.mjs so both stream the same text. */

/** A deterministic answer of about `count` tokens (~4 characters each). */
export function answer(count) {
  const words =
    'the relay streams tokens from the model server to every open tab while the client renders markdown'.split(' ');
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sentence = () =>
    Array.from({ length: 8 + Math.floor(rand() * 10) }, () => words[Math.floor(rand() * words.length)]).join(' ') + '.';
  const parts = ['# Streaming report', ''];
  const code = [
    '```ts',
    ...Array.from(
      { length: 400 },
      (_, i) => `const value${i} = compute(${i}, "${words[i % words.length]}"); // step ${i}`,
    ),
    '```',
    '',
  ];
  const table = [
    '| step | tokens | latency |',
    '|---|---:|---:|',
    ...Array.from({ length: 30 }, (_, i) => `| ${i} | ${i * 37} | ${(i * 1.7).toFixed(1)} ms |`),
    '',
  ];
  let section = 0;
  while (parts.join('\n').length < count * 4) {
    section++;
    parts.push(
      `## Section ${section}`,
      '',
      `${sentence()} **${sentence()}** ${sentence()} [docs](https://example.com/${section}).`,
      '',
    );
    parts.push(...Array.from({ length: 5 }, () => `- ${sentence()} \`inline ${section}\``), '');
    if (section === 3) parts.push(...table);
    if (section === 5) parts.push(...code);
    parts.push(`> ${sentence()}`, '');
  }
  const text = parts.join('\n');
  return text.match(/[\s\S]{1,4}/g).slice(0, count);
}
