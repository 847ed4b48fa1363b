/**
 * The shared logger: one JSON object per line with level, time, name, msg, ids and err; levels filtered;
 * child bindings; the text format for terminals; bad --log-level/--log-format as usage messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, loggerOptions, parseOptions, LOG_OPTIONS } from '@locallightchat/cli-kit';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('cli-kit logger', () => {
  it('writes JSON lines with level, time, name, message, ids and the error, at or above the level only', () => {
    const out = capture();
    const log = createLogger('llc-test', { level: 'info', destination: out.destination });
    log.debug('not shown', { streamId: 's-0' });
    log.info('stream started', { conversationId: 'c-1', streamId: 's-1', requestId: 'r-1' });
    log.warn('publish failed', new Error('broker gone'), { conversationId: 'c-1' });
    log.child({ backend: 'gpu-1' }).error('breaker open', 'timeout');
    const records = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.length, 3, 'debug is filtered out at info');
    assert.deepEqual(
      records.map((r) => [r.level, r.name, r.msg]),
      [
        ['info', 'llc-test', 'stream started'],
        ['warn', 'llc-test', 'publish failed'],
        ['error', 'llc-test', 'breaker open'],
      ],
    );
    assert.deepEqual([records[0]!.conversationId, records[0]!.streamId, records[0]!.requestId], ['c-1', 's-1', 'r-1']);
    assert.match(String(records[0]!.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(records[0]!.pid, process.pid);
    assert.equal((records[1]!.err as { message: string }).message, 'broker gone');
    assert.match((records[1]!.err as { stack: string }).stack, /broker gone/);
    assert.equal(records[2]!.backend, 'gpu-1');
    assert.equal((records[2]!.err as { message: string }).message, "'timeout'");
  });

  it('honours each level, and writes [name] level msg key=value lines in text format', () => {
    for (const [level, count] of [
      ['error', 1],
      ['warn', 2],
      ['info', 3],
      ['debug', 4],
    ] as const) {
      const out = capture();
      const log = createLogger('x', { level, destination: out.destination });
      log.error('e');
      log.warn('w');
      log.info('i');
      log.debug('d');
      assert.equal(out.lines.length, count, level);
    }
    const out = capture();
    createLogger('llc-bridge', { format: 'text', destination: out.destination }).info('ready', { streams: 3, id: 'a' });
    assert.deepEqual(out.lines, ['[llc-bridge] info ready streams=3 id=a\n']);
  });

  it('reads --log-level and --log-format (LLC_LOG_LEVEL, LLC_LOG_FORMAT) and refuses unknown values', () => {
    assert.deepEqual(loggerOptions(parseOptions(LOG_OPTIONS, [], { LLC_LOG_LEVEL: 'debug' })), {
      level: 'debug',
      format: 'json',
    });
    assert.match(
      loggerOptions(parseOptions(LOG_OPTIONS, ['--log-level', 'verbose'], {})) as string,
      /--log-level must be one of error, warn, info, debug/,
    );
    assert.match(
      loggerOptions(parseOptions(LOG_OPTIONS, ['--log-format', 'xml'], {})) as string,
      /--log-format must be json or text/,
    );
  });
});
