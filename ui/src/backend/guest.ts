// A guest's view of the host's app: a Transport whose requests go to the host through the
// guest's own Weft (collabRequest / collabStream: the network, its certificate pin and the
// token stay in Rust), so workbench parts written against a Backend work on the host's
// folder unchanged (./guestbackend.ts is the guest's whole Backend). The host answers only
// what it lets guests do (GUEST_METHODS in crates/weft-api/src/api/guest.rs: list, find
// and search the files it shares, their analyses); anything else fails with `not_shared`.

import type { Request } from '../bindings/Request';
import type { Backend, Frame, StreamHandle, Transport } from './index';

export class GuestTransport implements Transport {
  /** The host-side streams open, by the id the guest's Backend minted. */
  private streams = new Map<string, StreamHandle>();

  constructor(private readonly local: Backend) {}

  get kind() {
    return this.local.kind;
  }

  call(request: Request): Promise<unknown> {
    if (request.method === 'cancel') {
      // A stream of ours: cancelling the local relay stops the host's stream too.
      this.streams.get(request.params.stream)?.cancel();
      this.streams.delete(request.params.stream);
      return Promise.resolve(null);
    }
    return this.local.collabRequest(request);
  }

  stream(id: string, request: Request, onFrame: (frame: Frame) => void): Promise<unknown> {
    const handle = this.local.stream({ method: 'collabStream', params: { request } }, onFrame);
    // Kept until cancelled: some streams' frames come after their result (an analysis).
    this.streams.set(id, handle);
    return handle.result;
  }

  openExternal(url: string) {
    this.local.openExternal(url);
  }
  // The host's folder is not the guest's to pick or close.
  pickFolder() {
    return Promise.resolve(null);
  }
  setTitle(title: string) {
    this.local.setTitle(title);
  }
  onCloseRequested() {}
  onConnection() {}
}
