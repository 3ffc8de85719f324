// The trainer worker's entry: every message from the page goes to one Trainer, every answer back.

import { loadRawInBrowser } from './load-data';
import type { Request, Response } from './protocol';
import { Trainer } from './trainer';

const scope = self as unknown as {
  postMessage(message: Response, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
};

const trainer = new Trainer({
  post: (message, transfer) => scope.postMessage(message, transfer ?? []),
  loadRaw: loadRawInBrowser,
});

scope.onmessage = (event) => {
  void trainer.handle(event.data);
};
