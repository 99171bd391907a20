import type http from 'node:http';

/**
 * Graceful shutdown (SIGTERM): stop accepting connections, let every request already received
 * finish, then resolve. Connections idle between keep-alive requests close at once; a response
 * sent from now on says `Connection: close`, so no client sends another request on a connection
 * that is about to go. Requests still running at the deadline have their connections cut.
 * Answers how many connections had to be cut (0 is a clean drain).
 */
export function drainingServer(server: http.Server): { drain(deadlineMs: number): Promise<number> } {
  let draining = false;
  const open = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  // Registered before the app's listener, so the header is set before anything is written.
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
  });
  return {
    async drain(deadlineMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let cut = 0;
      const deadline = setTimeout(() => {
        cut = open.size;
        server.closeAllConnections();
      }, deadlineMs);
      await closed;
      clearTimeout(deadline);
      return cut;
    },
  };
}
