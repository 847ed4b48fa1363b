// A preload for a server under test (`NODE_OPTIONS=--import=<this file>`): a CPU profile of the measured window
// only. SIGUSR2 starts the V8 sampling profiler; the next SIGUSR2 stops it and writes the profile to
// `$LLC_PROFILE_OUT` (a .cpuprofile that Chrome DevTools or speedscope open), then prints
// `profile written <path>`. `--cpu-prof` would also profile start-up and the shutdown drain, which dwarf a
// short measured window.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.LLC_PROFILE_OUT ?? `relay-${process.pid}.cpuprofile`;
const intervalUs = Number(process.env.LLC_PROFILE_INTERVAL_US ?? 250);
const session = new Session();
session.connect();
let running = false;

const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: intervalUs }))
      .then(() => post('Profiler.start'))
      .then(() => console.log('profile started'))
      .catch((error) => console.error('profile start failed', error));
    return;
  }
  running = false;
  post('Profiler.stop')
    .then(({ profile }) => {
      writeFileSync(out, JSON.stringify(profile));
      console.log(`profile written ${out}`);
    })
    .catch((error) => console.error('profile stop failed', error));
});
