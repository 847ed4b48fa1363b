#!/usr/bin/env -S node --max-semi-space-size=1
// `llc-relay`: a committed launcher, so npm links the command at install time even before `npm run build`
// produces dist/. The V8 flag caps the young generation: with the default, an idle socket costs ~3.3 KB of RSS
// instead of ~1.3 KB (bench/idle). Run `node dist/cli/relay-cli.js` to choose other V8 settings.
import '../dist/cli/relay-cli.js';
