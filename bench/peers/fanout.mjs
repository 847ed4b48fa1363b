// The peers' fan-out: one NATS subscription per conversation that some socket follows (`llc.conv.<id>.>`),
// every message's bytes handed to `write` for each of its sockets, the subscription dropped with its last socket.
// The `ws` + NATS peer and the uWS + NATS forwarder differ only in how they write.

/** `write(socket, bytes)` sends one message's bytes to one socket. */
export function conversationFanout(nc, write) {
  /** conversation → its sockets and subscription */
  const conversations = new Map();
  return {
    /** `socket` follows `conversationId` (once per pair). */
    join(socket, conversationId) {
      let conv = conversations.get(conversationId);
      if (!conv) {
        const sockets = new Set();
        const sub = nc.subscribe(`llc.conv.${conversationId}.>`, {
          callback: (_e, msg) => {
            for (const s of sockets) write(s, msg.data);
          },
        });
        conv = { sub, sockets };
        conversations.set(conversationId, conv);
      }
      conv.sockets.add(socket);
    },
    /** `socket` closed: it leaves every conversation in `ids`. */
    leave(socket, ids) {
      for (const id of ids) {
        const conv = conversations.get(id);
        conv?.sockets.delete(socket);
        if (conv && conv.sockets.size === 0) {
          conv.sub.unsubscribe();
          conversations.delete(id);
        }
      }
    },
  };
}
