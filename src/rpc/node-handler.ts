import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** NodeHandler is a request handler for node:http and node:http2 servers alike. */
export type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** NodeRequest is the request a NodeHandler is given: an HTTP/1.1 or an HTTP/2 incoming message. */
export type NodeRequest = Parameters<NodeHandler>[0];

/** NodeResponse is the response a NodeHandler writes: an HTTP/1.1 or an HTTP/2 server response. */
export type NodeResponse = Parameters<NodeHandler>[1];
