/**
 * A long conversation for trying the transcript as a reader would: 10,000 messages (questions and markdown
 * answers with lists, tables and code) seeded into the embedded store under a fixed demo user, so that
 * `/?user=sample-reader&conversation=c_sample_history` opens it. The client pages older history in as you
 * scroll up, and a new question streams its answer at the end while you scroll.
 */

export const SAMPLE_USER = 'sample-reader';
export const SAMPLE_CONVERSATION = 'c_sample_history';

const TOPICS = [
  'the relay',
  'token streaming',
  'resume after a reconnect',
  'the shared worker',
  'rate limits',
  'the bridge',
  'backpressure',
  'NATS fan-out',
];

/** The text of message `i` (even: a question, odd: an answer), varied enough to give rows different heights. */
function sampleText(i) {
  const topic = TOPICS[Math.floor(i / 2) % TOPICS.length];
  const n = Math.floor(i / 2) + 1;
  if (i % 2 === 0)
    return `Question ${n}: how does ${topic} behave when ${n % 3 === 0 ? 'a tab closes mid-answer' : 'the network is slow'}?`;
  const parts = [`**Answer ${n}.** In short, ${topic} keeps every token in order and shows it exactly once.`];
  if (n % 3 === 0)
    parts.push(`- it resumes from the last \`seq\` it saw\n- duplicates are dropped\n- nothing is lost on reconnect`);
  if (n % 5 === 0)
    parts.push(`| step | latency |\n|---|---:|\n| first token | ${n % 400} ms |\n| per token | ${(n % 17) + 3} ms |`);
  if (n % 7 === 0)
    parts.push('```ts\n' + `const seq${n} = lastSeq + 1;\nclient.resume({ streamId, seq: seq${n} });` + '\n```');
  if (n % 2 === 0)
    parts.push('Some more words so that answers wrap onto several lines in a narrow window. '.repeat(1 + (n % 4)));
  return parts.join('\n\n');
}

/** Seeds `count` messages into `store` (the Store port) for {@link SAMPLE_USER}, oldest first. */
export async function seedSampleHistory(store, count) {
  await store.claimConversation(SAMPLE_CONVERSATION, SAMPLE_USER);
  const start = Date.now() - count * 60_000;
  for (let i = 0; i < count; i++) {
    await store.appendMessage(SAMPLE_CONVERSATION, {
      id: `sample-${i}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      text: sampleText(i),
      createdAt: start + i * 60_000,
    });
  }
}
