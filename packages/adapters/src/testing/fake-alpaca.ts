// A local stand-in for Alpaca's paper Trading API — REST v2 and the trade_updates WebSocket — with in-memory books
// (cash, positions, orders, fills, activities) and injectable faults, for tests. Never imported by production code.
// Shapes follow the OpenAPI spec cited in alpaca/alpaca-wire.ts; fake-alpaca.test.ts holds every answer to it.
// The books live in fake-alpaca-books.ts, the HTTP routes, gate and stream in fake-alpaca-http.ts.
import { createFakeAlpacaBooks } from './fake-alpaca-books.ts';
import { createFakeAlpacaStream, startFakeAlpacaHttp, type KeyCheck } from './fake-alpaca-http.ts';
import type { FakeAlpaca, FakeAlpacaOptions, FakeAlpacaRequest, FakeAlpacaWsMessage } from './fake-alpaca-model.ts';

export type { FakeAlpaca, FakeAlpacaAsset, FakeAlpacaOptions, FakeAlpacaRequest, FakeAlpacaWsMessage, FakeClock, FakeOrder } from './fake-alpaca-model.ts';

export async function startFakeAlpaca(o: FakeAlpacaOptions): Promise<FakeAlpaca> {
  const requests: FakeAlpacaRequest[] = [];
  const wsMessages: FakeAlpacaWsMessage[] = [];
  const pair = (keyId: unknown, secretKey: unknown) => JSON.stringify([keyId, secretKey]);
  let valid = new Set([o, ...(o.extraKeys ?? [])].map((k) => pair(k.keyId, k.secretKey)));
  const keyOk: KeyCheck = (keyId, secretKey) => valid.has(pair(keyId, secretKey));
  const stream = createFakeAlpacaStream(o, wsMessages, keyOk);
  const books = createFakeAlpacaBooks(o, stream.emit);
  const http = await startFakeAlpacaHttp(o, books, stream, requests, keyOk);
  const { faults } = http;

  return {
    restUrl: http.restUrl,
    wsUrl: http.wsUrl,
    requests,
    wsMessages,
    wsConnections: stream.connections,
    orders: books.orders,
    positions: books.positions,
    cash: books.cash,
    setPrice: books.setPrice,
    setClock: books.setClock,
    setAsset: books.setAsset,
    scriptFills: books.scriptFills,
    faults: {
      failNext(n, f = {}) {
        for (let i = 0; i < n; i++) faults.fail.push({ status: f.status ?? 503, method: f.method, path: f.path });
      },
      rateLimitNext(n, retryAfterSeconds) {
        for (let i = 0; i < n; i++) faults.limit.push(retryAfterSeconds);
      },
      blackholeNextOrders(n = 1) {
        faults.blackhole += n;
      },
      refuseNextOrder(status, body) {
        books.refuseNextOrder(status, body);
      },
    },
    setStreamFaults(f) {
      if (f.duplicate !== undefined) stream.faults.duplicate = f.duplicate;
      if (f.reorder !== undefined) stream.faults.reorder = f.reorder;
    },
    dropStreams() {
      stream.dropAll();
    },
    setStreamAvailable(up) {
      stream.faults.up = up;
      if (!up) stream.dropAll();
    },
    pushRaw(msg) {
      stream.broadcast([msg]);
    },
    setKeys(pairs) {
      valid = new Set(pairs.map((k) => pair(k.keyId, k.secretKey)));
    },
    close: () => http.close(),
  };
}
