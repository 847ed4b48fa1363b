/** Light helpers (servers, processes). Heavier ones have their own entry points: ./client, ./stack. */
export * from './servers.js';
export * from './processes.js';
