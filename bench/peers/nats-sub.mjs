// The NATS client's own floor: a bare nats.js process holding one subscription per conversation
// (`llc.conv.<prefix><i>.>`, as the relay and the ws + NATS peer do) that only counts the messages it gets — no
// sockets, no decoding. Prints {"ready":n} once subscribed, {"received":n} per stdin line, exits when stdin closes.
import { connect } from '@nats-io/transport-node';

const { url, count, prefix } = JSON.parse(process.argv[2]);
const nc = await connect({ servers: url });
let received = 0;
let bytes = 0;
for (let i = 0; i < count; i++) {
  nc.subscribe(`llc.conv.${prefix}${i}.>`, {
    callback: (_error, msg) => {
      received++;
      bytes += msg.data.byteLength;
    },
  });
}
await nc.flush();
console.log(JSON.stringify({ ready: count }));
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => console.log(JSON.stringify({ received, bytes })));
process.stdin.on('end', () => process.exit(0));
