#!/usr/bin/env node
// `llc-bridge`: a committed launcher, so npm links the command at install time even before `npm run build`.
import '../dist/cli/bridge-cli.js';
