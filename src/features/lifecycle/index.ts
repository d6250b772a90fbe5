export { lifecycleRpc } from "./lifecycle.rpc.js";
export { mayMove, UserLifecycle } from "./lifecycle.service.js";
