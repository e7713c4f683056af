import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A request Node's HTTP parser cannot read (a bad chunk size, a Content-Length past the body, a control character in
 * a header, headers over the limit) never reaches the app, and Node answers it with a bare status and no body. It
 * gets the API's error body instead, like every other refusal, and the connection is closed.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // nothing to answer: the client went away, or an answer is already on its way
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, error] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request headers too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request was not received in time']
          : [400, 'malformed HTTP request'];
    const body = JSON.stringify({ success: false, error });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * How long a client may take to send a request. Node's default, five minutes, let a body sent slower than its
 * Content-Length (or never finished) hold a connection and its buffers that long; providers give up on a delivery
 * within seconds, so a request still arriving after `seconds` is answered 408 (above) and closed. Node checks at
 * `connectionsCheckingInterval` (30 s by default), so the check runs often enough for the limit to mean what it says.
 */
export function requestTimeouts(seconds: number): ServerOptions {
  const ms = seconds * 1000;
  return { requestTimeout: ms, headersTimeout: Math.min(ms, 60_000), connectionsCheckingInterval: Math.min(5_000, Math.ceil(ms / 4)) };
}
