#!/usr/bin/env node
// `llc-vllm-sim`: a committed launcher, so npm links the command at install time even before `npm run build`.
import '../dist/cli/sim-cli.js';
