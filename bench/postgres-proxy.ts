import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface PostgresProxy {
  /** host:port to put in a DATABASE_URL instead of the server's. */
  host: string;
  /** Statements sent since the last call: each one a round trip to PostgreSQL. */
  takeCount(): number;
  close(): Promise<void>;
}

// Protocol 3.0 startup; SSLRequest and GSSENCRequest codes are answered with one byte and the
// client sends its startup message after them.
const PROTOCOL_3 = 196_608;
const SIMPLE_QUERY = 'Q'.charCodeAt(0);
const SYNC = 'S'.charCodeAt(0);

/**
 * A TCP proxy in front of PostgreSQL that counts the statements the app sends, from outside the
 * app: a simple query (`Q`, as BEGIN and COMMIT go) or an extended query, which ends with a
 * `Sync`, is one round trip. Bytes pass through untouched.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
export async function startPostgresProxy(target: { host: string; port: number }): Promise<PostgresProxy> {
  let statements = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    const count = statementCounter(() => statements++);
    client.on('data', (chunk: Buffer) => {
      count(chunk);
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    takeCount() {
      const taken = statements;
      statements = 0;
      return taken;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Reads the client's side of one connection, chunk by chunk, calling `onStatement` per round trip. */
function statementCounter(onStatement: () => void): (chunk: Buffer) => void {
  let startingUp = true;
  const header = Buffer.alloc(8);
  let headerFilled = 0;
  let toSkip = 0;
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (toSkip > 0) {
        const skipped = Math.min(toSkip, chunk.length - offset);
        toSkip -= skipped;
        offset += skipped;
        continue;
      }
      // Startup messages have no type byte: length and code. The others: type, then length.
      const headerLength = startingUp ? 8 : 5;
      const copied = chunk.copy(header, headerFilled, offset, offset + headerLength - headerFilled);
      headerFilled += copied;
      offset += copied;
      if (headerFilled < headerLength) return;
      headerFilled = 0;
      if (startingUp) {
        toSkip = header.readInt32BE(0) - 8;
        if (header.readInt32BE(4) === PROTOCOL_3) startingUp = false;
      } else {
        toSkip = header.readInt32BE(1) - 4;
        if (header[0] === SIMPLE_QUERY || header[0] === SYNC) onStatement();
      }
    }
  };
}
