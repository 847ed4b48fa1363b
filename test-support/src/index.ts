/** Light helpers (servers, processes, the browser's launch options). Heavier ones have their own entry points: ./client, ./stack. */
export * from './servers.js';
export * from './processes.js';
export * from './chromium.js';
export * from './certificates.js';
export * from './cli-processes.js';
