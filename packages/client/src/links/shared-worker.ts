/**
 * The SharedWorker that owns the connection of every tab of an origin (one per relay/user key). Tabs connect
 * with a port and speak the messages of ./link.ts; the worker keeps one {@link ConnectionOwner} per key and
 * closes it when its last tab detaches.
 *
 * Shipped as `@locallightchat/client/shared-worker` (dist/links/shared-worker.js); host it on your origin
 * and pass its URL as `sharedWorkerUrl` when your bundler does not handle `new SharedWorker(new URL(…))`.
 */
import { ConnectionOwner } from './owner.js';
import { isTabMessage, type OwnerMessage, type TabMessage } from './link.js';

interface Group {
  owner: ConnectionOwner;
  ports: Map<string, MessagePort>;
}

const groups = new Map<string, Group>();
const groupOfTab = new Map<string, Group>();

function onMessage(port: MessagePort, data: unknown): void {
  if (!isTabMessage(data)) return;
  const message: TabMessage = data;
  let group = groupOfTab.get(message.tab);
  if (message.t === 'attach') {
    group = groups.get(message.config.key);
    if (!group) {
      const ports = new Map<string, MessagePort>();
      const emit = (m: OwnerMessage) => {
        const to = 'to' in m ? m.to : undefined;
        if (to !== undefined) ports.get(to)?.postMessage(m);
        else for (const p of ports.values()) p.postMessage(m);
      };
      group = { owner: new ConnectionOwner(message.config, emit), ports };
      groups.set(message.config.key, group);
    }
    group.ports.set(message.tab, port);
    groupOfTab.set(message.tab, group);
  }
  if (!group) return;
  group.owner.handle(message);
  // Started after the first tab attached: the first connection asks that tab for its token.
  if (message.t === 'attach' && !group.owner.started) group.owner.start();
  if (message.t === 'detach') {
    group.ports.delete(message.tab);
    groupOfTab.delete(message.tab);
    if (group.ports.size === 0) {
      group.owner.stop();
      groups.delete(group.owner.config.key);
    }
  }
}

// The worker global is typed as a window by the DOM lib this package compiles with; only `onconnect` is used.
(globalThis as unknown as { onconnect: (event: MessageEvent) => void }).onconnect = (event: MessageEvent) => {
  const port = event.ports[0];
  if (!port) return;
  port.onmessage = (e: MessageEvent) => onMessage(port, e.data);
  port.start();
};
