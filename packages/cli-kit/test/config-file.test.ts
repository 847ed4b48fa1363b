/**
 * The option kit's config file and `--print-config`: precedence (flag > env > file > default), conversion of
 * YAML values like flag values, unknown keys and bad values as usage errors, and redaction of secrets.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  CliUsageError,
  formatConfig,
  formatHelp,
  parseOptions,
  REDACTED,
  type OptionSpecs,
} from '@locallightchat/cli-kit';

const SPECS = {
  port: { type: 'number', env: 'T_PORT', default: 8787, help: 'port' },
  host: { type: 'string', env: 'T_HOST', default: '127.0.0.1', help: 'host' },
  origins: { type: 'list', env: 'T_ORIGINS', help: 'origins' },
  dev: { type: 'boolean', env: 'T_DEV', default: false, help: 'dev' },
  secret: { type: 'string', env: 'T_SECRET', secret: true, help: 'secret' },
  store: { type: 'string', env: 'T_STORE', default: 'memory', help: 'store' },
} satisfies OptionSpecs;

const dir = mkdtempSync(join(tmpdir(), 'llc-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('cli-kit config file', () => {
  it('takes values from the file under flags and environment variables, above defaults', () => {
    const path = file(
      'a.yaml',
      'port: 9000\nhost: 0.0.0.0\norigins: [https://a.example, https://b.example]\ndev: true\n',
    );
    const fromFile = parseOptions(SPECS, ['--config', path], {});
    assert.equal(fromFile.port, 9000);
    assert.equal(fromFile.host, '0.0.0.0');
    assert.deepEqual(fromFile.origins, ['https://a.example', 'https://b.example']);
    assert.equal(fromFile.dev, true);
    assert.equal(fromFile.store, 'memory', 'a key the file leaves out keeps its default');
    assert.equal(fromFile.configFile, path);

    const overridden = parseOptions(SPECS, ['--config', path, '--port', '9100', '--no-dev'], {
      T_HOST: '10.0.0.1',
      T_PORT: '9200',
    });
    assert.equal(overridden.port, 9100, 'flag beats env and file');
    assert.equal(overridden.host, '10.0.0.1', 'env beats file');
    assert.equal(overridden.dev, false, '--no-x beats the file');

    const viaEnv = parseOptions(SPECS, [], { LLC_CONFIG: path });
    assert.equal(viaEnv.port, 9000, 'LLC_CONFIG names the file too');
  });

  it('refuses unknown keys, bad values, non-mappings and missing files with usage errors naming the place', () => {
    const cases: [string, RegExp][] = [
      [file('typo.yaml', 'prot: 1\n'), /unknown key "prot" \(did you mean "port"\?\)/],
      [file('far.yaml', 'completely-unrelated: 1\n'), /unknown key "completely-unrelated"; keys are the flag names/],
      [file('nan.yaml', 'port: eighty\n'), /"port" in .*nan\.yaml expects a number, got "eighty"/],
      [file('bool.yaml', 'dev: maybe\n'), /"dev" in .*bool\.yaml expects true or false/],
      [file('list.yaml', 'host: [a, b]\n'), /"host" in .*list\.yaml expects one value, got a list/],
      [file('map.yaml', 'host: {a: 1}\n'), /"host" must be a value or a list, not a mapping/],
      [file('seq.yaml', '- port\n'), /must be a mapping of option names to values/],
      [file('bad.yaml', 'port: [1\n'), /is not valid YAML/],
      [join(dir, 'missing.yaml'), /ENOENT/],
    ];
    for (const [path, message] of cases) {
      assert.throws(
        () => parseOptions(SPECS, ['--config', path], {}),
        (error: unknown) => error instanceof CliUsageError && message.test(error.message),
        `${path} → ${message}`,
      );
    }
    assert.equal(parseOptions(SPECS, ['--config', file('empty.yaml', '# nothing\n')], {}).port, 8787);
  });

  it('--print-config shows every set value with its source, secrets and URL passwords redacted, as reusable YAML', () => {
    const path = file('p.yaml', 'host: 0.0.0.0\nsecret: hunter2-hunter2\n');
    const o = parseOptions(SPECS, ['--config', path, '--print-config', '--port', '1234'], {
      T_STORE: 'redis://:s3cret@redis:6379/0',
      T_ORIGINS: 'https://a.example',
    });
    assert.equal(o.printConfig, true);
    const text = formatConfig(SPECS, o);
    assert.ok(!text.includes('hunter2') && !text.includes('s3cret'), text);
    assert.match(text, /^port: 1234 # flag$/m);
    assert.match(text, /^host: 0\.0\.0\.0 # file$/m);
    assert.match(text, /^store: redis:\/\/:redacted@redis:6379\/0 # env T_STORE$/m);
    assert.match(text, /^dev: false # default$/m);
    assert.match(text, /^# env T_ORIGINS\norigins:\n {2}- https:\/\/a\.example$/m);
    const reparsed = parse(text) as Record<string, unknown>;
    assert.equal(reparsed.secret, REDACTED);
    assert.equal(reparsed.port, 1234);
    assert.ok(!('printConfig' in reparsed) && !('help' in reparsed), 'only the command options are printed');
  });

  it('documents --config and --print-config in --help', () => {
    const help = formatHelp('cmd', 'summary', SPECS);
    assert.match(help, /--config <file> +YAML file of settings keyed by flag name \(env LLC_CONFIG\)/);
    assert.match(help, /--print-config +Print the effective settings \(secrets redacted\) and exit/);
  });
});
