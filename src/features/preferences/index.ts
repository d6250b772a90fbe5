export { Preferences } from "./preferences.service.js";
export { preferencesRpc } from "./preferences.rpc.js";
