/**
 * Knows whether the server holds every local edit ("All changes saved").
 *
 * Server contract (see templates/notes/_editor.html and the report in the
 * branch history): the server answers every client sync step 1 with its sync
 * step 2 FOLLOWED BY its own sync step 1, and processes each connection's
 * messages in order. So when we send a sync step 1 (a "probe") after an edit
 * went out on the same socket, the server sync step 1 that answers it carries
 * a state vector that already reflects that edit.
 *
 * Two checks together make "saved" honest:
 * - the server's state vector covers the local one (every inserted item is on
 *   the server: Yjs clocks only grow with insertions);
 * - deletions do not move state vectors, so an edit that deleted something
 *   counts as saved only once the answer to a probe sent after that edit was
 *   delivered has arrived.
 *
 * Messages relayed between tabs by BroadcastChannel reach the same handler
 * with emitSynced === false; they say nothing about the server and are
 * ignored here.
 */
import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";

const MESSAGE_SYNC = 0;

/** True when `server` has at least `local`'s clock for every client. */
export function stateVectorCovers(server, local) {
  for (const [client, clock] of local) {
    if ((server.get(client) ?? 0) < clock) return false;
  }
  return true;
}

export class SaveTracker {
  /**
   * @param {import("y-websocket").WebsocketProvider} provider
   * @param {{onChange?: () => void, probeDelay?: number, keepAlive?: number}} [options]
   */
  constructor(provider, { onChange = () => {}, probeDelay = 500, keepAlive = 20000 } = {}) {
    this.provider = provider;
    this.doc = provider.doc;
    this.onChange = onChange;
    this.probeDelay = probeDelay;
    this.keepAlive = keepAlive;
    // Sequence numbers of local changes (edits, undo, IndexedDB loads).
    this.changeSeq = 0;
    this.savedSeq = 0;
    this.lastDeleteSeq = 0;
    // Per socket: highest change written to it, probes awaiting an answer
    // (each holds the deliveredSeq when it was sent), server step 2s that
    // still wait for their step 1.
    this.deliveredSeq = 0;
    this.probes = [];
    this.unpairedStep2 = 0;
    this.retry = 0;
    this.probeTimer = 0;
    this.serverStateVector = null;

    this._onUpdate = (_update, origin, _doc, transaction) => {
      if (origin === provider) return; // came from the server (or another tab)
      this.changeSeq += 1;
      if (transaction && transaction.deleteSet.clients.size > 0) {
        this.lastDeleteSeq = this.changeSeq;
      }
      // The provider's own update listener ran before this one and has
      // already sent the update if the socket is open.
      if (this._socketOpen()) this.deliveredSeq = this.changeSeq;
      this.retry = 0;
      this._schedule(this.probeDelay);
      this.onChange();
    };
    this.doc.on("update", this._onUpdate);

    this._onStatus = ({ status }) => {
      if (status === "connected") {
        // Emitted in onopen just before the provider sends its own sync
        // step 1: account for that step 1 as a probe that covers nothing new.
        this.deliveredSeq = this.savedSeq;
        this.probes = [this.savedSeq];
        this.unpairedStep2 = 0;
        this.retry = 0;
        this._schedule(this.keepAlive);
      } else if (status === "disconnected") {
        this.probes = [];
        this.unpairedStep2 = 0;
        clearTimeout(this.probeTimer);
      }
      this.onChange();
    };
    provider.on("status", this._onStatus);

    const syncHandler = provider.messageHandlers[MESSAGE_SYNC];
    provider.messageHandlers[MESSAGE_SYNC] = (encoder, decoder, p, emitSynced, messageType) => {
      if (!emitSynced) {
        syncHandler(encoder, decoder, p, emitSynced, messageType);
        return;
      }
      const peek = decoding.clone(decoder);
      const syncType = decoding.readVarUint(peek);
      let serverStateVector = null;
      if (syncType === syncProtocol.messageYjsSyncStep1) {
        serverStateVector = Y.decodeStateVector(decoding.readVarUint8Array(peek));
      } else if (syncType === syncProtocol.messageYjsSyncStep2) {
        this.unpairedStep2 += 1;
      }
      syncHandler(encoder, decoder, p, emitSynced, messageType);
      if (serverStateVector) this._onServerStep1(serverStateVector);
    };
  }

  get saved() {
    return this.savedSeq === this.changeSeq;
  }

  destroy() {
    clearTimeout(this.probeTimer);
    this.doc.off("update", this._onUpdate);
    this.provider.off("status", this._onStatus);
  }

  _socketOpen() {
    const ws = this.provider.ws;
    return Boolean(this.provider.wsconnected && ws && ws.readyState === WebSocket.OPEN);
  }

  _onServerStep1(serverStateVector) {
    this.serverStateVector = serverStateVector;
    let credited = null;
    if (this.unpairedStep2 > 0) {
      this.unpairedStep2 -= 1;
      if (this.probes.length > 0) credited = this.probes.shift();
    }
    const deletesSaved = this.lastDeleteSeq <= Math.max(this.savedSeq, credited ?? 0);
    if (deletesSaved && stateVectorCovers(serverStateVector, Y.decodeStateVector(Y.encodeStateVector(this.doc)))) {
      this.savedSeq = this.changeSeq;
    }
    // The sync handler wrote our sync step 2 (everything the server lacks,
    // with the whole delete set) into the reply that the provider sends as
    // soon as this handler returns.
    this.deliveredSeq = this.changeSeq;
    if (this.saved) {
      this.retry = 0;
      this._schedule(this.keepAlive);
    } else if (this.probes.length === 0) {
      this._schedule(this._backoff());
      this.retry += 1;
    }
    this.onChange();
  }

  _backoff() {
    return Math.min(this.probeDelay * 2 ** this.retry, 5000);
  }

  _schedule(delay) {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => this.probe(), delay);
  }

  /** Send a sync step 1; the server's answer tells what it has. */
  probe() {
    clearTimeout(this.probeTimer);
    if (!this._socketOpen()) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    this.provider.ws.send(encoding.toUint8Array(encoder));
    this.probes.push(this.deliveredSeq);
    // Keep the connection warm (y-websocket drops a socket that received
    // nothing for 30 s) and retry if an answer got lost.
    this._schedule(this.saved ? this.keepAlive : this._backoff() + 2000);
  }
}
